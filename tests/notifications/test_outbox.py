import datetime as dt
import smtplib
from email import message_from_bytes
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from notifications import services
from notifications.channels import UnknownChannel
from notifications.models import Notification, OutboxMessage
from notifications.services import InvalidRecipient, UnknownTemplate, notify
from tests.factories import UserFactory
from tests.told import told

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
CURRENT_TIME = dt.datetime(2026, 11, 26, 10, 0, tzinfo=MOSCOW)


class FlakyESP(AnymailTestBackend):
    """An ESP (through anymail, our real boundary) that fails the next `failures` sends with `error`."""

    failures = 0
    error: Exception = AnymailAPIError("ESP unavailable", status_code=503)

    def post_to_esp(self, payload, message):
        if FlakyESP.failures:
            FlakyESP.failures -= 1
            raise FlakyESP.error
        return super().post_to_esp(payload, message)


@pytest.fixture
def flaky_esp(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyESP"
    FlakyESP.failures = 0
    FlakyESP.error = AnymailAPIError("ESP unavailable", status_code=503)
    mail.outbox = []
    return FlakyESP


def reminder(recipient, **kwargs):
    context = {"title": "Позвонить клиенту", "text": "Клиент ждёт звонка.", "link": "/crm/deals/7/"}
    return notify(recipient, "reminder", context, **kwargs)


def only_message() -> OutboxMessage:
    (message,) = OutboxMessage.objects.all()
    return message


def travel_and_sweep(moment):
    with time_machine.travel(moment, tick=False):
        return services.outbox_sweep()


def test_a_notification_in_a_rolled_back_transaction_is_never_sent(django_capture_on_commit_callbacks):
    user = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        reminder(user)
        raise RuntimeError("the deal move failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_it_sends_only_after_the_commit(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        reminder(user)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert only_message().status == OutboxMessage.Status.SENT


def test_the_same_key_twice_sends_one_email_and_one_in_app_notification(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = reminder(user, key="deal:7:feedback:10d")
        second = reminder(user, key="deal:7:feedback:10d")
    assert [m.pk for m in first] == [m.pk for m in second]
    assert OutboxMessage.objects.count() == 1
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == 1


def test_the_same_key_for_two_recipients_reaches_both(django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        reminder(alice, key="constant-missing:Clerk")
        reminder(bob, key="constant-missing:Clerk")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert Notification.objects.count() == 2


def test_an_email_carries_the_stored_message_id_the_subject_and_both_parts(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://desk.example.ru"
    user = UserFactory(first_name="Ольга", last_name="Петрова", email="olga@example.ru")
    with django_capture_on_commit_callbacks(execute=True):
        reminder(user)
    (email,) = mail.outbox
    message = only_message()
    assert email.to == ["olga@example.ru"]
    assert email.subject == "Позвонить клиенту"
    assert email.extra_headers["Message-ID"] == message.message_id
    assert message.message_id.endswith("@desk.example.ru>")
    assert "Клиент ждёт звонка." in email.body
    assert "https://desk.example.ru/crm/deals/7/" in email.body
    (html, mimetype), *_ = email.alternatives
    assert mimetype == "text/html"
    assert 'href="https://desk.example.ru/crm/deals/7/"' in html
    assert "Петрова Ольга" in html
    parsed = message_from_bytes(email.message().as_bytes())
    assert parsed["Message-ID"] == message.message_id
    assert message.status == OutboxMessage.Status.SENT
    assert message.sent_at is not None


def test_it_writes_in_the_recipients_language_and_time_zone(django_capture_on_commit_callbacks):
    english = UserFactory(language="en", time_zone="Europe/London")
    russian = UserFactory(language="ru")
    due = dt.datetime(2026, 12, 1, 12, 0, tzinfo=MOSCOW)
    with django_capture_on_commit_callbacks(execute=True):
        for user in (english, russian):
            notify(user, "reminder", {"title": "Invoice", "text": "Pay", "due": due})
    by_address = {email.to[0]: email for email in mail.outbox}
    assert "Due: 1 Dec 2026 09:00" in by_address[english.email].body
    assert "01.12.2026 12:00" in by_address[russian.email].body
    assert OutboxMessage.objects.get(address=english.email).language == "en"


def test_plain_text_is_not_html_escaped_but_html_is(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify("client@example.ru", "reminder", {"title": "ООО «Ромашка & Co»", "text": "<b>5 > 3</b>"})
    (email,) = mail.outbox
    assert email.subject == "ООО «Ромашка & Co»"
    assert "<b>5 > 3</b>" in email.body
    assert "&lt;b&gt;5 &gt; 3&lt;/b&gt;" in email.alternatives[0][0]


def test_a_contact_is_written_to_at_its_first_email_and_gets_no_in_app_notification(django_capture_on_commit_callbacks):
    contact = SimpleNamespace(full_name="Сидоров Пётр", emails=["first@example.ru", "second@example.ru"])
    with django_capture_on_commit_callbacks(execute=True):
        reminder(contact)
    assert [email.to for email in mail.outbox] == [["first@example.ru"]]
    assert "Сидоров Пётр" in mail.outbox[0].body
    assert not Notification.objects.exists()


def test_a_user_without_an_email_still_sees_the_notification_in_the_app(django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder(user) == []
    assert mail.outbox == []
    (notification,) = Notification.objects.filter(recipient=user)
    title, text = told(notification)
    assert title == "Позвонить клиенту"
    assert notification.link == "/crm/deals/7/"
    assert "Клиент ждёт звонка." in text


def test_attachments_and_threading_headers_go_with_the_email(django_capture_on_commit_callbacks):
    path = default_storage.save("invoices/schet-15.pdf", ContentFile(b"%PDF-1.4 invoice"))
    headers = {"Reply-To": "reply+token@desk.example.ru", "In-Reply-To": "<a@b>", "References": "<a@b>"}
    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru", attachments=[path], headers=headers)
    (email,) = mail.outbox
    assert email.attachments == [("schet-15.pdf", b"%PDF-1.4 invoice", "application/pdf")]
    assert email.reply_to == ["reply+token@desk.example.ru"]
    parsed = message_from_bytes(email.message().as_bytes())
    assert parsed["In-Reply-To"] == "<a@b>"
    assert parsed["References"] == "<a@b>"


def test_an_attachment_deleted_before_sending_fails_the_message_with_the_reason(django_capture_on_commit_callbacks):
    path = default_storage.save("invoices/gone.pdf", ContentFile(b"%PDF"))
    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru", attachments=[path])
        default_storage.delete(path)
    message = only_message()
    assert message.status == OutboxMessage.Status.FAILED
    assert "invoices/gone.pdf" in message.last_error
    assert mail.outbox == []


def test_the_constant_missing_template_tells_administrators_what_to_set(django_capture_on_commit_callbacks):
    admin = UserFactory(language="en")
    context = {"constant": "Clerk", "constant_name": "Делопроизводитель", "fallback": "task given to the manager"}
    with django_capture_on_commit_callbacks(execute=True):
        notify(admin, "constant_missing", {**context, "link": "/admin/admin24/globalconstant/"})
    (email,) = mail.outbox
    assert email.subject == "The global constant «Делопроизводитель» is not set"
    assert "(Clerk)" in email.body
    assert "task given to the manager" in email.body


def test_bad_input_is_refused_when_notify_is_called():
    user = UserFactory()
    with pytest.raises(UnknownTemplate):
        notify(user, "no_such_template", {})
    with pytest.raises(UnknownTemplate):
        notify(user, "../base", {})
    with pytest.raises(UnknownChannel):
        notify(user, "reminder", {"title": "t", "text": "x"}, channels=("carrier_pigeon",))
    with pytest.raises(InvalidRecipient):
        notify("not an address", "reminder", {"title": "t", "text": "x"})
    with pytest.raises(FileNotFoundError):
        notify(user, "reminder", {"title": "t", "text": "x"}, attachments=["invoices/never-saved.pdf"])
    with pytest.raises(ValueError, match="one line"):
        notify(user, "reminder", {"title": "t", "text": "x"}, headers={"In-Reply-To": "<a@b>\nBcc: all@example.ru"})
    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.exists()


@time_machine.travel(CURRENT_TIME, tick=False)
def test_an_esp_outage_is_retried_with_growing_waits_until_it_goes_through(
    flaky_esp, django_capture_on_commit_callbacks
):
    flaky_esp.failures = 2
    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru")
    message = only_message()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert message.next_attempt_at == CURRENT_TIME + dt.timedelta(minutes=1)
    assert "ESP unavailable" in message.last_error

    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(seconds=59)) == 0
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=1)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 2)
    assert message.next_attempt_at == CURRENT_TIME + dt.timedelta(minutes=3)

    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=3)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.SENT, 3, "")
    assert len(mail.outbox) == 1


@time_machine.travel(CURRENT_TIME, tick=False)
def test_an_esp_that_never_recovers_leaves_the_message_failed_with_the_reason(
    flaky_esp, django_capture_on_commit_callbacks
):
    flaky_esp.failures = 1000
    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru")
    moment = CURRENT_TIME
    for _ in range(services.MAX_ATTEMPTS + 3):
        moment += services.LONGEST_RETRY_AFTER
        travel_and_sweep(moment)
    message = only_message()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == services.MAX_ATTEMPTS
    assert "ESP unavailable" in message.last_error
    assert f"gave up after {services.MAX_ATTEMPTS} attempts" in message.last_error
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("error", "status", "attempts"),
    [
        (AnymailAPIError("invalid recipient", status_code=422), OutboxMessage.Status.FAILED, 1),
        (AnymailAPIError("slow down", status_code=429), OutboxMessage.Status.PENDING, 1),
        (smtplib.SMTPRecipientsRefused({"client@example.ru": (550, b"no such user")}), OutboxMessage.Status.FAILED, 1),
        (smtplib.SMTPServerDisconnected("connection lost"), OutboxMessage.Status.PENDING, 1),
        (smtplib.SMTPDataError(451, b"try again later"), OutboxMessage.Status.PENDING, 1),
        (smtplib.SMTPDataError(554, b"message rejected as spam"), OutboxMessage.Status.FAILED, 1),
    ],
)
def test_a_rejection_fails_at_once_while_a_hiccup_waits_for_a_retry(
    flaky_esp, django_capture_on_commit_callbacks, error, status, attempts
):
    flaky_esp.failures, flaky_esp.error = 1, error
    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru")
    message = only_message()
    assert (message.status, message.attempts) == (status, attempts)
    assert message.last_error


def test_delivering_again_after_a_successful_send_sends_nothing(django_capture_on_commit_callbacks):
    from notifications.tasks import deliver

    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru")
    message = only_message()
    deliver.delay(message.pk)
    services.outbox_deliver(message_id=message.pk)
    travel_and_sweep(dt.datetime.now(tz=MOSCOW) + dt.timedelta(hours=1))
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)


