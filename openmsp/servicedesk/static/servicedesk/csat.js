// CSAT results page: good/bad answers per week and the score line (Chart.js). A static file
// because the Content-Security-Policy forbids inline scripts; the tables work without it.
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("csat-chart");
    var source = document.getElementById("csat-data");
    if (!canvas || !source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: canvas.getAttribute("data-good"), data: data.good, backgroundColor: "#16a34a", stack: "n" },
          { label: canvas.getAttribute("data-bad"), data: data.bad, backgroundColor: "#dc2626", stack: "n" },
          { label: canvas.getAttribute("data-score"), data: data.score, type: "line", yAxisID: "score", borderColor: "#2563eb" }
        ]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, stacked: true },
          score: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } }
        }
      }
    });
    canvas.setAttribute("data-loaded", "true");
    canvas.setAttribute("data-points", String(data.labels.length));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
