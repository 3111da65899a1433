// Heartbeat page: the run-time chart (Chart.js), copy buttons and confirm dialogs. A static file
// because the Content-Security-Policy forbids inline scripts; the page works without it.
(function () {
  "use strict";

  function drawRuns() {
    var canvas = document.getElementById("run-chart");
    var source = document.getElementById("run-data");
    if (!canvas || !source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var tz = canvas.getAttribute("data-tz") || "UTC";
    var format;
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
        timeZone: tz, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      });
    } catch (error) {
      format = new Intl.DateTimeFormat();
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels.map(function (at) { return format.format(new Date(at)); }),
        datasets: [{
          label: canvas.getAttribute("data-label") || "s",
          data: data.durations,
          backgroundColor: data.failed.map(function (f) { return f ? "#dc2626" : "#16a34a"; })
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { display: false } }
      }
    });
    canvas.setAttribute("data-loaded", "true");
    canvas.setAttribute("data-points", String(data.durations.length));
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim());
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawRuns);
  else drawRuns();
})();
