"""Old robot task results, closing reasons and move reasons get their message keys (issue 13 §1).

Before 0012 a robot's result («Не дозвонились.», «Лид закрыт.»), the reason it closed a card
(«Клиент не ответил на звонки (5).») and the reason it moved a deal («Счёт оплачен.») were stored
as text in whatever language was active. A text that is one of those sentences — in either
language the site has, or in an earlier Russian wording of the catalogue — gets the key and the
parameters the robots store now, so that it is shown in each reader's language. The text stays
(the site-language copy new rows keep too); anything else is what a person typed and stays as it
is. The msgids are this migration's own copy of those the code had when it was written.
"""

import datetime
import re

from django.conf import settings
from django.db import migrations
from django.utils import translation

TASK_RESULTS = {
    "crm.task.no_answer": "No answer.",
    "crm.lead.closed_tasks": "The lead is closed.",
    "crm.closing_docs.received": "The closing documents are received.",
    "crm.task.stage_left": "The deal moved from «%(from)s» to «%(to)s».",
}
CLOSING_REASONS = {
    "crm.lead.unreachable": "The client did not answer %(count)d calls.",
    "crm.period.superseded": (
        "The period from %(date)s is billed under the renewal “%(renewal)s” (contract of %(signed)s)."
    ),
}
MOVE_REASONS = {
    **CLOSING_REASONS,
    "crm.deal.payment_received": "The payment is received.",
    "crm.deal.won": "The first month is paid and the closing documents are due: the deal is won.",
    "crm.invoice.paid": "The invoice is paid.",
}
# Russian wordings rows were written with before the catalogue was corrected.
EARLIER = {"crm.deal.won": ["Первый месяц оплачен, пора закрывающих документов: сделка выиграна."]}
# The deal stages' labels (both pipelines), for a result naming the stages a deal moved between.
STAGE_LABELS = [
    "Commercial proposal",
    "Feedback",
    "Contract signing",
    "Awaiting payment",
    "Payment received",
    "IT infrastructure audit",
    "Obtaining closing documents",
    "Deal not signed",
    "Processing suspended",
    "Invoice forming",
    "Invoice sent",
    "Invoice paid",
    "Closing documents",
    "Deal failed",
]
DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")


class Matcher:
    """Finds which sentence a stored text is, and its parameters as the robots store them now."""

    def __init__(self, sentences: dict[str, str]):
        self.patterns: list[tuple[str, re.Pattern]] = []
        self.labels: dict[str, str] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for key, msgid in sentences.items():
                    self.patterns.append((key, _pattern(translation.gettext(msgid))))
                for msgid in STAGE_LABELS:
                    self.labels.setdefault(translation.gettext(msgid), msgid)
        for key, wordings in EARLIER.items():
            if key in sentences:
                self.patterns.extend((key, _pattern(wording)) for wording in wordings)

    def message(self, text: str) -> dict | None:
        text = (text or "").strip()
        for key, pattern in self.patterns:
            match = pattern.match(text)
            if match:
                return {
                    "key": key,
                    "params": {name: self._param(name, value) for name, value in match.groupdict().items()},
                }
        return None

    def _param(self, name: str, value: str):
        if name in ("from", "to"):
            return {"msgid": self.labels[value]} if value in self.labels else value
        if name == "count":
            return int(value)
        if name in ("date", "signed") and (day := DATE.match(value)):
            try:
                return {"date": datetime.date(int(day[3]), int(day[2]), int(day[1])).isoformat()}
            except ValueError:
                return value
        return value


def _pattern(text: str) -> re.Pattern:
    escaped = re.escape(text)
    escaped = re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+?)", escaped)
    escaped = re.sub(r"%\\\((\w+)\\\)d", r"(?P<\1>\\d+)", escaped)
    return re.compile("^" + escaped + "$", re.S)


def forwards(apps, schema_editor):
    results, closing, moves = Matcher(TASK_RESULTS), Matcher(CLOSING_REASONS), Matcher(MOVE_REASONS)
    Task = apps.get_model("crm", "Task")
    for task in Task.objects.exclude(result="").filter(result_message={}).only("result").iterator():
        if found := results.message(task.result):
            Task.objects.filter(pk=task.pk).update(result_message=found)
    for model in ("Lead", "Deal"):
        Model = apps.get_model("crm", model)
        for card in (
            Model.objects.exclude(closing_reason="").filter(closing_reason_message={}).only("closing_reason").iterator()
        ):
            if found := closing.message(card.closing_reason):
                Model.objects.filter(pk=card.pk).update(closing_reason_message=found)
    Activity = apps.get_model("admin24", "Activity")
    for entry in Activity.objects.filter(verb="moved", key="").exclude(text="").only("text").iterator():
        if found := moves.message(entry.text):
            Activity.objects.filter(pk=entry.pk).update(key=found["key"], params=found["params"])


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0012_task_result_and_closing_reason_messages"),
        ("admin24", "0007_activity_kinds_of_old_rows"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
