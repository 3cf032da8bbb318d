"""An outbox row keeps what to send (template, context, language, time zone, the recipient's name)
and is rendered when it is sent: the email that goes out is, part for part, what rendering it
when it was written gives (``services.render``, the path every row took before) — in Russian and
English, in time zones either side of a daylight-saving change; a delivery task renders its batch
at once; the row keeps what went out once sent; the in-app notice keeps no sentence."""

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.core import mail

from admin24.messages import Message
from notifications import services
from notifications.models import Notification, OutboxMessage
from notifications.services import StaffNotice, notify, notify_staff_many
from tests.factories import DealFactory, UserFactory
from tests.told import email, told

pytestmark = pytest.mark.django_db

ZONES = ["Europe/Moscow", "America/New_York", "Europe/London", "Asia/Vladivostok"]
DUES = [dt.datetime(2026, 3, 8, 6, 59, tzinfo=dt.UTC), dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC), None]


def written_then(template: str, context: dict, recipient) -> services.Rendered:
    """What the row's email was when rendered as it was written (the link absolute, as ``notify`` does)."""
    link = str(context.get("link") or "")
    live = {**context, "link": settings.SITE_URL + link if link.startswith("/") else link}
    return services.render(template, live, language=services._language_of(recipient), recipient=recipient)


def sent_parts(message) -> tuple[str, str, str]:
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return message.subject, message.body, html


def staff_notices():
    notices, people = [], []
    for n, (language, zone, due) in enumerate(itertools.product(("ru", "en"), ZONES, DUES)):
        user = UserFactory(language=language, time_zone=zone, first_name="Анна", last_name=f"O'Брайен & {n}")
        deal = DealFactory(title=f"Сделка <{n}> & Co")
        title = Message("crm.task.notice.new", task=f"Позвонить «{n}»")
        text = Message("crm.task.notice.new.text", task=f"Позвонить «{n}»", card=Message(
            "crm.task.notice.on.deal", title=deal.title))  # fmt: skip
        notices.append(StaffNotice(target=deal, to=user, title=title, text=text, key=f"t:{n}", due=due,
                                   template="crm/task"))  # fmt: skip
        people.append(user)
    return notices, people


def staff_context(notice: StaffNotice) -> dict:
    context = {"title": notice.title, "text": notice.text, "link": notice.target.get_absolute_url()}
    return {**context, "due": notice.due} if notice.due else context


def test_the_clocks_emails_go_out_as_they_were_rendered_when_written(django_capture_on_commit_callbacks):
    notices, people = staff_notices()
    pairs = zip(notices, people, strict=True)
    expected = {user.email: written_then(n.template, staff_context(n), user) for n, user in pairs}
    with django_capture_on_commit_callbacks(execute=True):
        notify_staff_many(notices)
        # What the batch wrote holds no rendered text: it is rendered when sent.
        assert set(OutboxMessage.objects.values_list("subject", "body_text", "body_html")) == {("", "", "")}
    assert len(mail.outbox) == len(people)
    for message in mail.outbox:
        want = expected[message.to[0]]
        assert sent_parts(message) == (want.subject, want.text, want.html)
    assert {expected[m.to[0]].subject for m in mail.outbox} >= {
        "Новая задача: Позвонить «0»",
        "New task: Позвонить «12»",
    }
    # A record of what went out, kept on the row; the in-app notice as its reader reads it.
    for row in OutboxMessage.objects.select_related("recipient_user"):
        want = expected[row.address]
        assert (row.status, row.subject, row.body_text, row.body_html) == ("sent", want.subject, want.text, want.html)
    for note in Notification.objects.select_related("recipient"):
        want = expected[note.recipient.email]
        assert told(note) == (want.subject, want.summary)


def test_a_clients_email_with_headers_and_an_address_goes_out_as_written(django_capture_on_commit_callbacks):
    context = {"ticket_number": 1042, "subject": "Ромашка & Co <b>\"срочно\"</b>", "client_name": "Пётр",
               "link": "https://desk.example/t/1:abc/?a=1&b=2"}  # fmt: skip
    want = written_then("servicedesk/ticket_received", context, "client@example.ru")
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify("client@example.ru", "servicedesk/ticket_received", context, headers={"Reply-To": "r@x.ru"})
    [message] = mail.outbox
    assert sent_parts(message) == (want.subject, want.text, want.html)
    assert message.extra_headers["Message-ID"] == row.message_id and message.reply_to == ["r@x.ru"]


def test_a_telegram_row_is_told_its_own_parts_and_the_outbox_shows_a_pending_row_as_it_will_go():
    user = UserFactory(language="en", time_zone="Asia/Vladivostok", telegram_chat_id=777)
    context = {"title": "Ромашка & Co", "text": "Две строки\nи <b>теги</b>", "link": "/crm/deals/7/",
               "due": dt.datetime(2026, 12, 31, 21, 0, tzinfo=dt.UTC)}  # fmt: skip
    want = written_then("reminder", context, user)
    rows = {row.channel: row for row in notify(user, "reminder", context, channels=("email", "telegram"))}
    telegram, mailed = email(rows["telegram"]), email(rows["email"])
    assert (telegram.subject, telegram.body_text, telegram.body_html) == (want.subject, want.summary, want.telegram)
    assert (mailed.subject, mailed.body_text, mailed.body_html) == (want.subject, want.text, want.html)
    assert "Due: 1 Jan 2027 07:00" in mailed.body_text  # Vladivostok, UTC+10
    rows["email"].refresh_from_db()
    assert rows["email"].subject == ""  # shown, not stored


def test_a_delivery_task_renders_its_batch_at_once(renders, django_capture_on_commit_callbacks):
    people = [UserFactory(language="ru", time_zone="Europe/Moscow", last_name=f"Инженер {n}") for n in range(20)]
    due = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    notices = [StaffNotice(target=DealFactory(), to=user, title=f"Позвонить {n}", text=f"Клиент {n} ждёт.", key=None,
                           due=due + dt.timedelta(hours=n)) for n, user in enumerate(people)]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        notify_staff_many(notices)
        renders.clear()  # the deliveries run when the block commits
    assert len(mail.outbox) == 20
    # Once with stand-ins and once to check them, for all twenty: not once an email.
    assert renders["notifications/reminder/body.html"] == 2
    assert "Клиент 7 ждёт." in next(m.body for m in mail.outbox if m.to[0] == people[7].email)


def test_a_row_whose_template_is_gone_fails_for_good(django_capture_on_commit_callbacks):
    [row] = notify("client@example.ru", "reminder", {"title": "t", "text": "x"})
    OutboxMessage.objects.filter(pk=row.pk).update(template="removed_since")
    services.outbox_deliver(message_id=row.pk)
    row.refresh_from_db()
    assert (row.status, mail.outbox) == ("failed", [])
    assert "removed_since" in row.last_error
