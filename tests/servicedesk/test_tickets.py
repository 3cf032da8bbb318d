"""Tickets: SLA deadlines and breaches, deferral, the client's emails — by travelling in time.

The working calendar is the default one: Mon–Fri 09:00–18:00 Moscow time.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from admin24 import timers
from admin24.models import ScheduledAction
from admin24.roles import Role
from admin24.workflow import MoveRefused
from notifications.models import Notification, OutboxMessage
from servicedesk import services
from servicedesk.emails import client_page_url, thread_root
from servicedesk.models import TicketComment, TicketStatus
from tests.factories import ServiceFactory, UserFactory
from tests.told import emails, titles
from tests.told import titles as told_titles
from tests.told import told as told_of

from .conftest import msk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]


FRIDAY_1730 = msk(2026, 11, 20, 17, 30)


def create(when, service, **fields):
    fields.setdefault("subject", "Не работает почта")
    fields.setdefault("email", "client@client.ru")
    fields.setdefault("name", "Клиент Клиентович")
    with time_machine.travel(when, tick=False):
        return services.create_ticket(service=service, source="form", **fields)


def clock(when):
    with time_machine.travel(when, tick=False):
        timers.run_due_until_idle()


def client_emails(ticket):
    return emails(OutboxMessage.objects.filter(address=ticket.client_email).order_by("pk"))


def test_friday_1730_with_two_working_hours_to_react_is_due_monday_1030(desk, service):
    desk.reaction_time = datetime.timedelta(hours=2)
    desk.resolution_time = datetime.timedelta(hours=8)
    desk.save()
    ticket = create(FRIDAY_1730, service)
    assert timezone.localtime(ticket.reaction_due_at) == msk(2026, 11, 23, 10, 30)
    assert timezone.localtime(ticket.resolution_due_at) == msk(2026, 11, 23, 16, 30)
    assert ticket.status == TicketStatus.NEW


def test_a_service_may_override_the_global_times(desk, engineer):
    fast = ServiceFactory(responsible=engineer, reaction_time=datetime.timedelta(minutes=30))
    ticket = create(msk(2026, 11, 23, 10, 0), fast)
    assert timezone.localtime(ticket.reaction_due_at) == msk(2026, 11, 23, 10, 30)


def test_a_reaction_breach_flags_the_ticket_and_tells_assignee_and_supervisor_once(
    desk, service, engineer, support_head
):
    ticket = create(FRIDAY_1730, service)
    clock(msk(2026, 11, 23, 10, 29))
    ticket.refresh_from_db()
    assert not ticket.reaction_breached
    assert Notification.objects.count() == 0

    clock(msk(2026, 11, 23, 10, 30))
    ticket.refresh_from_db()
    assert ticket.reaction_breached
    assert ticket.is_overdue
    told = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert told == ["engineer", "support_head"]

    clock(msk(2026, 11, 23, 12, 0))
    assert Notification.objects.count() == 2


def test_no_reaction_breach_when_work_started_in_time(desk, service, engineer):
    ticket = create(FRIDAY_1730, service)
    with time_machine.travel(msk(2026, 11, 23, 9, 15), tick=False):
        services.ticket_start(ticket=ticket, by=engineer)
    clock(msk(2026, 11, 23, 11, 0))
    ticket.refresh_from_db()
    assert not ticket.reaction_breached
    assert timezone.localtime(ticket.first_reaction_at) == msk(2026, 11, 23, 9, 15)
    assert sum("reaction" in t for t in told_titles(Notification.objects.all())) == 0


def test_a_resolution_breach_is_told_once_even_after_the_ticket_moves(desk, service, engineer, support_head):
    desk.resolution_time = datetime.timedelta(hours=4)
    desk.save()
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with time_machine.travel(msk(2026, 11, 23, 10, 5), tick=False):
        services.ticket_start(ticket=ticket, by=engineer)
    clock(msk(2026, 11, 23, 14, 0))
    ticket.refresh_from_db()
    assert ticket.resolution_breached
    assert Notification.objects.filter(recipient=support_head).count() == 1
    with time_machine.travel(msk(2026, 11, 23, 14, 10), tick=False):
        services.ticket_defer(ticket=ticket, by=engineer)
        services.ticket_resume(ticket=ticket, by=engineer)
    clock(msk(2026, 11, 23, 16, 0))
    assert Notification.objects.filter(recipient=support_head).count() == 1
    assert Notification.objects.filter(recipient=engineer).count() == 1


def test_no_resolution_breach_once_done(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with time_machine.travel(msk(2026, 11, 23, 11, 0), tick=False):
        services.ticket_complete(ticket=ticket, by=engineer)
    clock(msk(2026, 11, 30, 10, 0))
    ticket.refresh_from_db()
    assert not ticket.resolution_breached and not ticket.reaction_breached
    assert timezone.localtime(ticket.resolved_at) == msk(2026, 11, 23, 11, 0)
    assert Notification.objects.count() == 0


def test_a_deferred_ticket_returns_exactly_at_its_return_time_and_the_assignee_is_told(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with time_machine.travel(msk(2026, 11, 23, 10, 30), tick=False):
        services.ticket_start(ticket=ticket, by=engineer)
        services.ticket_defer(ticket=ticket, by=engineer, return_at=msk(2026, 11, 23, 15, 0))
    assert ticket.status == TicketStatus.DEFERRED

    clock(msk(2026, 11, 23, 14, 59, 59))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DEFERRED

    clock(msk(2026, 11, 23, 15, 0))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.deferred_until is None
    assert sum("Back in work" in t for t in told_titles(Notification.objects.filter(recipient=engineer))) == 1


def test_without_a_return_time_the_deferral_lasts_the_auto_return_time_in_working_time(desk, service, engineer):
    desk.deferred_return_time = datetime.timedelta(hours=8)
    desk.save()
    ticket = create(msk(2026, 11, 20, 15, 0), service)
    with time_machine.travel(msk(2026, 11, 20, 16, 0), tick=False):
        services.ticket_defer(ticket=ticket, by=engineer)
    assert timezone.localtime(ticket.deferred_until) == msk(2026, 11, 23, 15, 0)
    clock(msk(2026, 11, 23, 14, 0))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DEFERRED
    clock(msk(2026, 11, 23, 15, 0))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_resuming_by_hand_cancels_the_pending_return(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with time_machine.travel(msk(2026, 11, 23, 10, 30), tick=False):
        services.ticket_defer(ticket=ticket, by=engineer, return_at=msk(2026, 11, 23, 15, 0))
    with time_machine.travel(msk(2026, 11, 23, 11, 0), tick=False):
        services.ticket_resume(ticket=ticket, by=engineer)
        services.ticket_defer(ticket=ticket, by=engineer, return_at=msk(2026, 11, 23, 17, 0))
    returns = ScheduledAction.objects.filter(action="servicedesk.ticket.deferred_return").order_by("pk")
    assert [r.status for r in returns] == ["cancelled", "pending"]
    clock(msk(2026, 11, 23, 15, 30))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DEFERRED
    assert sum("Back in work" in t for t in told_titles(Notification.objects.all())) == 0


@pytest.mark.parametrize(
    ("return_at", "message"),
    [
        (msk(2026, 11, 23, 10, 0), "must be in the future"),
        (msk(2026, 11, 30, 10, 0), "at the latest"),
    ],
)
def test_the_return_time_must_be_ahead_and_not_after_the_default(desk, service, engineer, return_at, message):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with time_machine.travel(msk(2026, 11, 23, 10, 30), tick=False), pytest.raises(ValidationError) as error:
        services.ticket_defer(ticket=ticket, by=engineer, return_at=return_at)
    assert message in str(error.value)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_the_client_gets_the_right_emails_at_the_right_moments(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    received = client_emails(ticket)
    assert len(received) == 1
    assert received[0].subject.startswith(f"[#{ticket.number}] ")
    assert thread_root(ticket) == received[0].message_id
    assert received[0].headers["Reply-To"].startswith(f"support+t{ticket.pk}-")

    services.ticket_start(ticket=ticket, by=engineer)
    services.add_comment(ticket=ticket, author=engineer, body="Проверяем сервер.")
    services.add_comment(ticket=ticket, author=engineer, body="Клиент опять забыл пароль", public=False)
    services.ticket_defer(ticket=ticket, by=engineer)
    services.ticket_resume(ticket=ticket, by=engineer)
    services.ticket_complete(ticket=ticket, by=engineer, note="Перезапустили службу.")

    emails = client_emails(ticket)
    assert [e.template for e in emails] == [
        "servicedesk/ticket_received",
        "servicedesk/ticket_started",
        "servicedesk/ticket_comment",
        "servicedesk/ticket_done",
    ]
    for email in emails:
        assert email.subject.startswith(f"[#{ticket.number}] ")
        assert email.message_id
    for email in emails[1:]:
        assert email.headers["In-Reply-To"] == email.headers["References"] == received[0].message_id
    assert "Проверяем сервер." in emails[2].body_text
    assert "Перезапустили службу." in emails[3].body_text
    assert not any("пароль" in e.body_text or "пароль" in e.body_html for e in emails)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_client_emails_keep_no_text_in_the_language_active_when_they_were_written(
    desk, service, engineer, language
):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with translation.override(language):
        services.ticket_start(ticket=ticket, by=engineer)
        services.ticket_complete(ticket=ticket, by=engineer, note="Перезапустили службу.")
    kept = [(email.template, email.context) for email in client_emails(ticket)]
    assert kept == [
        (template, {"ticket_number": ticket.number, "subject": "Не работает почта", "client_name": "Клиент Клиентович",
                    "link": client_page_url(ticket), **extra})
        for template, extra in [
            ("servicedesk/ticket_received", {}),
            ("servicedesk/ticket_started", {}),
            ("servicedesk/ticket_done", {"note": "Перезапустили службу."}),
        ]
    ]  # fmt: skip


def test_an_internal_note_never_reaches_the_client_page_nor_the_mail(client, desk, service, engineer):
    from servicedesk.emails import client_page_path

    ticket = create(msk(2026, 11, 23, 10, 0), service)
    services.add_comment(ticket=ticket, author=engineer, body="Внутренняя заметка", public=False)
    services.add_comment(
        ticket=ticket, author=engineer, body="<p>Ответ <b>клиенту</b><script>x()</script></p>", html=True
    )
    page = client.get(client_page_path(ticket)).content.decode()
    assert "Внутренняя заметка" not in page
    assert "Ответ <b>клиенту</b>" in page
    assert "<script>" not in page
    assert len(client_emails(ticket)) == 2


def test_the_client_replies_on_the_page_and_the_assignee_is_told(client, desk, service, engineer):
    from servicedesk.emails import client_page_path

    ticket = create(msk(2026, 11, 23, 10, 0), service)
    response = client.post(client_page_path(ticket), {"body": "Спасибо, <жду>"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    comment = TicketComment.objects.get()
    assert comment.from_client and comment.public
    assert comment.source == "client_page"
    assert "&lt;жду&gt;" in comment.body
    assert sum("client replied" in t for t in told_titles(Notification.objects.filter(recipient=engineer))) == 1
    assert "Спасибо" in client.get(client_page_path(ticket)).content.decode()


def test_a_client_reply_longer_than_the_forms_description_is_refused_and_kept_in_the_box(client, desk, service):
    # The page stored any length (two million letters were one comment); the form, the staff's
    # comment and the API stop at 20,000.
    from servicedesk.emails import client_page_path

    ticket = create(msk(2026, 11, 23, 10, 0), service)
    response = client.post(client_page_path(ticket), {"body": "Я" * 20_001}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "at most 20000 characters (it has 20001)" in response.content.decode()
    assert "Я" * 20_001 in response.content.decode()  # the text is not lost
    assert not TicketComment.objects.exists()
    assert client.post(client_page_path(ticket), {"body": "Я" * 20_000}).status_code == 302


def test_a_tampered_client_link_shows_nothing(client, desk, service):
    from servicedesk.emails import client_page_path

    ticket = create(msk(2026, 11, 23, 10, 0), service)
    path = client_page_path(ticket)
    assert client.get(path[:-3] + "xyz/").status_code == 404


def test_illegal_moves_are_refused_with_the_allowed_targets(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with pytest.raises(MoveRefused) as refused:
        services.ticket_reopen(ticket=ticket, by=engineer)
    assert set(refused.value.allowed) == {"in_progress", "deferred", "done"}
    services.ticket_complete(ticket=ticket, by=engineer)
    services.ticket_reopen(ticket=ticket, by=engineer)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.resolved_at is None


def test_someone_without_edit_rights_cannot_move_or_comment(desk, service):
    accountant = UserFactory(roles=[Role.ACCOUNTANT])
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    with pytest.raises(PermissionDenied):
        services.ticket_start(ticket=ticket, by=accountant)
    with pytest.raises(PermissionDenied):
        services.add_comment(ticket=ticket, author=accountant, body="x")


def test_reassigning_tells_the_new_assignee(desk, service, engineer, support_head):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    services.ticket_assign(ticket=ticket, assignee=support_head, by=engineer)
    ticket.refresh_from_db()
    assert ticket.assignee == support_head
    assert sum("assigned" in t for t in told_titles(Notification.objects.filter(recipient=support_head))) == 1


def test_ticket_numbers_follow_each_other(desk, service):
    first = create(msk(2026, 11, 23, 10, 0), service)
    second = create(msk(2026, 11, 23, 10, 1), service)
    assert second.number == first.number + 1
    assert str(second).startswith(f"#{second.number} ")


def test_the_completion_note_is_a_public_comment_of_the_thread_sent_once(client, desk, service, engineer):
    from servicedesk.emails import client_page_path

    ticket = create(msk(2026, 11, 23, 10, 0), service)
    services.ticket_start(ticket=ticket, by=engineer)
    services.ticket_complete(ticket=ticket, by=engineer, note="Перезапустили почтовый сервер.")

    page = client.get(client_page_path(ticket)).content.decode()
    thread = page[page.index("data-comment") :]
    assert "Перезапустили почтовый сервер." in thread
    comment = TicketComment.objects.get(ticket=ticket)
    assert comment.public and comment.author == engineer and not comment.from_client
    # One email tells the client: the «done» one, with the note; not a comment email besides.
    templates = [e.template for e in client_emails(ticket)]
    assert templates == ["servicedesk/ticket_received", "servicedesk/ticket_started", "servicedesk/ticket_done"]
    assert "Перезапустили почтовый сервер." in client_emails(ticket)[-1].body_text


def test_completing_without_a_note_adds_no_comment(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    services.ticket_complete(ticket=ticket, by=engineer)
    assert not TicketComment.objects.filter(ticket=ticket).exists()


def test_a_clients_reply_on_a_done_ticket_reopens_it_and_the_assignee_is_told(client, desk, service, engineer):
    from servicedesk.emails import client_page_path

    ticket = create(msk(2026, 11, 23, 10, 0), service)
    services.ticket_start(ticket=ticket, by=engineer)
    services.ticket_complete(ticket=ticket, by=engineer)

    response = client.post(client_page_path(ticket), {"body": "Опять не работает"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.resolved_at is None
    [told] = [n for n in Notification.objects.filter(recipient=engineer) if "client replied" in told_of(n)[0]]
    assert "in work again" in told_of(told)[0]
    assert 'data-status="in_progress"' in client.get(client_page_path(ticket)).content.decode()


def test_a_clients_reply_on_a_ticket_in_work_leaves_its_status(desk, service, engineer):
    ticket = create(msk(2026, 11, 23, 10, 0), service)
    services.ticket_start(ticket=ticket, by=engineer)
    services.add_comment(ticket=ticket, client=True, body="Жду")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    [replied] = [t for t in titles(Notification.objects.filter(recipient=engineer)) if "client replied" in t]
    assert "in work again" not in replied


def test_breaches_due_in_one_tick_are_flagged_and_told_in_a_constant_number_of_queries(
    desk, service, engineer, support_head
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def tick(count, day):
        tickets = [create(msk(2026, 11, day, 10, 0), service, email=f"c{i}@client.ru") for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            clock(msk(2026, 11, day + 7, 10, 0))  # reaction and resolution both breached
        for ticket in tickets:
            ticket.refresh_from_db()
            assert ticket.reaction_breached and ticket.resolution_breached and ticket.is_overdue
            told = Notification.objects.filter(target_id=ticket.pk)
            assert sorted(told.values_list("recipient__username", flat=True)) == [
                "engineer", "engineer", "support_head", "support_head"
            ]  # fmt: skip
            assert OutboxMessage.objects.filter(target_id=ticket.pk, recipient_user__isnull=False).count() == 4
        return len(queries)

    # 12 tickets: SQLite splits an INSERT past 999 parameters (48 outbox rows would be two).
    assert tick(1, 2) == tick(12, 3)
