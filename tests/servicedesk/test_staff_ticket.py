"""The ticket card: actions change the status or are refused with a message, the thread, files, history."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from admin24.roles import Role
from notifications.models import OutboxMessage
from servicedesk import services
from servicedesk.emails import client_page_path
from servicedesk.models import Ticket, TicketStatus
from servicedesk.templatetags.servicedesk_staff import countdown
from tests.factories import UserFactory
from tests.told import emails

from .conftest import msk
from .staff_helpers import bulk_tickets, new_ticket

pytestmark = pytest.mark.django_db

MONDAY_10 = msk(2026, 11, 23, 10, 0)


def card(ticket) -> str:
    return reverse("servicedesk:ticket", args=[ticket.pk])


def act(client, ticket, action, **data):
    return client.post(reverse("servicedesk:ticket_action", args=[ticket.pk, action]), data, follow=True)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def ticket(desk, service):
    with time_machine.travel(MONDAY_10, tick=False):
        return new_ticket(service, subject="Не работает почта")


def test_the_card_shows_the_ticket_its_sla_clocks_and_the_buttons_that_apply(client, engineer, ticket):
    client.force_login(engineer)
    with time_machine.travel(MONDAY_10 + datetime.timedelta(minutes=5), tick=False):
        response = client.get(card(ticket))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"#{ticket.number}" in page and "Не работает почта" in page
    assert "ООО «Клиент»" in page and "client@client.ru" in page
    assert timezone.localtime(ticket.reaction_due_at).strftime("%d.%m.%Y %H:%M") in page
    assert timezone.localtime(ticket.resolution_due_at).strftime("%d.%m.%Y %H:%M") in page
    assert [action.name for action in response.context["actions"]] == ["start", "defer", "complete"]
    assert client_page_path(ticket) in page


def test_start_defer_resume_complete_and_reopen_follow_the_buttons(client, engineer, ticket):
    client.force_login(engineer)
    with time_machine.travel(MONDAY_10 + datetime.timedelta(minutes=30), tick=False):
        act(client, ticket, "start")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.IN_PROGRESS
        assert ticket.first_reaction_at is not None
        response = act(client, ticket, "defer", return_at="2026-11-23T15:00", reason="Ждём ответа клиента")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.DEFERRED
        assert ticket.deferred_until == msk(2026, 11, 23, 15, 0)
        assert [a.name for a in response.context["actions"]] == ["resume", "complete"]
        act(client, ticket, "resume")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.IN_PROGRESS and ticket.deferred_until is None
        act(client, ticket, "complete", note="Перезапустили почтовый сервер")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.DONE and ticket.resolved_at is not None
        assert ticket.closing_reason == "Перезапустили почтовый сервер"
        act(client, ticket, "reopen")
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.IN_PROGRESS and ticket.resolved_at is None


def test_the_history_lists_each_status_change(client, engineer, ticket):
    client.force_login(engineer)
    act(client, ticket, "start")
    act(client, ticket, "complete")
    history = client.get(card(ticket)).context["history"]
    moves = [entry.what for entry in history if entry.kind == "moved"]
    new, working, done = (
        str(label) for label in (TicketStatus.NEW.label, TicketStatus.IN_PROGRESS.label, TicketStatus.DONE.label)
    )
    assert moves == [f"Перемещение: {working} → {done}", f"Перемещение: {new} → {working}"]
    assert all(entry.who == engineer for entry in history if entry.kind == "moved")


def test_an_action_that_does_not_apply_is_refused_with_a_message(client, engineer, ticket):
    client.force_login(engineer)
    act(client, ticket, "complete")
    response = act(client, ticket, "start")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DONE
    assert any(str(TicketStatus.DONE.label) in text for text in said(response))
    response = act(client, ticket, "complete")
    assert ticket.status == TicketStatus.DONE
    messages = said(response)
    assert len(messages) == 1 and str(TicketStatus.DONE.label) in messages[0]


def test_a_deferral_past_the_auto_return_time_is_refused_with_the_latest_time(client, engineer, ticket):
    client.force_login(engineer)
    with time_machine.travel(MONDAY_10, tick=False):
        response = act(client, ticket, "defer", return_at="2026-12-20T10:00")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    latest = timezone.localtime(services.default_return_at(now=MONDAY_10)).strftime("%d.%m.%Y %H:%M")
    assert any(latest in text for text in said(response))


def test_an_unknown_action_or_garbage_time_is_a_message_not_a_500(client, engineer, ticket):
    client.force_login(engineer)
    response = act(client, ticket, "explode")
    assert response.status_code == 200 and said(response)
    response = act(client, ticket, "defer", return_at="завтра")
    assert response.status_code == 200 and said(response)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_reassigning_changes_the_assignee_and_tells_them(client, engineer, ticket):
    colleague = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    client.force_login(engineer)
    client.post(reverse("servicedesk:ticket_assign", args=[ticket.pk]), {"assignee": colleague.pk})
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert colleague.notifications.count() == 1


def test_who_may_only_read_sees_the_card_without_actions_and_cannot_post(client, ticket):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    client.force_login(manager)
    response = client.get(card(ticket))
    assert response.status_code == 200
    assert b'id="actions"' not in response.content and b'id="comment-form"' not in response.content
    assert client.post(reverse("servicedesk:ticket_action", args=[ticket.pk, "start"])).status_code == 403
    assert client.post(reverse("servicedesk:ticket_comment", args=[ticket.pk]), {"body": "x"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW and not ticket.comments.exists()


def test_who_may_only_read_is_refused_before_the_request_is_read(client, ticket):
    # The card's views check the edit right first: bad input from a reader is 403, not a message.
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    client.force_login(manager)
    assert client.post(reverse("servicedesk:ticket_action", args=[ticket.pk, "no-such-action"])).status_code == 403
    assert client.post(reverse("servicedesk:ticket_action", args=[ticket.pk, "resume"])).status_code == 403
    assert client.post(reverse("servicedesk:ticket_assign", args=[ticket.pk]), {"assignee": 0}).status_code == 403
    assert client.post(reverse("servicedesk:ticket_comment", args=[ticket.pk]), {"body": ""}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW and not ticket.comments.exists()


def test_a_public_comment_reaches_the_client_page_and_an_internal_note_never_does(client, engineer, ticket):
    client.force_login(engineer)
    comment_url = reverse("servicedesk:ticket_comment", args=[ticket.pk])
    client.post(comment_url, {"body": "Перезагрузите, пожалуйста, роутер.", "visibility": "public"})
    client.post(comment_url, {"body": "Похоже, у клиента пиратский Windows.", "visibility": "internal"})
    staff_page = client.get(card(ticket)).content.decode()
    assert "Перезагрузите, пожалуйста, роутер." in staff_page
    assert "Похоже, у клиента пиратский Windows." in staff_page
    client.logout()
    client_page = client.get(client_page_path(ticket)).content.decode()
    assert "Перезагрузите, пожалуйста, роутер." in client_page
    assert "пиратский" not in client_page
    bodies = " ".join(m.body_text for m in emails(OutboxMessage.objects.filter(address=ticket.client_email)))
    assert "роутер" in bodies and "пиратский" not in bodies


def test_a_comment_with_a_file_lists_it_with_a_staff_download_link(client, engineer, ticket):
    client.force_login(engineer)
    upload = SimpleUploadedFile("акт.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post(
        reverse("servicedesk:ticket_comment", args=[ticket.pk]),
        {"body": "Акт во вложении", "visibility": "internal", "files": [upload]},
    )
    attachment = ticket.attachments.get()
    page = client.get(card(ticket)).content.decode()
    assert reverse("desk:attachment", args=[attachment.pk]) in page and "акт.pdf" in page
    download = client.get(reverse("desk:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"  # not the pages' policy


def test_a_forbidden_file_or_an_empty_comment_is_refused_and_nothing_is_saved(client, engineer, ticket):
    client.force_login(engineer)
    comment_url = reverse("servicedesk:ticket_comment", args=[ticket.pk])
    program = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    response = client.post(comment_url, {"body": "Счёт", "visibility": "public", "files": [program]}, follow=True)
    assert any("invoice.pdf" in text for text in said(response))
    response = client.post(comment_url, {"body": "   ", "visibility": "public"}, follow=True)
    assert said(response)
    assert not ticket.comments.exists() and not ticket.attachments.exists()


def test_my_tickets_lists_only_the_open_tickets_assigned_to_me(client, engineer, desk, service):
    colleague = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    mine = new_ticket(service, subject="Моя заявка")
    done = new_ticket(service, subject="Сделанная заявка")
    services.ticket_complete(ticket=done, by=engineer)
    theirs = new_ticket(service, subject="Чужая заявка")
    services.ticket_assign(ticket=theirs, assignee=colleague, by=engineer)
    client.force_login(engineer)
    response = client.get(reverse("servicedesk:my"))
    assert [t.pk for t in response.context["open_tickets"]] == [mine.pk]
    assert [t.pk for t in response.context["done"]] == [done.pk]
    assert "Чужая заявка" not in response.content.decode()


def test_my_tickets_shows_the_nearest_fifty_and_counts_the_rest_up_to_a_thousand(client, engineer, desk, service):
    bulk_tickets(1005, service=service, assignee=engineer, start=1)
    Ticket.objects.filter(number=1005).update(resolution_due_at=timezone.now())  # the nearest deadline
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("servicedesk:my"))
    page = response.content.decode()
    assert len(response.context["open_tickets"]) == 50 and response.context["open_tickets"][0].number == 1005
    assert "1\xa0000+ открытых" in page and "data-more-open" in page
    counting = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and '"servicedesk_ticket"' in q["sql"]]
    assert any("LIMIT 1001" in sql for sql in counting)
    Ticket.objects.filter(number__gt=3).delete()
    page = client.get(reverse("servicedesk:my")).content.decode()
    assert "3 открытые" in page and "data-more-open" not in page


def _my_page(client, user) -> tuple[str, int]:
    client.force_login(user)
    client.get(reverse("servicedesk:my"))  # warm the session like a user who is already working
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("servicedesk:my")).content.decode()
    return page, len(queries)


def test_my_tickets_rows_show_what_each_ticket_needs_with_its_text_escaped(client, engineer, desk, service):
    colleague = UserFactory(roles=[Role.SUPPORT_ENGINEER], last_name="Коллегин", first_name="Пётр")
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        late = new_ticket(service, subject="<script>alert(1)</script>", company="ООО «Ромашка» & Co")
        done = new_ticket(service, subject="Сделанная")
        services.ticket_complete(ticket=done, by=engineer)
        watched = new_ticket(service, subject="Чужая, под наблюдением")
        services.ticket_assign(ticket=watched, assignee=colleague, by=engineer)
        watched.watchers.add(engineer)
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        page, _ = _my_page(client, engineer)
        late_row = page.split(f'<tr data-pk="{late.pk}"', 1)[1].split("</tr>", 1)[0]
        assert late_row.startswith(' class="table-danger"')
        assert f'href="{reverse("servicedesk:ticket", args=[late.pk])}">#{late.number}</a>' in late_row
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in late_row and "<script>alert" not in page
        assert "ООО «Ромашка» &amp; Co" in late_row and str(TicketStatus.NEW.label) in late_row
        assert f"просрочено · {countdown(late.resolution_due_at)}" in late_row
        watched_row = page.split(f'<tr data-pk="{watched.pk}"', 1)[1].split("</tr>", 1)[0]
        assert "Коллегин Пётр" in watched_row and "table-danger" in watched_row
        done_row = page.split(f'<tr data-pk="{done.pk}"', 1)[1].split("</tr>", 1)[0]
        assert "table-danger" not in done_row and str(TicketStatus.DONE.label) in done_row


def test_my_tickets_takes_the_same_queries_for_three_tickets_and_for_a_hundred(client, engineer, desk, service):
    colleague = UserFactory(roles=[Role.SUPPORT_ENGINEER])

    def tickets(count, start):
        bulk_tickets(count, service=service, assignee=engineer, start=start)
        bulk_tickets(count, service=service, assignee=engineer, start=start + count, status=TicketStatus.DONE)
        bulk_tickets(count, service=service, assignee=colleague, start=start + 2 * count)
        for ticket in Ticket.objects.filter(assignee=colleague):
            ticket.watchers.add(engineer)

    tickets(3, 1)
    page, few = _my_page(client, engineer)
    assert page.count("<tr data-pk=") == 9
    tickets(100, 10)
    page, many = _my_page(client, engineer)
    assert page.count("<tr data-pk=") == 50 + 20 + 50
    assert few == many


def test_my_tickets_counts_the_overdue_ones_with_the_open_ones_in_one_query_up_to_a_thousand(
    client, engineer, desk, service
):
    bulk_tickets(1005, service=service, assignee=engineer, start=1)  # reaction due in an hour
    client.force_login(engineer)
    assert "data-overdue-count" not in client.get(reverse("servicedesk:my")).content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("servicedesk:my")).content.decode()
        assert "1\xa0000+ просроченных" in page
        (counting,) = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and '"servicedesk_ticket"' in q["sql"]]
        assert counting.count("LIMIT 1001") == 2  # the open ones and the overdue ones, each walk stopping
        Ticket.objects.filter(number__gt=2).delete()
        assert "2 просроченные" in client.get(reverse("servicedesk:my")).content.decode()


MY_ROW = (
    ' class="table-danger">\n    <td><a href="{url}">#{number}</a></td>\n    <td>Не печатает принтер</td>\n'
    "    <td>{status}</td>\n    <td>ООО «Ромашка»</td>\n"
    '    <td>{due} <span class="small text-danger fw-semibold">{late}</span></td>\n  '
)


@pytest.mark.parametrize(
    ("language", "status", "due", "late"),
    [
        ("ru", "Новая", "24.11.2026 17:00", "просрочено · 5 дн. 17 ч сверх срока"),
        ("en", "New", "24 Nov 2026 17:00", "overdue · 5 d 17 h late"),
    ],
)
def test_my_tickets_row_reads_as_a_user_sees_it_in_each_language(
    client, engineer, desk, service, language, status, due, late
):
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        ticket = new_ticket(service, subject="Не печатает принтер", company="ООО «Ромашка»")
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        client.force_login(engineer)
        client.cookies["django_language"] = language
        page = client.get(reverse("servicedesk:my")).content.decode()
    row = page.split(f'<tr data-pk="{ticket.pk}"', 1)[1].split("</tr>", 1)[0]
    url = reverse("servicedesk:ticket", args=[ticket.pk])
    assert row == MY_ROW.format(url=url, number=ticket.number, status=status, due=due, late=late)
