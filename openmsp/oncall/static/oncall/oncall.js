// On-call calendar: place each bar and tick from its data-left/data-width (percent of the period).
// A static file setting styles through the DOM, because the Content-Security-Policy forbids inline
// style attributes; without it the shifts are still listed under "Shifts as a list".
(function () {
  "use strict";

  function place() {
    var items = document.querySelectorAll("#oncall-calendar [data-left]");
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      el.style.left = el.getAttribute("data-left") + "%";
      var width = el.getAttribute("data-width");
      if (width !== null) el.style.width = width + "%";
    }
    var calendar = document.getElementById("oncall-calendar");
    if (calendar) calendar.setAttribute("data-placed", "true");
  }

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }
})();
