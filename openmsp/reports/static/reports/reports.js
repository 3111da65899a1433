// Report page charts (Chart.js): availability per day, tickets per week, SLA attainment per
// clock. A static file because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = { animation: false, responsive: true, maintainAspectRatio: false };
    new window.Chart(canvas, config);
    canvas.setAttribute("data-loaded", "true");
  }

  function init() {
    var source = document.getElementById("report-charts");
    if (!source || !window.Chart) return;
    var c = JSON.parse(source.textContent);
    var trend = document.getElementById("trend-chart");
    draw("trend-chart", {
      type: "line",
      data: { labels: c.trend.labels, datasets: [
        { label: trend ? trend.getAttribute("data-label") : "%", data: c.trend.values, borderColor: "#16a34a" },
        { label: "target", data: c.trend.labels.map(function () { return c.trend.target; }), borderColor: "#dc2626", pointRadius: 0 }
      ] }
    });
    var vol = document.getElementById("volume-chart");
    draw("volume-chart", {
      type: "bar",
      data: { labels: c.volume.labels, datasets: [
        { label: vol ? vol.getAttribute("data-opened") : "opened", data: c.volume.opened, backgroundColor: "#2563eb" },
        { label: vol ? vol.getAttribute("data-resolved") : "resolved", data: c.volume.resolved, backgroundColor: "#16a34a" }
      ] }
    });
    var sla = document.getElementById("sla-chart");
    draw("sla-chart", {
      type: "bar",
      data: { labels: c.sla.labels, datasets: [
        { label: sla ? sla.getAttribute("data-label") : "%", data: c.sla.values, backgroundColor: "#2563eb" }
      ] }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
