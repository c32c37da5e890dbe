/* Polku – small progressive enhancements. Every page works without JavaScript. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    // Language and other selects marked data-autosubmit submit their form on change.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // Move focus to the error summary so screen reader and keyboard users find it first.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }

    // Confirm destructive actions (forms marked data-confirm).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    // Copy a freshly created API token to the clipboard.
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy-target"));
        if (target && navigator.clipboard) {
          navigator.clipboard.writeText(target.textContent.trim()).then(function () {
            button.textContent = button.getAttribute("data-copied-label");
          });
        }
      });
    });

    // Progress of a background job (CSV import): poll its status URL until it finishes.
    document.querySelectorAll("[data-progress-url]").forEach(function (box) {
      var url = box.getAttribute("data-progress-url");
      var bar = box.querySelector("progress");
      var text = box.querySelector("[data-progress-text]");
      function poll() {
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            if (bar) { bar.value = data.percent; bar.textContent = data.percent + " %"; }
            if (text) { text.textContent = data.label; }
            if (data.finished) {
              box.setAttribute("data-finished", "true");
              if (data.report_url && box.hasAttribute("data-reload-when-done")) {
                window.location.assign(data.report_url);
              }
            } else {
              window.setTimeout(poll, 700);
            }
          })
          .catch(function () { window.setTimeout(poll, 2000); });
      }
      poll();
    });
  });
})();
