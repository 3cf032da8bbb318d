"""Inbound email (issue 14): replies become comments, new emails become tickets, noise is ignored."""

import base64
import random
import subprocess
import sys
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin24 import timers
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver
from servicedesk import services
from servicedesk.emails import reply_address
from servicedesk.intake.email import ingest, ingest_many, sweep
from servicedesk.models import InboundEmail, Ticket, TicketComment, TicketSource, TicketStatus
from tests.factories import ServiceFactory, UserFactory
from tests.told import email as told_email
from tests.told import titles as told_titles
from tests.told import told as told_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def ticket(django_capture_on_commit_callbacks):
    engineer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        made = services.create_ticket(
            subject="Не работает принтер",
            name="Иван Петров",
            email="ivan@client.ru",
            service=ServiceFactory(responsible=engineer),
        )
    return made


def _outbox(ticket):
    return OutboxMessage.objects.filter(target_id=ticket.pk, address=ticket.client_email).order_by("pk")


def _reply(ticket, body="Принтер снова не печатает.", *, sender="Иван Петров <ivan@client.ru>", **headers):
    sent = _outbox(ticket).first()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = reply_address(ticket)
    message["Subject"] = f"Re: [#{ticket.number}] {ticket.subject}"
    message["Message-ID"] = make_msgid(domain="client.ru")
    if sent is not None and headers.pop("thread", True):
        message["In-Reply-To"] = sent.message_id
        message["References"] = sent.message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _ingest(raw, capture, source="pipe"):
    with capture(execute=True):
        row = ingest(raw if isinstance(raw, bytes) else raw.as_bytes(), source=source)
    row.refresh_from_db()
    return row


def test_a_reply_becomes_one_client_comment_and_tells_the_assignee(ticket, django_capture_on_commit_callbacks):
    raw = _reply(
        ticket, "Принтер снова не печатает.\n\n1 дек. 2026 г., в 10:00, Поддержка <s@x.ru> написал(а):\n> старое"
    )
    row = _ingest(raw, django_capture_on_commit_callbacks)
    assert row.status == InboundEmail.Status.PROCESSED, row.reason_text
    comment = TicketComment.objects.get(ticket=ticket, from_client=True)
    assert comment.source == TicketComment.Source.EMAIL
    assert "Принтер снова не печатает." in comment.body and "старое" not in comment.body
    assert any(str(ticket.number) in t for t in told_titles(ticket.assignee.notifications.all()))
    # The original is kept for staff only.
    original = comment.attachments.get()
    assert original.staff_only and original.content_type == "message/rfc822"
    # The same message again (a provider re-delivers) adds nothing.
    again = _ingest(raw, django_capture_on_commit_callbacks)
    assert again.pk == row.pk
    assert TicketComment.objects.filter(ticket=ticket, from_client=True).count() == 1


def test_the_client_page_never_shows_the_original(ticket, client, django_capture_on_commit_callbacks):
    _ingest(_reply(ticket), django_capture_on_commit_callbacks)
    from servicedesk.emails import client_page_path

    page = client.get(client_page_path(ticket))
    assert "Принтер снова не печатает." in page.content.decode()
    assert "original.eml" not in page.content.decode()


@pytest.mark.parametrize(
    "charset,transfer",
    [("utf-8", "base64"), ("windows-1251", "quoted-printable"), ("koi8-r", "8bit"), ("iso-8859-5", "base64")],
)
def test_every_russian_charset_is_read(ticket, charset, transfer, django_capture_on_commit_callbacks):
    message = _reply(ticket)
    message.set_content("Спасибо, всё работает!", charset=charset, cte=transfer)
    row = _ingest(message, django_capture_on_commit_callbacks)
    assert row.status == InboundEmail.Status.PROCESSED
    assert "Спасибо, всё работает!" in TicketComment.objects.get(ticket=ticket, from_client=True).body


