import datetime
import html
import io
import zipfile

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, resolve, reverse
from django.utils import timezone

from admin24 import activity, timers, worktime
from admin24.models import Activity, CalendarDay, ScheduledAction
from admin24.tasks import run_due_actions
from crm.models import Company, Contact
from notifications.models import OutboxMessage
from servicedesk import services, ticket_statement
from servicedesk.emails import thread_root
from servicedesk.models import Attachment, DeskSettings, Ticket
from servicedesk.services import regenerate_form_key
from tests.factories import ContactFactory, ServiceFactory

from .conftest import msk, stamp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _kick_every_time(monkeypatch):
    # Each test's first ticket must kick the worker, whatever an earlier test kicked a moment ago.
    monkeypatch.setattr(services.kick_follow_up, "last_at", None)


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def url(desk):
    return reverse("desk:form", args=[desk.form_key])


def post(client, desk, data, files=None, **extra):
    payload = dict(data)
    if files is not None:
        payload["files"] = files
    return client.post(url(desk), payload, **extra)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_the_form_shows_the_fields_of_the_spec_and_the_company_in_the_header(client, desk, service):
    ServiceFactory(name="Архивная услуга", active=False)
    response = client.get(url(desk))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("service", "name", "email", "phone", "company", "subject", "description", "files"):
        assert f'name="{name}"' in page
    assert 'name="consent_desk"' in page and 'name="consent_company"' in page
    assert "Админ24" in page
    assert "Обслуживание компьютеров" in page
    assert "Архивная услуга" not in page


def test_a_valid_submission_creates_the_ticket_and_shows_its_number(client, desk, form_data, engineer):
    response = post(client, desk, form_data, files=[SimpleUploadedFile("scan.pdf", PDF)])
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.subject == "Не печатает принтер"
    assert ticket.assignee == engineer
    assert ticket.client_phone == "+79991234567"
    assert ticket.source == "form"
    page = client.get(response["Location"]).content.decode()
    assert f"#{ticket.number}" in page
    attachment = Attachment.objects.get()
    assert attachment.original_name == "scan.pdf"
    assert attachment.content_type == "application/pdf"
    assert "scan" not in attachment.file.name


def test_an_unknown_email_creates_the_contact_and_the_typed_company(client, desk, form_data):
    post(client, desk, form_data)
    timers.run_due_until_idle()
    ticket = Ticket.objects.get()
    contact = Contact.objects.get()
    assert ticket.contact == contact
    assert contact.first_email == "petr@client.ru"
    assert ticket.company == Company.objects.get(name="ООО «Клиент»") == contact.company


