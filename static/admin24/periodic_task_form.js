// django-celery-beat's periodic task form: under the crontab field, its schedule in words (the
// package's own inline script, moved here so the admin page needs none: admin24.csp).
(function () {
  "use strict";
  const $ = django.jQuery;
  const readableCrontabs = JSON.parse($("#readable-crontabs").text());
  const help = $(".field-crontab .help");
  const originalCrontabHelp = help.text();
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    // As text: a schedule's words are data, never markup.
    help.text(originalCrontabHelp).append("<br>", document.createTextNode("Translation: " + readableCrontabs[$("#id_crontab").val()]));
  });
})();
