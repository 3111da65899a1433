// OpenMSP shell behaviour. Loaded as a static file (the Content-Security-Policy forbids inline
// scripts); everything here is progressive enhancement: pages work without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Selects marked data-autosubmit submit their form when changed (client switcher, filters).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.value) {
      target.form.requestSubmit();
    }
  });

  // Formsets: a button with data-formset-add="<prefix>" clones <template id="<prefix>-empty">
  // into the element with id "<prefix>-rows" and bumps the management form's TOTAL_FORMS.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-formset-add]") : null;
    if (!button) return;
    event.preventDefault();
    var prefix = button.getAttribute("data-formset-add");
    var template = document.getElementById(prefix + "-empty");
    var rows = document.getElementById(prefix + "-rows");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !rows || !total) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("select, input");
    if (first) first.focus();
  });

  // A button with data-dismiss clears the closest form slot (closing an inline form).
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-dismiss]") : null;
    if (!button) return;
    event.preventDefault();
    var slot = button.closest(".form-slot");
    if (slot) slot.innerHTML = "";
  });

  // Tabs: keep aria-selected in step with the tab htmx loaded.
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (!(source instanceof Element) || !source.matches(".tabs a")) return;
    source.parentElement.querySelectorAll("a").forEach(function (a) {
      a.setAttribute("aria-selected", a === source ? "true" : "false");
    });
  });

  // Failed htmx requests (403, 404, 500, network) say so instead of doing nothing.
  function flash(text) {
    var box = document.getElementById("flash");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "message message-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.replaceChildren(p);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var lang = document.documentElement.lang;
    var messages = {
      ko: { 403: "이 작업을 할 권한이 없습니다.", 404: "찾을 수 없습니다. 삭제되었거나 볼 수 없는 항목입니다.", other: "요청을 처리하지 못했습니다. 잠시 후 다시 시도하세요." },
      en: { 403: "You are not allowed to do this.", 404: "Not found: it was removed or you cannot see it.", other: "The request failed. Try again in a moment." }
    };
    var m = messages[lang] || messages.en;
    flash(m[xhr.status] || m.other);
  });
  document.addEventListener("htmx:sendError", function () {
    flash(document.documentElement.lang === "ko" ? "서버에 연결할 수 없습니다." : "The server cannot be reached.");
  });
})();
