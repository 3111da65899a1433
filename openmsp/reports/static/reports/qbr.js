// Quarterly review charts (Chart.js): availability, ticket volume, SLA attainment per clock and
// CSAT, one point per month of the quarter. A static file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var COLOURS = ["#2563eb", "#f59e0b", "#16a34a"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return null;
    config.options = { animation: false, responsive: true, maintainAspectRatio: false };
    new window.Chart(canvas, config);
    canvas.setAttribute("data-loaded", "true");
    return canvas;
  }

  function attr(id, name, fallback) {
    var el = document.getElementById(id);
    return (el && el.getAttribute(name)) || fallback;
  }

  function init() {
    var source = document.getElementById("qbr-charts");
    if (!source || !window.Chart) return;
    var c = JSON.parse(source.textContent);
    draw("qbr-availability-chart", {
      type: "line",
      data: { labels: c.labels, datasets: [
        { label: attr("qbr-availability-chart", "data-label", "%"), data: c.availability, borderColor: "#16a34a" },
        { label: attr("qbr-availability-chart", "data-target", "target"), data: c.labels.map(function () { return c.target; }), borderColor: "#dc2626", pointRadius: 0 }
      ] }
    });
    draw("qbr-volume-chart", {
      type: "bar",
      data: { labels: c.labels, datasets: [
        { label: attr("qbr-volume-chart", "data-opened", "opened"), data: c.opened, backgroundColor: "#2563eb" },
        { label: attr("qbr-volume-chart", "data-resolved", "resolved"), data: c.resolved, backgroundColor: "#16a34a" }
      ] }
    });
    var clocks = Object.keys(c.sla);
    draw("qbr-sla-chart", {
      type: "bar",
      data: { labels: c.labels, datasets: clocks.map(function (name, i) {
        return { label: name, data: c.sla[name], backgroundColor: COLOURS[i % COLOURS.length] };
      }) }
    });
    draw("qbr-csat-chart", {
      type: "line",
      data: { labels: c.labels, datasets: [
        { label: attr("qbr-csat-chart", "data-label", "CSAT"), data: c.csat, borderColor: "#7c3aed", spanGaps: true }
      ] }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
