// Interface page: the hourly volume chart (Chart.js) and confirm dialogs. A static file because
// the Content-Security-Policy forbids inline scripts; the page works without it.
(function () {
  "use strict";

  function drawVolume() {
    var canvas = document.getElementById("volume-chart");
    var source = document.getElementById("volume-data");
    if (!canvas || !source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var format;
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
        timeZone: canvas.getAttribute("data-tz") || "UTC", month: "2-digit", day: "2-digit",
        hour: "2-digit", hourCycle: "h23"
      });
    } catch (error) {
      format = new Intl.DateTimeFormat();
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels.map(function (at) { return format.format(new Date(at)); }),
        datasets: [
          { label: canvas.getAttribute("data-label-processed"), data: data.processed, backgroundColor: "#16a34a" },
          { label: canvas.getAttribute("data-label-failed"), data: data.failed, backgroundColor: "#dc2626" }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true } }
      }
    });
    canvas.setAttribute("data-loaded", "true");
    canvas.setAttribute("data-points", String(data.processed.length));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawVolume);
  else drawVolume();
})();