def test_a_wrong_declared_charset_and_split_encoded_words(ticket, django_capture_on_commit_callbacks):
    word = "Принтер".encode()
    subject = f"=?utf-8?b?{base64.b64encode(word[:3]).decode()}?=\r\n =?utf-8?b?{base64.b64encode(word[3:]).decode()}?="
    body = "Добрый день, проблема осталась, принтер пишет ошибку".encode("cp1251")
    raw = (
        b"From: =?koi8-r?b?" + base64.b64encode("Иван".encode("koi8-r")) + b"?= <ivan@client.ru>\r\n"
        b"To: " + reply_address(ticket).encode() + b"\r\nSubject: " + subject.encode() + b"\r\n"
        b"Message-ID: <split@client.ru>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )
    row = _ingest(raw, django_capture_on_commit_callbacks)
    assert row.subject == "Принтер"
    assert row.status == InboundEmail.Status.PROCESSED, row.reason_text
    assert "проблема осталась" in TicketComment.objects.get(ticket=ticket, from_client=True).body


def test_html_only_mail_is_sanitised_into_text(ticket, django_capture_on_commit_callbacks):
    message = _reply(ticket)
    message.set_content("<p>Всё <b>ещё</b> не работает</p><script>alert(1)</script>", subtype="html")
    _ingest(message, django_capture_on_commit_callbacks)
    body = TicketComment.objects.get(ticket=ticket, from_client=True).body
    assert "Всё ещё не работает" in body and "script" not in body and "alert" not in body


@pytest.mark.parametrize(
    "quote",
    [
        "вт, 1 дек. 2026 г. в 10:05, Поддержка <support@example.ru>:",
        "Вторник, 1 декабря 2026, 10:05 +03:00 от Поддержка <support@example.ru>:",
        "01.12.2026 10:05, Поддержка пишет:",
        "1 дек. 2026 г., в 10:05, Поддержка <support@example.ru> написал(а):",
        "-----Исходное сообщение-----",
        "От: Поддержка <support@example.ru>\nОтправлено: 1 декабря 2026 г. 10:05\nКому: ivan@client.ru\nТема: [#1]",
    ],
    ids=["gmail", "mailru", "thunderbird", "apple", "outlook-original", "outlook-ru"],
)
def test_the_quoted_history_of_each_mail_program_is_cut(ticket, quote, django_capture_on_commit_callbacks):
    body = f"Новый ответ клиента\n\n-- \nИван, отдел ИТ\n\n{quote}\nСтарый текст поддержки\n> цитата"
    _ingest(_reply(ticket, body), django_capture_on_commit_callbacks)
    text = TicketComment.objects.get(ticket=ticket, from_client=True).body
    assert "Новый ответ клиента" in text
    assert "Старый текст" not in text and "отдел ИТ" not in text


def test_a_forward_of_someone_elses_message_is_kept(ticket, django_capture_on_commit_callbacks):
    body = "Вот что пришло от поставщика\n\n-------- Пересылаемое сообщение --------\nОт: vendor@v.ru\nСчёт готов"
    _ingest(_reply(ticket, body), django_capture_on_commit_callbacks)
    assert "Счёт готов" in TicketComment.objects.get(ticket=ticket, from_client=True).body


def test_a_new_email_opens_a_ticket_whose_confirmation_threads_to_it(django_capture_on_commit_callbacks):
    service = ServiceFactory(responsible=UserFactory())
    desk = services.DeskSettings.load()
    desk.email_service = service
    desk.save()
    message = EmailMessage()
    message["From"] = "Мария <maria@new.ru>"
    message["To"] = "support@example.ru"
    message["Subject"] = "Нужен доступ к 1С"
    message["Message-ID"] = "<first@new.ru>"
    message.set_content("Прошу выдать доступ.")
    message.add_attachment(b"%PDF-1.4 test", maintype="application", subtype="pdf", filename="заявка.pdf")
    message.add_attachment(b"MZ\x90\x00evil", maintype="application", subtype="octet-stream", filename="run.exe")
    row = _ingest(message, django_capture_on_commit_callbacks)
    assert row.status == InboundEmail.Status.PROCESSED, row.reason_text
    ticket = Ticket.objects.get(client_email="maria@new.ru")
    assert ticket.source == TicketSource.EMAIL and ticket.service == service and ticket.subject == "Нужен доступ к 1С"
    assert ticket.assignee == service.responsible
    with django_capture_on_commit_callbacks(execute=True):
        timers.run_due_until_idle()
    confirmation = _outbox(ticket).get()
    assert confirmation.headers["In-Reply-To"] == "<first@new.ru>"
    assert confirmation.headers["Auto-Submitted"] == "auto-generated"
    names = set(ticket.attachments.values_list("original_name", flat=True))
    assert "заявка.pdf" in names and "run.exe" not in names
    note = ticket.comments.get(public=False)
    assert "run.exe" in note.body
    assert ticket.contact is not None


def test_auto_replies_write_nothing_and_send_nothing(ticket, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    before = OutboxMessage.objects.count()
    for header, value in [("Auto-Submitted", "auto-replied"), ("Precedence", "bulk"), ("X-Autoreply", "yes")]:
        raw = _reply(ticket, "Я в отпуске до 10 декабря", **{header: value})
        row = _ingest(raw, django_capture_on_commit_callbacks)
        assert row.status == InboundEmail.Status.IGNORED and row.reason == "auto_reply"
    assert not ticket.comments.filter(from_client=True).exists()
    assert OutboxMessage.objects.count() == before


def _bounce(original_id, *, exchange=False):
    report = EmailMessage()
    report["From"] = "MAILER-DAEMON@mx.example.ru (Mail Delivery System)"
    report["To"] = "noreply@localhost"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Auto-Submitted"] = "auto-replied"
    report["Message-ID"] = make_msgid(domain="mx.example.ru")
    report.set_content(
        "This is the mail system at host mx.example.ru.\n\n<ivan@client.ru>: host said: 550 5.1.1 User unknown"
    )
    if exchange:
        report.add_attachment(
            f"Message-ID: {original_id}\nSubject: test\n".encode(), maintype="text", subtype="rfc822-headers"
        )
    else:
        original = EmailMessage()
        original["Message-ID"] = original_id
        original["Subject"] = "[#1] test"
        original.set_content("hi")
        report.add_attachment(original)
    return report


@pytest.mark.parametrize("exchange", [False, True], ids=["postfix", "exchange"])
def test_a_bounce_marks_the_outbox_row_failed(ticket, exchange, django_capture_on_commit_callbacks):
    sent = _outbox(ticket).first()
    row = _ingest(_bounce(sent.message_id, exchange=exchange), django_capture_on_commit_callbacks)
    assert row.status == InboundEmail.Status.IGNORED and row.reason == "bounce"
    sent.refresh_from_db()
    assert sent.status == OutboxMessage.Status.FAILED and "User unknown" in sent.last_error
    assert not ticket.comments.filter(from_client=True).exists()


def test_a_strangers_subject_tag_does_not_write_into_the_ticket(ticket, django_capture_on_commit_callbacks):
    raw = _reply(ticket, "Чужое письмо", sender="stranger@evil.ru", thread=False)
    del raw["To"]
    raw["To"] = "support@example.ru"
    row = _ingest(raw, django_capture_on_commit_callbacks)
    assert row.reason == "new_ticket"
    assert not ticket.comments.filter(from_client=True).exists()


def test_a_colleague_with_a_valid_token_lands_on_the_ticket(ticket, django_capture_on_commit_callbacks):
    raw = _reply(ticket, "Добавлю от себя", sender="Олег <oleg@client.ru>", thread=False)
    row = _ingest(raw, django_capture_on_commit_callbacks)
    assert row.reason == "colleague"
    comment = ticket.comments.get(from_client=True)
    assert comment.author_name == "oleg@client.ru"


def test_a_reply_to_a_done_ticket_reopens_it_within_the_window_and_opens_a_new_one_after(
    ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_complete(ticket=ticket, by=None)
    _ingest(_reply(ticket, "Опять сломалось"), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_complete(ticket=ticket, by=None)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        row = _ingest(_reply(ticket, "Через месяц снова"), django_capture_on_commit_callbacks)
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.DONE
        assert row.reason == "follow_up_ticket"
        assert row.ticket.follows == ticket and row.ticket.comments.filter(from_client=True).exists()


def test_a_reply_to_a_deferred_ticket_resumes_it(ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_defer(ticket=ticket, by=None)
    _ingest(_reply(ticket, "Вот данные, которые вы просили"), django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_a_message_without_message_id_is_deduplicated_by_digest(ticket, django_capture_on_commit_callbacks):
    raw = _reply(ticket)
    del raw["Message-ID"]
    first = _ingest(raw, django_capture_on_commit_callbacks)
    second = _ingest(raw, django_capture_on_commit_callbacks)
    assert first.pk == second.pk and first.dedupe_key.startswith("digest:")


def test_a_burst_stores_only_what_was_not_stored_before_in_one_insert(ticket, django_capture_on_commit_callbacks):
    stored_before, second, third = (_reply(ticket, f"Письмо {i}").as_bytes() for i in range(3))
    earlier = _ingest(stored_before, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        rows = ingest_many([second, stored_before, second, third], source="imap")
    sql = [query["sql"] for query in queries.captured_queries]
    assert len([q for q in sql if q.startswith('INSERT INTO "servicedesk_inboundemail"')]) == 1
    assert rows[1].pk == earlier.pk and rows[0].pk == rows[2].pk
    assert len({row.pk for row in rows}) == 3 and InboundEmail.objects.count() == 3
    assert [row.raw.read() for row in InboundEmail.objects.order_by("pk")] == [stored_before, second, third]
    assert ticket.comments.filter(body__contains="Письмо").count() == 3  # each processed once


def test_broken_mime_is_quarantined_with_its_raw_bytes(django_capture_on_commit_callbacks):
    raw = b"From: a@b.ru\r\nSubject: x\r\nMessage-ID: <broken@b.ru>\r\nContent-Type: multipart/mixed\r\n\r\ngarbage\r\n"
    row = _ingest(raw, django_capture_on_commit_callbacks)
    assert row.status == InboundEmail.Status.QUARANTINED and row.reason_text
    assert row.raw.read() == raw


def test_a_flood_from_one_sender_is_quarantined(django_capture_on_commit_callbacks):
    desk = services.DeskSettings.load()
    desk.email_tickets_per_hour = 2
    desk.save()
    statuses = []
    for n in range(3):
        message = EmailMessage()
        message["From"] = "bot@spam.ru"
        message["Subject"] = f"Письмо {n}"
        message["Message-ID"] = f"<flood{n}@spam.ru>"
        message.set_content("текст")
        statuses.append(_ingest(message, django_capture_on_commit_callbacks).status)
    assert statuses == ["processed", "processed", "quarantined"]


@pytest.mark.parametrize("address", ["ivan..petrov@client.ru", "ivan@client", "ivan petrov@client.ru"])
def test_mail_from_an_address_that_is_no_address_is_quarantined(ticket, address, django_capture_on_commit_callbacks):
    """Found by the fuzz: the ticket was opened and its follow-up (the CRM contact) failed on every
    retry. Now the message is quarantined with the address named, whether it is new or a reply."""
    new = EmailMessage()
    new["From"] = f"Иван <{address}>"
    new["Subject"] = "Не работает почта"
    new["Message-ID"] = make_msgid(domain="client.ru")
    new.set_content("Помогите")
    reply = _reply(ticket, sender=f"Иван <{address}>")
    rows = [_ingest(message, django_capture_on_commit_callbacks) for message in (new, reply)]
    assert [(row.status, row.reason) for row in rows] == [(InboundEmail.Status.QUARANTINED, "bad_sender")] * 2
    assert address in rows[0].reason_text
    assert Ticket.objects.count() == 1 and not ticket.comments.filter(from_client=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        timers.run_due_until_idle()  # nothing left to fail


def test_the_sweeper_processes_what_was_left(ticket):
    row = ingest(_reply(ticket).as_bytes(), source="imap")  # no commit hooks run: as after a crash
    assert row.status == InboundEmail.Status.RECEIVED
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep() == 1
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSED


def test_the_pipe_command_stores_from_stdin(ticket):
    from io import BytesIO

    from django.core.management import call_command

    call_command("ingest_email", stdin=BytesIO(_reply(ticket).as_bytes()))
    assert ticket.comments.filter(from_client=True, source=TicketComment.Source.EMAIL).count() == 1


@pytest.mark.django_db(transaction=False)
def test_the_pipe_command_exits_75_when_the_database_is_unreachable(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/nothing",
        "VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "ingest_email"],
        input=b"From: a@b.ru\r\nSubject: x\r\n\r\nhello\r\n",
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 75, done.stderr.decode()[-2000:]


def test_anymail_inbound_signal_stores_the_message(ticket, django_capture_on_commit_callbacks):
    from anymail.inbound import AnymailInboundMessage
    from anymail.signals import AnymailInboundEvent, inbound

    message = AnymailInboundMessage.parse_raw_mime_bytes(_reply(ticket, "Ответ через ESP").as_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        inbound.send(sender=object, event=AnymailInboundEvent(message=message, event_type="inbound"), esp_name="Test")
    row = InboundEmail.objects.get()
    assert row.source == "esp" and row.status == InboundEmail.Status.PROCESSED
    assert "Ответ через ESP" in ticket.comments.get(from_client=True).body


def test_a_staff_comments_files_are_attached_to_the_clients_email_up_to_the_cap(
    ticket, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from admin24.roles import Role

    staff = UserFactory(roles=[Role.ADMINISTRATOR])
    pdf = b"%PDF-1.4 " + b"x" * 2000
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(
            ticket=ticket, author=staff, body="Акт во вложении", files=[SimpleUploadedFile("акт.pdf", pdf)]
        )
    small = _outbox(ticket).filter(template="servicedesk/ticket_comment").get()
    assert len(small.attachments) == 1 and small.headers.get("Auto-Submitted") is None
    outbox_deliver(message_id=small.pk)
    received = [m for m in mail.outbox if m.to == [ticket.client_email]][-1]
    assert [(name, content) for name, content, _type in received.attachments] == [("акт.pdf", pdf)]
    desk = services.DeskSettings.load()
    desk.email_attach_max_mb = 1
    desk.save()
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4 " + b"x" * (1024 * 1024 + 10))
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket=ticket, author=staff, body="Большой файл", files=[big])
    last = told_email(_outbox(ticket).filter(template="servicedesk/ticket_comment").last())
    assert last.attachments == [] and "big.pdf" in last.body_text and "/desk/" in last.body_text


def test_the_ticket_card_marks_a_client_address_that_bounces(ticket, client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from admin24.roles import Role

    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    card = reverse("servicedesk:ticket", args=[ticket.pk])
    assert 'data-warning="bounced"' not in client.get(card).content.decode()
    _ingest(_bounce(_outbox(ticket).first().message_id), django_capture_on_commit_callbacks)
    page = client.get(card).content.decode()
    assert 'data-warning="bounced"' in page and "письма клиенту возвращаются" in page
    assert "Наше письмо вернулось недоставленным" in page and "User unknown" in page
    # A colleague's email on the ticket says nothing of the client's address: the mark stays.
    colleague = _reply(ticket, "Добавлю от себя", sender="Пётр <petr@client.ru>")
    assert _ingest(colleague, django_capture_on_commit_callbacks).reason == "colleague"
    assert 'data-warning="bounced"' in client.get(card).content.decode()
    # The client writes from that address again: it works, the mark goes.
    _ingest(_reply(ticket, "Ящик снова работает"), django_capture_on_commit_callbacks)
    assert 'data-warning="bounced"' not in client.get(card).content.decode()


def _big_message(ticket, megabytes=25):
    message = _reply(ticket, "Журнал сервера во вложении")
    message.add_attachment(
        b"%PDF-1.4 " + random.Random(25).randbytes(megabytes * 1024 * 1024),
        maintype="application",
        subtype="pdf",
        filename="журнал.pdf",
    )
    return message.as_bytes()


@pytest.mark.parametrize("limit_mb", [20, 30], ids=["above-the-file-limit", "within-it"])
def test_a_25_mb_message_is_stored_and_its_file_refused_or_kept_by_the_limit(
    ticket, limit_mb, django_capture_on_commit_callbacks
):
    import tracemalloc

    desk = services.DeskSettings.load()
    desk.max_file_mb = limit_mb
    desk.save()
    raw = _big_message(ticket)
    assert len(raw) > 25 * 1024 * 1024
    tracemalloc.start()
    try:
        row = _ingest(raw, django_capture_on_commit_callbacks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert row.status == InboundEmail.Status.PROCESSED and row.size == len(raw)
    assert row.raw.size == len(raw)
    comment = ticket.comments.get(from_client=True)
    assert "Журнал сервера во вложении" in comment.body
    names = set(comment.attachments.values_list("original_name", flat=True))
    if limit_mb == 20:
        assert names == {"original.eml"}
        assert "журнал.pdf" in ticket.comments.get(public=False).body
    else:
        assert names == {"original.eml", "журнал.pdf"}
        assert not ticket.comments.filter(public=False).exists()
    # Memory is a fixed multiple of the message (measured 9.7×: the parser's text, the decoded file,
    # the checks), not more; a worker's batch stops at store.BATCH_BYTES of raw mail.
    assert peak < 11 * len(raw), f"peak {peak / len(raw):.1f}× the message"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_an_inline_image_is_a_file_named_where_it_stood_in_outlooks_text(ticket, django_capture_on_commit_callbacks):
    cid = "image001.png@01DA1B2C.3D4E5F60"
    message = _reply(ticket, f"Вот что показывает принтер:\n[cid:{cid}]\nЧто делать?")
    message.add_alternative(
        f'<p>Вот что показывает принтер:</p><img src="cid:{cid}"><p>Что делать?</p>', subtype="html"
    )
    message.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid=f"<{cid}>")
    _ingest(message, django_capture_on_commit_callbacks)
    comment = TicketComment.objects.get(ticket=ticket, from_client=True)
    assert "Вот что показывает принтер:<br>[image001.png]<br>Что делать?" in comment.body
    assert "cid:" not in comment.body
    assert "image001.png" in set(comment.attachments.values_list("original_name", flat=True))


def test_html_only_mail_marks_its_inline_images_and_not_remote_ones(ticket, django_capture_on_commit_callbacks):
    message = _reply(ticket)
    message.set_content(
        '<p>Ошибка:</p><img src="cid:ii_m1x2y3"><p>и ещё</p><img src="cid:part2.A1B2@mail.ru">'
        '<img src="https://tracker.example/pixel.gif" alt="pixel">',
        subtype="html",
    )
    message.add_related(PNG, maintype="image", subtype="png", cid="<ii_m1x2y3>", filename="screenshot.png")
    message.add_related(PNG, maintype="image", subtype="png", cid="<part2.A1B2@mail.ru>")
    _ingest(message, django_capture_on_commit_callbacks)
    comment = TicketComment.objects.get(ticket=ticket, from_client=True)
    assert "Ошибка:<br>[screenshot.png]<br>и ещё<br>[image.png]</p>" in comment.body  # no mark for the remote one
    assert sorted(comment.attachments.values_list("original_name", flat=True)) == [
        "image.png",
        "original.eml",
        "screenshot.png",
    ]
