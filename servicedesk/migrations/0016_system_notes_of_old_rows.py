"""Old notes of the email intake get their message keys (issue 13 §1).

Before 0015 the email intake wrote its notes into comment bodies as text in whatever language was
active — «(приложены файлы)» for a reply of files only (Telegram's «(файлы)»), «Файлы письма не
приняты (тип или размер): …» for the files it refused — and a bounce's reason into the outbox row
(«Возвращено почтовым сервером: …»); a ticket from an email without a subject was called «(без
темы)». A body or reason that is one of those sentences, in either language the site has, gets
the key and parameters the intake stores now (the text stays: the site-language copy new rows keep
too); such a ticket is named by the first line of its description, as the intake names it now.
The sentences are this migration's own copy of those the code had when it was written.
"""

import html
import re

from django.db import migrations
from django.db.models import Q

from admin24.boards.search import backfill

FILES_ATTACHED = {"(приложены файлы)", "(files attached)", "(файлы)", "(files)"}
REFUSED = re.compile(
    r"^<p>(?:Файлы письма не приняты \(тип или размер\)|Files of the email not accepted \(type or size\)): (.*)</p>$",
    re.S,
)
RETURNED = re.compile(r"^(?:Возвращено почтовым сервером|Returned by the mail server): (.*)$", re.S)
NO_SUBJECT = ["(без темы)", "(no subject)"]
SUBJECT_CHARS = 100


def _comments(TicketComment):
    attached = {"key": "servicedesk.files_attached", "params": {}}
    TicketComment.objects.filter(body_message={}, body__in=[f"<p>{text}</p>" for text in FILES_ATTACHED]).update(
        body_message=attached
    )
    notes = TicketComment.objects.filter(body_message={}, public=False, source="email").filter(
        Q(body__startswith="<p>Файлы письма не приняты") | Q(body__startswith="<p>Files of the email not accepted")
    )
    for note in notes.only("body").iterator():
        found = REFUSED.match(note.body.strip())
        if found:
            # Which file was refused for what was not recorded: the names, and «type or size».
            names = html.unescape(found[1]).replace("<br>", "\n")
            files = [{"message": "servicedesk.file_refused", "params": {"name": names}}]
            message = {"key": "servicedesk.email.files_refused", "params": {"files": files}}
            TicketComment.objects.filter(pk=note.pk).update(body_message=message)


def _untitled(Ticket):
    renamed = []
    for ticket in Ticket.objects.filter(subject__in=NO_SUBJECT).only("description", "client_email").iterator():
        first = next((line.strip() for line in ticket.description.splitlines() if line.strip()), "")
        subject = first or ticket.client_email or "—"
        if len(subject) > SUBJECT_CHARS:
            subject = subject[: SUBJECT_CHARS - 1] + "…"
        Ticket.objects.filter(pk=ticket.pk).update(subject=subject)
        renamed.append(ticket.pk)
    if renamed:
        backfill(
            Ticket.objects.filter(pk__in=renamed),
            lambda t: (f"#{t.number}", t.subject, t.client_name, t.client_email, t.client_company),
        )


def _bounces(OutboxMessage):
    failed = OutboxMessage.objects.filter(status="failed", last_error_message={}).exclude(last_error="")
    for row in failed.filter(last_error__regex=r"^(Возвращено почтовым сервером|Returned by the mail server): ").only(
        "last_error"
    ):
        found = RETURNED.match(row.last_error)
        if found:
            message = {"key": "servicedesk.email.returned", "params": {"d": found[1]}}
            OutboxMessage.objects.filter(pk=row.pk).update(last_error_message=message)


def forwards(apps, schema_editor):
    _comments(apps.get_model("servicedesk", "TicketComment"))
    _untitled(apps.get_model("servicedesk", "Ticket"))
    _bounces(apps.get_model("notifications", "OutboxMessage"))


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0015_comment_body_message"),
        ("notifications", "0004_outbox_last_error_message"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
