/* The Service Desk settings page: copy buttons and the confirmation before a new form key.
 * navigator.clipboard exists only on HTTPS or localhost; self-hosted installs are often plain
 * HTTP on a LAN, so the old select-and-copy command is the fallback. */
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
})();