def test_a_known_email_links_the_existing_contact_and_its_company(client, desk, form_data):
    company = Company.objects.create(name="Ромашка")
    known = ContactFactory(full_name="Пётр", company=company, emails=["Petr@Client.ru"])
    post(client, desk, {**form_data, "company": ""})
    timers.run_due_until_idle()
    ticket = Ticket.objects.get()
    assert ticket.contact == known
    assert ticket.company == company
    assert ticket.client_company == "Ромашка"
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("service", "", "Choose a service."),
        ("service", "999999", "Choose one of the services in the list."),
        ("name", "   ", "Tell us your name."),
        ("email", "", "Enter your email: we will answer there."),
        ("email", "not-an-email", "name@example.ru"),
        ("phone", "12345", "Enter a phone number with 10 to 15 digits."),
        ("subject", "", "Give the request a subject."),
        ("description", "", "Describe what happened."),
        ("consent_desk", None, "Without this consent we cannot accept the request."),
        ("consent_company", None, "Without this consent we cannot accept the request."),
    ],
)
def test_each_field_is_validated_with_a_clear_message(client, desk, form_data, field, value, message):
    data = {k: v for k, v in form_data.items() if not (k == field and value is None)}
    if value is not None:
        data[field] = value
    response = post(client, desk, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert message in html.unescape(response.content.decode())


def test_an_inactive_service_is_refused(client, desk, form_data):
    archived = ServiceFactory(active=False)
    response = post(client, desk, {**form_data, "service": str(archived.pk)})
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_the_phone_is_optional_unless_the_settings_require_it(client, desk, form_data):
    assert post(client, desk, {**form_data, "phone": ""}).status_code == 302
    desk.phone_required = True
    desk.save()
    response = post(client, desk, {**form_data, "phone": "", "email": "other@client.ru"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Enter your phone number." in response.content.decode()
    assert Ticket.objects.count() == 1


def test_accepted_kinds_are_recognised_by_content(client, desk, form_data):
    files = [
        SimpleUploadedFile("photo.PNG", PNG),
        SimpleUploadedFile("letter.docx", docx_bytes()),
        SimpleUploadedFile("notes.txt", "Привет, мир\n".encode("cp1251")),
        SimpleUploadedFile("table.csv", b"a;b\n1;2\n"),
    ]
    assert post(client, desk, form_data, files=files).status_code == 302
    kinds = dict(Attachment.objects.values_list("original_name", "content_type"))
    assert kinds == {
        "photo.PNG": "image/png",
        "letter.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "notes.txt": "text/plain",
        "table.csv": "text/csv",
    }


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)], "is not accepted"),
        ([SimpleUploadedFile("tool.exe", b"just text")], "is not accepted"),
        ([SimpleUploadedFile("run.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 50)], "is not accepted"),
        ([SimpleUploadedFile(f"f{i}.txt", b"text") for i in range(3)], "Attach at most 2 files; you attached 3."),
        ([SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))], "one file may be at most 1.0"),
        (
            [SimpleUploadedFile("a.pdf", PDF + b"0" * 700_000), SimpleUploadedFile("b.pdf", PDF + b"0" * 700_000)],
            "All files together are",
        ),
    ],
)
def test_uploads_over_the_limits_or_of_a_bad_kind_are_refused_and_nothing_is_saved(
    client, desk, form_data, files, message, settings
):
    desk.max_files = 2
    desk.max_file_mb = 1
    desk.max_total_mb = 1
    desk.save()
    response = post(client, desk, form_data, files=files, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert Contact.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_the_honeypot_refuses_bots(client, desk, form_data):
    response = post(client, desk, {**form_data, "website": "http://spam.example"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "looks automated" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_post_right_after_the_form_was_shown_is_refused(client, desk, form_data):
    response = post(client, desk, {**form_data, "rendered": stamp(seconds_ago=0)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "sent too quickly" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_forged_or_missing_stamp_is_refused(client, desk, form_data):
    assert post(client, desk, {**form_data, "rendered": "123:forged"}).status_code == 400
    assert post(client, desk, {**form_data, "rendered": ""}).status_code == 400
    assert Ticket.objects.count() == 0


def test_too_many_posts_from_one_ip_are_refused(client, desk, form_data, settings):
    settings.SERVICEDESK_FORM_RATE_PER_IP = "3/h"
    for n in range(3):
        assert post(client, desk, {**form_data, "email": f"c{n}@client.ru"}).status_code == 302
    response = post(client, desk, {**form_data, "email": "c9@client.ru"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert Ticket.objects.count() == 3


def test_too_many_posts_for_one_email_are_refused_from_any_ip(client, desk, form_data, settings):
    settings.SERVICEDESK_FORM_RATE_PER_EMAIL = "2/h"
    for n in range(2):
        assert post(client, desk, form_data, REMOTE_ADDR=f"10.0.0.{n}").status_code == 302
    assert post(client, desk, {**form_data, "email": "PETR@client.ru"}, REMOTE_ADDR="10.0.0.9").status_code == 429
    assert Ticket.objects.count() == 2


def test_a_stale_form_key_is_refused_clearly(client, desk, form_data):
    old_url = url(desk)
    regenerate_form_key()
    response = client.post(old_url, form_data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "no longer valid" in response.content.decode()
    assert client.get(old_url).status_code == 404
    assert Ticket.objects.count() == 0
    assert client.get(url(DeskSettings.load())).status_code == 200


def test_framing_is_denied_unless_the_site_is_listed(client, desk):
    response = client.get(url(desk))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    desk.allowed_origins = "https://client.example\nhttps://www.client.example/"
    desk.save()
    response = client.get(url(desk) + "?embed=1")
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"].endswith(
        "; frame-ancestors 'self' https://client.example https://www.client.example"
    )
    assert "servicedesk/frame_height.js" in response.content.decode()  # tells the embedding page its height


def test_the_confirmation_email_has_the_number_in_the_subject_and_a_stored_message_id(
    client, desk, form_data, django_capture_on_commit_callbacks, settings, eager_celery
):
    settings.SERVICEDESK_REPLY_TO = "support@desk.example"
    with django_capture_on_commit_callbacks(execute=True):
        post(client, desk, form_data)
    ticket = Ticket.objects.get()
    outbox = OutboxMessage.objects.get(address="petr@client.ru")
    assert outbox.subject.startswith(f"[#{ticket.number}] ")
    assert thread_root(ticket) == outbox.message_id
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.extra_headers["Message-ID"] == outbox.message_id
    assert sent.reply_to[0].startswith(f"support+t{ticket.pk}-")
    assert sent.reply_to[0].endswith("@desk.example")
    assert "/desk/ticket/" in sent.body


def test_the_client_waits_only_for_the_ticket_and_the_rest_follows_once(client, desk, form_data, engineer):
    response = post(client, desk, form_data)
    ticket = Ticket.objects.get()
    assert f"#{ticket.number}" in client.get(response["Location"]).content.decode()
    assert ticket.reaction_due_at and ticket.resolution_due_at
    assert ticket.contact is None
    assert not OutboxMessage.objects.exists()

    assert timers.run_due_until_idle() == 1
    ticket.refresh_from_db()
    assert ticket.contact == Contact.objects.get()
    confirmation = OutboxMessage.objects.get(address="petr@client.ru")
    assert confirmation.template == "servicedesk/ticket_received"
    assert sorted(
        ScheduledAction.objects.filter(status="pending", target_id=ticket.pk).values_list("action", flat=True)
    ) == ["servicedesk.ticket.reaction_breach", "servicedesk.ticket.resolution_breach"]

    assert timers.run_due_until_idle() == 0
    assert OutboxMessage.objects.count() == 1
    assert Contact.objects.count() == 1


def test_the_follow_up_happens_even_when_the_broker_is_down(
    client, desk, form_data, broker_down, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, desk, form_data)
    assert response.status_code == 302
    assert "the clock's beat will run them" in caplog.text
    assert timers.run_due_until_idle() == 1
    assert OutboxMessage.objects.filter(template="servicedesk/ticket_received").count() == 1


def test_the_follow_up_runs_once_right_after_commit_when_a_worker_is_there(
    client, desk, form_data, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, desk, form_data)
    assert Ticket.objects.get().contact is not None
    assert OutboxMessage.objects.filter(template="servicedesk/ticket_received").count() == 1
    assert timers.run_due_until_idle() == 0


def test_a_ticket_started_before_its_follow_up_still_gets_it_and_no_reaction_breach(client, desk, form_data, engineer):
    post(client, desk, form_data)
    ticket = Ticket.objects.get()
    services.ticket_start(ticket=ticket, by=engineer)
    timers.run_due_until_idle()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.contact is not None
    templates = list(OutboxMessage.objects.order_by("pk").values_list("template", flat=True))
    assert templates == ["servicedesk/ticket_started", "servicedesk/ticket_received"]
    pending = ScheduledAction.objects.filter(status="pending", target_id=ticket.pk)
    assert list(pending.values_list("action", flat=True)) == ["servicedesk.ticket.resolution_breach"]


def test_a_ticket_edited_from_a_copy_read_before_its_follow_up_is_followed_up_once(client, desk, form_data, engineer):
    post(client, desk, form_data)
    read_before = Ticket.objects.get()  # e.g. the card opened while the follow-up was running
    assert timers.run_due_until_idle() == 1
    services.ticket_update(ticket=read_before, by=engineer, subject="Принтер не печатает вовсе")
    assert timers.run_due_until_idle() == 0
    assert OutboxMessage.objects.filter(template="servicedesk/ticket_received").count() == 1
    assert activity.timeline(read_before).filter(verb=Activity.Verb.CREATED).count() == 1
    assert Ticket.objects.get().subject == "Принтер не печатает вовсе"


def test_the_follow_up_of_a_ticket_accepted_while_the_broker_is_down_comes_with_the_beats_tick(
    client, desk, form_data, broker_down, django_capture_on_commit_callbacks
):
    with time_machine.travel(msk(2026, 11, 20, 12, 0), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, desk, {**form_data, "rendered": stamp()}).status_code == 302
        assert Ticket.objects.get().contact is None
        traveller.shift(datetime.timedelta(seconds=30))
        run_due_actions.apply()  # the beat's tick
    ticket = Ticket.objects.get()
    assert ticket.contact is not None and not ticket.follow_up_pending
    assert OutboxMessage.objects.filter(template="servicedesk/ticket_received").count() == 1


def test_a_changed_service_or_form_key_is_seen_by_the_next_post(client, desk, form_data, service):
    assert post(client, desk, form_data).status_code == 302
    service.active = False
    service.save()
    response = post(client, desk, {**form_data, "email": "other@client.ru"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose one of the services in the list." in html.unescape(response.content.decode())


def test_a_ticket_accepted_in_one_statement_is_stored_as_save_would(client, desk, form_data):
    post(client, desk, {**form_data, "email": "Petr@Client.RU"})
    accepted = Ticket.objects.get()
    expected = Ticket.objects.get()
    expected.refresh_search_text()
    assert accepted.search_text == expected.search_text and f"#{accepted.number}" in accepted.search_text
    assert accepted.client_email_normalized == "petr@client.ru"
    assert accepted.updated_at is not None
    # Marked for its follow-up, with no clock action of its own.
    assert accepted.follow_up_pending
    assert not ScheduledAction.objects.exists()


def test_the_deadlines_are_exact_at_once_and_follow_a_calendar_change(client, desk, form_data):
    with time_machine.travel(msk(2026, 11, 20, 17, 30), tick=False):
        post(client, desk, {**form_data, "rendered": stamp()})
        CalendarDay.objects.create(date=datetime.date(2026, 11, 23), kind=CalendarDay.Kind.HOLIDAY)
        post(client, desk, {**form_data, "email": "other@client.ru", "rendered": stamp()})
    before, after = Ticket.objects.order_by("number")
    assert timezone.localtime(before.reaction_due_at) == msk(2026, 11, 23, 10, 30)
    assert timezone.localtime(after.reaction_due_at) == msk(2026, 11, 24, 10, 30)


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement intake is PostgreSQL's (SQLite uses a transaction)"
)


def _index_entries(table: str, pk: int) -> list[str]:
    """The indexes of ``table`` that hold an entry for the row ``pk`` (what its INSERT wrote)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
            [table],
        )
        indexes = cursor.fetchall()
        entered = []
        for name, predicate in indexes:
            if predicate is not None:
                cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s AND ({predicate})", [pk])  # noqa: S608
                if not cursor.fetchone()[0]:
                    continue
            entered.append(name)
    return sorted(entered)


@postgresql_only
def test_an_accepted_post_is_one_statement_and_writes_as_few_index_entries_as_the_pages_need(client, desk, form_data):
    post(client, desk, form_data)  # the process loads the settings, the services and the calendar once
    with CaptureQueriesContext(connection) as queries:
        response = post(client, desk, {**form_data, "email": "other@client.ru"})
    assert response.status_code == 302
    assert len(queries) == 1
    ticket = Ticket.objects.get(client_email="other@client.ru")
    # The columns the statement leaves to their default are empty, as save() would leave them.
    assert [ticket.contact, ticket.company, ticket.contract, ticket.created_by, ticket.follows] == [None] * 5
    assert [ticket.deferred_until, ticket.first_reaction_at, ticket.resolved_at] == [None] * 3
    assert [ticket.reaction_work_seconds, ticket.resolution_work_seconds] == [None, None]
    assert ticket.follow_up_pending and not ScheduledAction.objects.exists()
    # Each index entry is work for every post: these are the ones the boards, lists and the clock read.
    assert _index_entries("servicedesk_ticket", ticket.pk) == [
        "sd_ticket_assignee_board",
        "sd_ticket_assignee_open",
        "sd_ticket_assignee_overdue",
        "sd_ticket_board",
        "sd_ticket_client_email",
        "sd_ticket_client_token",
        "sd_ticket_created",
        "sd_ticket_follow_up_pending",
        "sd_ticket_overdue",
        "sd_ticket_resolved",
        "sd_ticket_search_trgm",
        "servicedesk_ticket_number_key",
        "servicedesk_ticket_pkey",
        "servicedesk_ticket_service_id_d3526b5a",
    ]


@postgresql_only
def test_the_intake_statement_refuses_a_ticket_with_a_column_it_does_not_store(desk, service):
    now = timezone.now()
    ticket = {"subject": "Принтер", "service": service, "contact": ContactFactory(), "source": "form"}
    with pytest.raises(ValueError, match="contact_id"):
        ticket_statement.insert_accepted(ticket, now=now)
    with pytest.raises(ValueError, match="resolved_at"):
        ticket_statement.insert_accepted({"subject": "Принтер", "resolved_at": now}, now=now)
    assert not Ticket.objects.exists()


def _stored(model, pk) -> dict:
    # The row as the database holds it, column by column (less the ones each insert numbers anew).
    skip = {"id", "number", "client_token", "target_id"}
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k not in skip}


@postgresql_only
def test_the_intake_statement_stores_every_column_as_the_model_path_would(desk, service):
    # The statement turns the services' rows into parameters without model instances; what it
    # stores must be what save() stores from the same rows (the path without PostgreSQL's
    # statement, and a staff ticket's): compared column by column, defaults and derived ones too.
    now = timezone.now()
    fields = {"subject": " Принтер ", "description": "Не печатает", "service": service, "name": "Пётр",
              "email": "Petr@Client.RU", "phone": "+7 999 123-45-67", "company": "ООО Ромашка"}  # fmt: skip
    row = {**services._ticket_row(**fields, desk=desk, calendar=worktime.current_calendar(), now=now),
           "follow_up_pending": True}  # fmt: skip
    accepted = ticket_statement.insert_accepted(row, now=now)
    by_model = Ticket(**row)
    by_model.number = accepted.number + 1
    by_model.save(force_insert=True)
    # auto_now: save() takes its own moment, the statement the row's.
    Ticket.objects.filter(pk=by_model.pk).update(updated_at=now)
    expected = _stored(Ticket, by_model.pk)
    expected["search_text"] = expected["search_text"].replace(f"#{by_model.number}", f"#{accepted.number}")
    assert _stored(Ticket, accepted.pk) == expected
    assert expected["client_email_normalized"] == "petr@client.ru" and expected["subject"] == "Принтер"
    # The instance it gives back is the row as stored.
    again = Ticket.objects.get(pk=accepted.pk)
    assert {f.attname: getattr(accepted, f.attname) for f in Ticket._meta.concrete_fields if not f.generated} == {
        f.attname: getattr(again, f.attname) for f in Ticket._meta.concrete_fields if not f.generated
    }
    assert expected["follow_up_pending"] is True


def test_the_public_pages_are_matched_before_any_other_url_pattern(client, desk):
    # Every form post is resolved against the patterns in order: the public ones are tried first.
    assert get_resolver().url_patterns[0].pattern.describe() == "'desk/'"
    assert resolve(url(desk)).view_name == "desk:form"
