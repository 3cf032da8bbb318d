"""Old withdrawn invoice emails get the message key of why (issue 13 §1).

Before notifications 0004 the reason an invoice email was withdrawn — its period billed under a
renewal — was stored in the outbox row's ``last_error`` as text in whatever language was active,
and the deal's billing box showed it so. A reason that is that sentence, in either language the
site has, gets the key and parameters ``renewal_hand_over`` stores now (the text stays, the
site-language copy new rows keep too); anything else is a server's own words and stays as it is.
The sentence and the way it is matched are those of crm 0013.
"""

import datetime
import importlib

from django.db import migrations

old_rows = importlib.import_module("crm.migrations.0013_task_results_and_closing_reasons_of_old_rows")
SUPERSEDED = {"crm.period.superseded": old_rows.CLOSING_REASONS["crm.period.superseded"]}


class Matcher(old_rows.Matcher):
    """crm 0013's matcher, reading English dates too («9 Mar 2027», config/formats/en)."""

    def _param(self, name, value):
        found = super()._param(name, value)
        if name in ("date", "signed") and isinstance(found, str):
            try:
                return {"date": datetime.datetime.strptime(value, "%d %b %Y").date().isoformat()}
            except ValueError:
                return value
        return found


def forwards(apps, schema_editor):
    matcher = Matcher(SUPERSEDED)
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    cancelled = OutboxMessage.objects.filter(status="cancelled", last_error_message={}).exclude(last_error="")
    for row in cancelled.only("last_error").iterator():
        if found := matcher.message(row.last_error):
            OutboxMessage.objects.filter(pk=row.pk).update(last_error_message=found)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0014_stays_of_logged_moves"),
        ("notifications", "0004_outbox_last_error_message"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
