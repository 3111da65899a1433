// Fleet pages: metric charts (Chart.js), copy buttons, confirm dialogs. A static file because the
// Content-Security-Policy forbids inline scripts; the pages work without it, minus the charts.
(function () {
  "use strict";

  var PALETTE = ["#1d4ed8", "#15803d", "#b45309", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a16207"];
  var HOUR = 3600 * 1000;

  function lang() {
    return document.documentElement.lang || "en";
  }

  // Times are formatted in the viewer's time zone (data-tz), not the browser's.
  function timeFormatter(tz, spanMs, withSeconds) {
    var options = { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withSeconds) options.second = "2-digit";
    if (spanMs > 24 * HOUR || withSeconds) {
      options.month = "2-digit";
      options.day = "2-digit";
    }
    try {
      return new Intl.DateTimeFormat(lang(), options);
    } catch (error) {
      delete options.timeZone;
      return new Intl.DateTimeFormat(lang(), options);
    }
  }

  function formatValue(value, unit) {
    if (value === null || value === undefined || isNaN(value)) return "—";
    if (unit === "%") return value.toFixed(value < 10 ? 1 : 0) + " %";
    if (unit === "B/s") {
      var units = ["B/s", "KB/s", "MB/s", "GB/s"];
      var i = 0;
      while (Math.abs(value) >= 1024 && i < units.length - 1) {
        value /= 1024;
        i += 1;
      }
      return value.toFixed(value < 10 && i > 0 ? 1 : 0) + " " + units[i];
    }
    return value.toFixed(2);
  }

  function showMessage(canvas, text) {
    var box = canvas.closest(".chart-box");
    var message = box && box.querySelector(".chart-message");
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
  }

  function draw(canvas, data) {
    var unit = data.unit || canvas.getAttribute("data-unit") || "";
    var tz = canvas.getAttribute("data-tz") || data.time_zone || "UTC";
    var span = data.end - data.start;
    var tick = timeFormatter(tz, span, false);
    var full = timeFormatter(tz, span, true);
    var total = 0;
    var datasets = data.series.map(function (series, index) {
      var color = PALETTE[index % PALETTE.length];
      total += series.points.length;
      return {
        label: series.label,
        data: series.points.map(function (p) { return { x: p[0], y: p[1] }; }),
        borderColor: color,
        backgroundColor: color,
        borderWidth: 1.5,
        pointRadius: series.points.length === 1 ? 3 : 0,
        tension: 0.2,
        spanGaps: false
      };
    });
    var box = canvas.closest(".chart-box");
    var resolution = box && box.querySelector("[data-resolution]");
    if (resolution) resolution.textContent = "· " + data.resolution;
    canvas.setAttribute("data-points", String(total));
    canvas.setAttribute("data-resolution", data.resolution);
    if (!total) {
      showMessage(canvas, canvas.getAttribute("data-empty-text") || "");
    }
    var existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: {
            type: "linear",
            min: data.start,
            max: data.end,
            ticks: { maxTicksLimit: 7, callback: function (value) { return tick.format(new Date(value)); } }
          },
          y: {
            beginAtZero: true,
            suggestedMax: unit === "%" ? 100 : undefined,
            max: unit === "%" ? 100 : undefined,
            ticks: { maxTicksLimit: 6, callback: function (value) { return formatValue(value, unit); } }
          }
        },
        plugins: {
          legend: { display: datasets.length > 1, labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? full.format(new Date(items[0].parsed.x)) : ""; },
              label: function (item) { return item.dataset.label + ": " + formatValue(item.parsed.y, unit); }
            }
          }
        }
      }
    });
    canvas.setAttribute("data-loaded", "true");
  }

  function loadChart(canvas) {
    if (canvas.getAttribute("data-loaded")) return;
    canvas.setAttribute("data-loaded", "loading");
    if (!window.Chart) {
      showMessage(canvas, canvas.getAttribute("data-error-text") || "");
      return;
    }
    fetch(canvas.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { draw(canvas, data); })
      .catch(function () {
        canvas.setAttribute("data-loaded", "error");
        showMessage(canvas, canvas.getAttribute("data-error-text") || "");
      });
  }

  function initCharts(root) {
    (root || document).querySelectorAll("canvas[data-metric-chart]").forEach(loadChart);
  }

  // Charts of a tab that htmx swaps out are destroyed, so they stop observing resizes.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !window.Chart) return;
    target.querySelectorAll("canvas[data-metric-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) { initCharts(event.detail && event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });

  // Copy buttons: data-copy names the element whose text goes to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied-text") || label;
      window.setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // A link with data-dialog opens that <dialog> instead of its no-JavaScript confirmation page.
  document.addEventListener("click", function (event) {
    var opener = event.target instanceof Element ? event.target.closest("[data-dialog]") : null;
    if (!opener) return;
    var dialog = document.getElementById(opener.getAttribute("data-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    dialog.showModal();
  });

  // Forms with data-confirm ask before they submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
