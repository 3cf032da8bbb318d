"""The IMAP poller against a real dovecot: each message processed once, moved, never deleted."""

import imaplib
from datetime import timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk.intake.email import mailbox, sweep
from servicedesk.models import DeskSettings, InboundEmail, Ticket

from . import dovecot

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("eager_celery"),
    pytest.mark.skipif(dovecot.DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)"),
]


@pytest.fixture
def imap():
    process, server = dovecot.start()
    yield server
    dovecot.stop(process, server)


def _client(server):
    client = imaplib.IMAP4(server.host, server.port)
    client.login(server.login, server.password)
    return client


def _append(server, n, ids=None):
    client = _client(server)
    for i in ids if ids is not None else range(n):
        message = EmailMessage()
        message["From"] = f"Клиент {i} <client{i}@example.ru>"
        message["To"] = "support@example.ru"
        message["Subject"] = f"Заявка по почте {i}"
        message["Message-ID"] = f"<imap{i}@example.ru>"
        message.set_content(f"Текст письма {i}")
        client.append("INBOX", None, None, message.as_bytes())
    client.logout()


def _count(server, folder):
    client = _client(server)
    kind, data = client.select(f'"{folder}"')
    client.logout()
    return int(data[0]) if kind == "OK" else None


def _configure(server, **extra):
    desk = DeskSettings.load()
    desk.imap_host, desk.imap_port, desk.imap_security = server.host, server.port, "none"
    desk.imap_login, desk.imap_password = server.login, server.password
    for name, value in extra.items():
        setattr(desk, f"imap_{name}", value)
    desk.save()


def test_the_poller_processes_each_message_once_and_moves_it(imap, django_capture_on_commit_callbacks):
    _append(imap, 3)
    _configure(imap)
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 3
    assert InboundEmail.objects.filter(status="processed", source="imap").count() == 3
    assert Ticket.objects.filter(source="email").count() == 3
    assert _count(imap, "INBOX") == 0
    assert _count(imap, "Admin24/Processed") == 3  # created, and nothing deleted
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 0
    _append(imap, 1)  # the same Message-ID as before, delivered again
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 1
    assert Ticket.objects.filter(source="email").count() == 3
    assert DeskSettings.load().imap_last_error == ""


def test_a_burst_is_stored_with_one_insert_and_each_message_processed_once(imap, django_capture_on_commit_callbacks):
    _append(imap, 0, ids=[0, 1, 2, 1, 3, 4])  # the same message twice in one burst
    _configure(imap)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        assert mailbox.poll() == 6
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "servicedesk_inboundemail"')]
    assert len(inserts) == 1  # the burst in one statement, not one per message
    assert InboundEmail.objects.filter(status="processed", source="imap").count() == 5
    assert sorted(Ticket.objects.filter(source="email").values_list("subject", flat=True)) == [
        f"Заявка по почте {i}" for i in range(5)
    ]
    assert _count(imap, "INBOX") == 0
    assert _count(imap, "Admin24/Processed") == 6  # both copies moved, none deleted
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 0
    assert InboundEmail.objects.count() == 5 and Ticket.objects.filter(source="email").count() == 5


def test_an_empty_mailbox_is_polled_without_an_error(imap):
    _configure(imap)
    assert mailbox.poll() == 0
    assert DeskSettings.load().imap_last_error == "" and DeskSettings.load().imap_polled_at is not None


def test_a_burst_read_again_after_a_crash_is_not_processed_twice(imap, django_capture_on_commit_callbacks):
    _append(imap, 3)
    _configure(imap, processed_folder="")  # the mail stays: as if the poller died before moving it
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 3
    DeskSettings.objects.update(imap_last_uid=0)  # ... and before it remembered the last UID
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 3  # read again
    assert InboundEmail.objects.count() == 3 and Ticket.objects.filter(source="email").count() == 3
    assert all(row.raw.read() for row in InboundEmail.objects.all())  # each raw file kept


def test_a_burst_stored_while_no_worker_runs_is_processed_by_the_sweeper(imap):
    from config.celery import app

    _append(imap, 3)
    _configure(imap)
    app.conf.task_always_eager = False  # the kick goes to a broker no worker reads (restored by the fixture)
    assert mailbox.poll() == 3
    assert InboundEmail.objects.filter(status="received").count() == 3
    assert sweep() == 0  # too fresh: its task may still come
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep() == 3
    assert InboundEmail.objects.filter(status="processed").count() == 3
    assert Ticket.objects.filter(source="email").count() == 3


def test_bursts_keep_to_a_batch_of_messages_and_of_bytes():
    from servicedesk.intake.email import store

    assert [len(b) for b in store.bursts(range(250), lambda uid: 1)] == [100, 100, 50]
    big = store.BATCH_BYTES // 2
    assert list(store.bursts([1, 2, 3, 4], lambda uid: big if uid != 3 else store.BATCH_BYTES * 2)) == [
        [1, 2],
        [3],  # larger than a burst alone: a burst of one
        [4],
    ]


def test_without_a_processed_folder_mail_stays_and_is_read_once(imap, django_capture_on_commit_callbacks):
    _append(imap, 2)
    _configure(imap, processed_folder="")
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox.poll() == 2
        assert mailbox.poll() == 0
    assert _count(imap, "INBOX") == 2


def test_a_failing_server_backs_off_and_shows_its_error(imap):
    _configure(imap, password="wrong")
    assert mailbox.poll() == 0
    desk = DeskSettings.load()
    assert desk.imap_last_error and desk.imap_failures == 1 and desk.imap_retry_at
    assert mailbox.poll() == 0
    assert DeskSettings.load().imap_failures == 1  # waited: not tried again at once


def test_the_settings_page_stores_the_mailbox_with_a_write_only_password(client, imap):
    from django.urls import reverse

    from admin24.roles import Role
    from tests.factories import ServiceFactory, UserFactory

    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    service = ServiceFactory()
    form = {
        "section": "email",
        "email_service": service.pk,
        "reopen_window_days": 30,
        "email_tickets_per_hour": 20,
        "email_attach_max_mb": 10,
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_security": "none",
        "imap_login": imap.login,
        "password": "wrong-one",
        "imap_folder": "INBOX",
        "imap_processed_folder": "Admin24/Processed",
    }
    assert client.post(reverse("servicedesk:settings"), form).status_code == 302
    desk = DeskSettings.load()
    assert desk.email_service == service and desk.imap_password == "wrong-one"
    mailbox.poll()
    page = client.get(reverse("servicedesk:settings")).content.decode()
    assert "wrong-one" not in page
    assert "AUTHENTICATIONFAILED" in page or "authentication" in page.lower()
    # An empty password keeps the stored one.
    client.post(reverse("servicedesk:settings"), {**form, "password": ""})
    assert DeskSettings.load().imap_password == "wrong-one"
