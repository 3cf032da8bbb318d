"""Issue 13 §1: what the email intake says by itself — the files of an email it refused and why,
«files attached» for a reply of files only, why our email came back (tests/crm/
test_billing_box_languages.py reads that one) — is stored as what happened (a message key and its
parameters) and read in each reader's language: on the ticket card, the client page, through the
API and in the assignee's notice. A ticket from an email without a
subject is named by what the client wrote, in no language of ours. Whichever language is active
while the intake runs, it stores the same."""

import html
import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from admin24.roles import Role
from notifications.models import Notification, OutboxMessage
from servicedesk import services
from servicedesk.emails import client_page_url, reply_address
from servicedesk.intake.email import ingest
from servicedesk.models import Ticket, TicketComment
from tests.factories import ServiceFactory, UserFactory
from tests.servicedesk.email.test_inbound import _bounce as bounce
from tests.test_history_languages import reader
from tests.told import told

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

ENGLISH = {
    "refused": "Files of the email not accepted: run.exe (a kind of file not accepted)",
    "attached": "(files attached)",
}
RUSSIAN = {
    "refused": "Файлы письма не приняты: run.exe (такие файлы не принимаются)",
    "attached": "(приложены файлы)",
}
TEXTS = {"en": ENGLISH, "ru": RUSSIAN}


@pytest.fixture
def engineer(db):
    return UserFactory(username="kate", first_name="Kate", roles=[Role.SUPPORT_ENGINEER], language="en")


@pytest.fixture
def staff(db):
    return {
        "en": UserFactory(username="john", first_name="John", roles=[Role.ADMINISTRATOR], language="en"),
        "ru": UserFactory(username="ivan", first_name="Иван", roles=[Role.ADMINISTRATOR], language="ru"),
    }


def _ticket(engineer, capture) -> Ticket:
    with capture(execute=True):
        return services.create_ticket(
            subject="Не работает принтер",
            name="Иван Петров",
            email="ivan@client.ru",
            service=ServiceFactory(responsible=engineer),
        )


def _reply(ticket: Ticket, text: str, files=()) -> bytes:
    sent = OutboxMessage.objects.filter(target_id=ticket.pk, address=ticket.client_email).order_by("pk").first()
    message = EmailMessage()
    message["From"] = "Иван Петров <ivan@client.ru>"
    message["To"] = reply_address(ticket)
    message["Subject"] = f"Re: [#{ticket.number}] {ticket.subject}"
    message["Message-ID"] = make_msgid(domain="client.ru")
    message["In-Reply-To"] = sent.message_id
    message.set_content(text)
    for name, content, subtype in files:
        message.add_attachment(content, maintype="application", subtype=subtype, filename=name)
    return message.as_bytes()


def _untitled(text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Мария <maria@new.ru>"
    message["To"] = "support@example.ru"
    message["Message-ID"] = make_msgid(domain="new.ru")
    message.set_content(text)
    return message.as_bytes()


def _bounce(ticket: Ticket) -> bytes:
    sent = OutboxMessage.objects.filter(target_id=ticket.pk, address=ticket.client_email).order_by("pk").first()
    return bounce(sent.message_id).as_bytes()


def _intake(ticket: Ticket, capture) -> None:
    """A reply with a PDF and an executable, a reply of a PDF alone, a new email without a
    subject, and a bounce of the ticket's first email."""
    pdf = ("scan.pdf", b"%PDF-1.4 scan", "pdf")
    for raw in (
        _reply(ticket, "Вот скан.", files=[pdf, ("run.exe", b"MZ\x90\x00evil", "octet-stream")]),
        _reply(ticket, "", files=[("akt.pdf", b"%PDF-1.4 akt", "pdf")]),
        _untitled("\n  Не печатает принтер на втором этаже\nСрочно, пожалуйста."),
        _bounce(ticket),
    ):
        with capture(execute=True):
            ingest(raw, source="pipe")


def text_of(content: bytes) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content.decode())).split())


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return text_of(response.content)


