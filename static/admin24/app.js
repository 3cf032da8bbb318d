/* What every staff page may use, wired by data- attributes (the pages carry no script of their
 * own: docs/security.md, Content-Security-Policy).
 * - [data-copy-target="<id>"]: a button that copies that field's value; data-copied / data-failed
 *   are shown on it for a moment. navigator.clipboard exists only on HTTPS or localhost;
 *   self-hosted installs are often plain HTTP on a LAN, so the old select-and-copy command is the
 *   fallback.
 * - form[data-confirm]: asks that question before the form is sent.
 * - select[data-submit-on-change]: sends its form as soon as another option is chosen. */
(function () {
  "use strict";

  function copyText(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    field.focus();
    field.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      const field = document.getElementById(button.dataset.copyTarget);
      const label = button.textContent;
      copyText(field).then(
        function () { button.textContent = button.dataset.copied; },
        function () { field.select(); button.textContent = button.dataset.failed; }
      ).finally(function () { setTimeout(function () { button.textContent = label; }, 2000); });
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