@time_machine.travel(CURRENT_TIME, tick=False)
def test_a_message_whose_worker_died_mid_send_is_sent_again_after_ten_minutes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        reminder("client@example.ru")
    message = only_message()
    # What a worker killed between the claim and the mark leaves behind.
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", claimed_at=CURRENT_TIME, attempts=1)
    services.outbox_deliver(message_id=message.pk)
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=9)) == 0
    assert mail.outbox == []
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=10, seconds=1)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id


@time_machine.travel(CURRENT_TIME, tick=False)
def test_the_broker_being_down_loses_nothing_and_the_sweeper_delivers_once(
    broker_down, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        reminder(user)
    message = only_message()
    assert message.status == OutboxMessage.Status.PENDING
    assert mail.outbox == []

    broker_down()  # the broker is back
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(seconds=30)) == 0  # too fresh: its own task may be coming
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=1)) == 1
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=2)) == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert [email.to for email in mail.outbox] == [[user.email]]


@time_machine.travel(CURRENT_TIME, tick=False)
def test_a_sweep_while_the_broker_is_still_down_keeps_the_message_for_later(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reminder("client@example.ru")
    assert travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=2)) == 0
    assert only_message().status == OutboxMessage.Status.PENDING
    assert mail.outbox == []


@time_machine.travel(CURRENT_TIME, tick=False)
def test_a_later_email_of_one_card_waits_for_the_earlier_one_that_failed(flaky_esp, django_capture_on_commit_callbacks):
    """issue 12 §9: a ticket's «received» must not arrive after its «work started»."""
    card = UserFactory()  # any stored card will do as the thread's subject
    flaky_esp.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        first = reminder("client@example.ru", target=card, key="first")[0]
    with django_capture_on_commit_callbacks(execute=True):
        second = reminder("client@example.ru", target=card, key="second")[0]
        other_reader = reminder("someone@example.ru", target=card, key="other")[0]
    first.refresh_from_db(), second.refresh_from_db(), other_reader.refresh_from_db()
    assert first.status == OutboxMessage.Status.PENDING  # the ESP failed it; it waits a minute
    assert (second.status, second.attempts) == (OutboxMessage.Status.PENDING, 0)  # held, not sent
    assert other_reader.status == OutboxMessage.Status.SENT  # another conversation is not held
    assert [m.to for m in mail.outbox] == [["someone@example.ru"]]

    travel_and_sweep(CURRENT_TIME + dt.timedelta(minutes=1))
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == second.status == OutboxMessage.Status.SENT
    sent = [m.extra_headers.get("Message-ID") or m.message()["Message-ID"] for m in mail.outbox[1:]]
    assert sent == [first.message_id, second.message_id]  # in the order they were written