def _api(user):
    api = APIClient(HTTP_ACCEPT_LANGUAGE=user.language)
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("written, read", [("ru", "en"), ("en", "ru")])
def test_the_intakes_notes_are_read_in_each_readers_language(
    written, read, engineer, staff, django_capture_on_commit_callbacks
):
    ticket = _ticket(engineer, django_capture_on_commit_callbacks)
    with translation.override(written):
        _intake(ticket, django_capture_on_commit_callbacks)
    shown, other = TEXTS[read], TEXTS[written]
    user = staff[read]

    card = _page(reader(user), reverse("servicedesk:ticket", args=[ticket.pk]))
    for text in shown.values():
        assert text in card
    for text in other.values():
        assert text not in card

    comments = _api(user).get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    bodies = {(c["body_key"], text_of(c["body"].encode())) for c in comments if c["body_key"]}
    assert bodies == {
        ("servicedesk.email.files_refused", shown["refused"]),
        ("servicedesk.files_attached", shown["attached"]),
    }
    typed = [c for c in comments if c["from_client"] and not c["body_key"]]
    assert [text_of(c["body"].encode()) for c in typed] == ["Вот скан."]

    # The client sees their reply of files only, not the staff's note about the refused file.
    client_page = _page(Client(HTTP_ACCEPT_LANGUAGE=read), client_page_url(ticket))
    assert shown["attached"] in client_page and other["attached"] not in client_page
    assert "run.exe" not in client_page


def test_the_assignee_is_told_of_a_reply_of_files_only_in_their_language(engineer, django_capture_on_commit_callbacks):
    ticket = _ticket(engineer, django_capture_on_commit_callbacks)
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        ingest(_reply(ticket, "", files=[("akt.pdf", b"%PDF-1.4 akt", "pdf")]), source="pipe")
    told = Notification.objects.get(recipient=engineer, key__startswith="servicedesk.client_reply:")
    with translation.override(engineer.language):
        assert told.shown_body == "(files attached)"


def test_a_ticket_from_an_email_without_a_subject_is_named_by_its_first_line(
    engineer, staff, django_capture_on_commit_callbacks
):
    with translation.override("ru"), django_capture_on_commit_callbacks(execute=True):
        ingest(_untitled("\n  Не печатает принтер на втором этаже\nСрочно, пожалуйста."), source="pipe")
    ticket = Ticket.objects.get(client_email="maria@new.ru")
    assert ticket.subject == "Не печатает принтер на втором этаже"
    english = staff["en"]
    card = _page(reader(english), reverse("servicedesk:ticket", args=[ticket.pk]))
    assert "Не печатает принтер на втором этаже" in card and "без темы" not in card
    listed = _api(english).get("/api/v1/tickets/", {"search": "втором этаже"}).json()
    assert [row["subject"] for row in listed["results"]] == ["Не печатает принтер на втором этаже"]


def test_a_long_first_line_or_no_text_at_all_still_names_the_ticket(django_capture_on_commit_callbacks):
    long_line = "Принтер " * 30
    files_only = EmailMessage()
    files_only["From"] = "oleg@new.ru"
    files_only["Message-ID"] = make_msgid(domain="new.ru")
    files_only.set_content("")
    files_only.add_attachment(b"%PDF-1.4 akt", maintype="application", subtype="pdf", filename="akt.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        ingest(_untitled(long_line), source="pipe")
        ingest(files_only.as_bytes(), source="pipe")
    named = Ticket.objects.get(client_email="maria@new.ru").subject
    assert named.startswith("Принтер Принтер") and named.endswith("…") and len(named) == 100
    assert Ticket.objects.get(client_email="oleg@new.ru").subject == "akt.pdf"


# --- the intake stores the same whatever language is active ----------------------------------


def _stored() -> list[tuple]:
    rows = [("ticket", t.subject, t.description, t.search_text) for t in Ticket.objects.order_by("pk")]
    rows += [("comment", c.public, c.from_client, c.body, c.body_message) for c in TicketComment.objects.order_by("pk")]
    # The outbox's reasons (which emails the clock's follow-ups sent besides is no matter of language).
    rows += [
        ("outbox", m.status, m.last_error, m.last_error_message)
        for m in OutboxMessage.objects.exclude(last_error="").order_by("pk")
    ]
    rows += [("notification", *told(n)) for n in Notification.objects.order_by("pk")]
    return rows


NUMBERS = re.compile(r"#\d+|\[#\d+\]|\b\d{5,}\b|/t/[\w:-]+|t\d+-[0-9a-f]+")


def _stored_while(language: str, engineer, capture) -> list[str]:
    with transaction.atomic():
        ticket = _ticket(engineer, capture)
        with translation.override(language):
            _intake(ticket, capture)
        stored = [NUMBERS.sub("N", repr(row)) for row in _stored()]
        transaction.set_rollback(True)
    return stored


def test_the_intake_stores_the_same_whatever_language_is_active(engineer, django_capture_on_commit_callbacks):
    in_english = _stored_while("en", engineer, django_capture_on_commit_callbacks)
    in_russian = _stored_while("ru", engineer, django_capture_on_commit_callbacks)
    keys = set(re.findall(r"'(servicedesk\.[\w.]+)'", " ".join(in_english)))
    assert {"servicedesk.email.files_refused", "servicedesk.files_attached", "servicedesk.email.returned"} <= keys
    assert in_english == in_russian
