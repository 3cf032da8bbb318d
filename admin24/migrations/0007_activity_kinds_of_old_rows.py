"""Old timeline rows get the kinds the history now shows them by (issue 13 §2).

Rows written before kinds existed said everything through ``updated``/``note`` and their text:
an attached file or invoice becomes ``file_attached``, an invoice email ``email_sent`` (its
address under ``address``, as new rows keep it) or ``email_not_sent``. A reminder's text lost its
«(to …)» suffix, since the history names the recipient from ``data["to"]`` now. The text stays as
it was stored (there is no key to render it in another language); it is recognised in either
language the site has, as whoever was active wrote it.
"""

import re

from django.conf import settings
from django.db import migrations
from django.utils import translation

# Old msgid → the kind its rows get.
ATTACHED = (
    "%(file)s attached: %(name)s",
    "%(file)s replaced: %(name)s",
    "Invoice attached: %(name)s",
    "Invoice replaced: %(name)s",
)
NOT_SENT = ("The invoice is not sent: %(why)s",)
REMINDER = "%(title)s (to %(whom)s)"


def _patterns(msgids) -> list[re.Pattern]:
    patterns = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for msgid in msgids:
                text = re.escape(translation.gettext(msgid))
                patterns.append(re.compile("^" + re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.*)", text) + "$", re.S))
    return patterns


def forwards(apps, schema_editor):
    Activity = apps.get_model("admin24", "Activity")
    attached, not_sent, reminder = _patterns(ATTACHED), _patterns(NOT_SENT), _patterns([REMINDER])
    for row in Activity.objects.filter(verb__in=["updated", "note", "reminder_sent"]).iterator():
        data, changed = dict(row.data or {}), False
        if row.verb == "note" and "invoice_to" in data:
            data["address"] = data.pop("invoice_to")
            row.verb, changed = "email_sent", True
        elif row.verb == "note" and any(p.match(row.text) for p in not_sent):
            row.verb, changed = "email_not_sent", True
        elif row.verb == "updated" and any(p.match(row.text) for p in attached):
            row.verb, changed = "file_attached", True
        elif row.verb == "reminder_sent":
            match = next((m for m in (p.match(row.text) for p in reminder) if m), None)
            if match:
                row.text, changed = match.group("title"), True
        if changed:
            row.data = data
            row.save(update_fields=["verb", "data", "text"])


class Migration(migrations.Migration):
    dependencies = [("admin24", "0006_activity_kinds_and_messages")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
