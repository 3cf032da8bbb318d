"""The ticket board and list: columns, cards, filters, moves, access rights and a constant query count."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from admin24.roles import Role
from notifications.models import OutboxMessage
from servicedesk import services
from servicedesk.models import Ticket, TicketStatus
from servicedesk.templatetags.servicedesk_staff import countdown
from tests.factories import CompanyFactory, ServiceFactory, UserFactory
from tests.told import emails

from .conftest import msk
from .staff_helpers import bulk_tickets, new_ticket

pytestmark = pytest.mark.django_db

BOARD = reverse("servicedesk:board")
LIST = reverse("servicedesk:list")
MOVE = reverse("servicedesk:move")


def columns(response) -> dict[str, list[int]]:
    return {
        column.stage.slug: [int(card.prefix[1:]) for card in column.cards] for column in response.context["columns"]
    }


@pytest.fixture
def tickets(desk, service, engineer):
    """One ticket in every status."""
    made = {status: new_ticket(service, subject=f"Тема {status}") for status in TicketStatus.values}
    services.ticket_start(ticket=made[TicketStatus.IN_PROGRESS], by=engineer)
    services.ticket_defer(ticket=made[TicketStatus.DEFERRED], by=engineer)
    services.ticket_complete(ticket=made[TicketStatus.DONE], by=engineer)
    return made


def test_the_default_filter_in_work_hides_deferred_and_done(client, engineer, tickets):
    client.force_login(engineer)
    response = client.get(BOARD)
    assert response.status_code == 200
    shown = columns(response)
    assert list(shown) == [TicketStatus.NEW, TicketStatus.IN_PROGRESS]
    assert shown[TicketStatus.NEW] == [tickets[TicketStatus.NEW].number]
    assert shown[TicketStatus.IN_PROGRESS] == [tickets[TicketStatus.IN_PROGRESS].number]
    page = response.content.decode()
    assert str(TicketStatus.NEW.label) in page and str(TicketStatus.IN_PROGRESS.label) in page
    assert "Тема deferred" not in page and "Тема done" not in page


def test_all_statuses_shows_four_columns_in_pipeline_order(client, engineer, tickets):
    client.force_login(engineer)
    response = client.get(BOARD, {"status": "all"})
    assert list(columns(response)) == ["new", "in_progress", "deferred", "done"]
    page = response.content.decode()
    for label in TicketStatus.labels:
        assert str(label) in page


def test_a_card_shows_number_subject_company_assignee_and_countdown(client, engineer, desk, service):
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        ticket = new_ticket(service, subject="Не печатает принтер", company="ООО «Ромашка»")
        client.force_login(engineer)
        page = client.get(BOARD).content.decode()
        left = countdown(ticket.resolution_due_at)
    assert f"#{ticket.number}" in page
    assert "Не печатает принтер" in page
    assert "ООО «Ромашка»" in page
    assert engineer.initials in page
    assert left in page  # the default resolution time is 16 working hours ahead: two days on the clock
    assert "data-overdue" not in page


def test_a_card_writes_what_people_typed_as_text_not_markup(client, engineer, desk, service):
    ticket = new_ticket(service, subject='<img src=x onerror="alert(1)">', company="ООО «Рога & Копыта»")
    client.force_login(engineer)
    page = client.get(BOARD).content.decode()
    card = page.split(f'data-pk="{ticket.pk}"', 1)[1].split("</article>", 1)[0]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in card and "<img" not in card
    assert "ООО «Рога &amp; Копыта»" in card
    assert f'title="{engineer.full_name}">{engineer.initials}</span>' in card


def test_an_overdue_ticket_is_marked_on_the_board(client, engineer, desk, service):
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        ticket = new_ticket(service)
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        client.force_login(engineer)
        response = client.get(BOARD)
    card = next(card for column in response.context["columns"] for card in column.cards if card.pk == ticket.pk)
    assert card.overdue
    page = response.content.decode()
    assert "kanban-card-overdue" in page and "data-overdue" in page


def _board_queries(client, user) -> int:
    client.force_login(user)
    client.get(BOARD)  # warm the session and caches like a user who is already working
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, {"status": "all"})
    assert response.status_code == 200
    return len(queries)


def test_the_board_query_count_does_not_grow_with_the_tickets(client, desk, service, engineer):
    company = CompanyFactory(name="ООО «Клиент»")
    bulk_tickets(10, service=service, assignee=engineer, company=company, start=1)
    small = _board_queries(client, engineer)
    for offset, status in enumerate(TicketStatus.values):
        bulk_tickets(
            490 // 4 + 1, service=service, assignee=engineer, company=company, status=status, start=1000 * (offset + 1)
        )
    assert Ticket.objects.count() >= 500
    large = _board_queries(client, engineer)
    assert large == small


def test_a_user_without_ticket_rights_sees_an_empty_board_and_no_card(client, desk, tickets):
    clerk = UserFactory(roles=[Role.CLERK])
    client.force_login(clerk)
    response = client.get(BOARD, {"status": "all"})
    assert response.status_code == 200
    assert all(not cards for cards in columns(response).values())
    assert all(column.count == 0 for column in response.context["columns"])
    assert client.get(reverse("servicedesk:ticket", args=[tickets["new"].pk])).status_code == 404
    assert client.get(reverse("servicedesk:list"), {"status": "all"}).context["page"].paginator.count == 0


def test_support_engineers_see_every_ticket_whoever_is_assigned(client, desk, engineer, support_head):
    other = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    for assignee in (engineer, other, None):
        new_ticket(ServiceFactory(responsible=assignee))
    client.force_login(engineer)
    response = client.get(BOARD)
    assert len(columns(response)[TicketStatus.NEW]) == 3


def test_dragging_a_card_to_in_progress_starts_the_work_and_tells_the_client(client, engineer, desk, service):
    ticket = new_ticket(service)
    client.force_login(engineer)
    response = client.post(MOVE, {"pk": ticket.pk, "to": "in_progress"})
    assert response.status_code == 200
    assert response.json()["columns"]["in_progress"]["count"] == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.first_reaction_at is not None
    subjects = [m.subject for m in emails(OutboxMessage.objects.filter(address=ticket.client_email))]
    assert len(subjects) == 2 and all(f"[#{ticket.number}]" in subject for subject in subjects)


def test_an_illegal_drag_is_refused_with_the_reason(client, engineer, tickets):
    client.force_login(engineer)
    ticket = tickets[TicketStatus.IN_PROGRESS]
    response = client.post(MOVE, {"pk": ticket.pk, "to": "new"})
    assert response.status_code == 409
    assert str(TicketStatus.IN_PROGRESS.label) in response.json()["error"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_who_may_only_read_tickets_cannot_move_them(client, tickets):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    client.force_login(manager)
    response = client.post(MOVE, {"pk": tickets["new"].pk, "to": "in_progress"})
    assert response.status_code == 403
    tickets["new"].refresh_from_db()
    assert tickets["new"].status == TicketStatus.NEW


def test_the_list_filters_by_status_service_company_and_overdue(client, engineer, desk, service):
    other_service = ServiceFactory(name="Сервер", responsible=engineer)
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        old = new_ticket(service, subject="Старая", company="ООО «Ромашка»")
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        fresh = new_ticket(other_service, subject="Свежая", company="АО «Лютик»", email="anna@lutik.ru")
        client.force_login(engineer)

        def numbers(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200
            return sorted(obj.number for obj, _url, _values in response.context["rows"])

        assert numbers() == sorted([old.number, fresh.number])
        assert numbers(overdue="1") == [old.number]
        assert numbers(service=other_service.pk) == [fresh.number]
        assert numbers(company_name="Ромашк") == [old.number]
        assert numbers(q=f"#{fresh.number}") == [fresh.number]
        assert numbers(q="Свежая") == [fresh.number]
        assert numbers(q="СВЕЖАЯ") == [fresh.number]  # Cyrillic in any case, on SQLite too
        assert numbers(q="лютик") == [fresh.number]
        assert numbers(status="done") == []
        assert numbers(created_from="2026-11-30") == [fresh.number]


def test_bad_filter_values_are_reported_not_a_500(client, engineer, tickets):
    client.force_login(engineer)
    response = client.get(LIST, {"service": "nope", "created_from": "31.02.2026", "status": "lost"})
    assert response.status_code == 200
    assert response.context["filters"].errors


def test_the_csv_export_has_the_filtered_tickets(client, engineer, tickets):
    client.force_login(engineer)
    response = client.get(reverse("servicedesk:csv"), {"status": "all"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 4
    assert "Тема done" in text and f"#{tickets['done'].number}" in text


def test_the_list_links_each_number_to_the_card(client, engineer, tickets):
    client.force_login(engineer)
    page = client.get(LIST).content.decode()
    assert reverse("servicedesk:ticket", args=[tickets["new"].pk]) in page


def test_the_board_counts_columns_after_a_move_with_the_filters_shown(client, engineer, desk, service):
    first, _second = new_ticket(service), new_ticket(service)
    client.force_login(engineer)
    response = client.post(MOVE, {"pk": first.pk, "to": "deferred", "status": "all"})
    assert response.status_code == 200
    counts = {slug: column["count"] for slug, column in response.json()["columns"].items()}
    assert counts == {"new": 1, "in_progress": 0, "deferred": 1, "done": 0}
    first.refresh_from_db()
    assert first.deferred_until is not None
    assert first.deferred_until > first.stage_changed_at - datetime.timedelta(seconds=1)


def test_the_board_finds_a_ticket_by_subject_in_any_letter_case(client, engineer, desk, service):
    ticket = new_ticket(service, subject="Не печатает ПРИНТЕР", company="ООО «Ромашка»")
    new_ticket(service, subject="Нет интернета")
    client.force_login(engineer)

    response = client.get(BOARD, {"q": "принтер"})

    assert columns(response)["new"] == [ticket.number]


def _overdue_by_the_rule(status, reaction_breached, resolution_breached, reacted, reaction_due, deadline, now) -> bool:
    """SPEC §1, written out: not done, and a breach the clock flagged still open (a reaction
    breach until work starts), or past the reaction deadline while new, or past the deadline."""
    if status == TicketStatus.DONE:
        return False
    if (reaction_breached and reacted is None) or resolution_breached:
        return True
    if status == TicketStatus.NEW and reaction_due < now:
        return True
    return deadline is not None and deadline < now


def test_the_stored_overdue_moment_agrees_with_the_rule_for_every_state(desk, service, engineer):
    """``overdue_at`` (kept by the database, whatever wrote the row) gives the rule's answer, to
    the filter and to ``is_overdue`` alike."""
    import itertools

    now = timezone.now()
    past, future = now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)
    states = list(
        itertools.product(TicketStatus.values, (False, True), (False, True), (None, now), (None, past, future))
    )
    bulk_tickets(len(states) * 2, service=service, assignee=engineer)
    rows = list(Ticket.objects.order_by("pk"))
    expected = set()
    for (status, reaction_breached, resolution_breached, reacted, deadline), first, second in zip(
        states, rows[0::2], rows[1::2], strict=True
    ):
        # Through update() (no save()), the reaction deadline past or not.
        for ticket, reaction_due in ((first, past), (second, future)):
            Ticket.objects.filter(pk=ticket.pk).update(
                status=status,
                reaction_breached=reaction_breached,
                resolution_breached=resolution_breached,
                first_reaction_at=reacted,
                resolved_at=now if status == TicketStatus.DONE else None,
                reaction_due_at=reaction_due,
                resolution_due_at=deadline,
            )
            if _overdue_by_the_rule(
                status, reaction_breached, resolution_breached, reacted, reaction_due, deadline, now
            ):
                expected.add(ticket.pk)
    assert expected and expected != {ticket.pk for ticket in rows}
    with time_machine.travel(now, tick=False):
        assert set(Ticket.objects.overdue().values_list("pk", flat=True)) == expected
        assert {ticket.pk for ticket in Ticket.objects.all() if ticket.is_overdue} == expected


def test_a_ticket_is_overdue_past_its_deadline_before_the_clock_flags_it(desk, service, engineer):
    ticket = new_ticket(service)
    assert not Ticket.objects.overdue().exists()
    with time_machine.travel(ticket.reaction_due_at + datetime.timedelta(minutes=1)):
        assert list(Ticket.objects.overdue()) == [ticket]
        services.ticket_start(ticket=ticket, by=engineer)  # the reaction deadline is met now
        assert not Ticket.objects.overdue().exists()
    with time_machine.travel(ticket.resolution_due_at + datetime.timedelta(minutes=1)):
        assert list(Ticket.objects.overdue()) == [ticket]
        services.ticket_complete(ticket=ticket, by=engineer)
        assert not Ticket.objects.overdue().exists()


def _export(client, **params) -> str:
    return b"".join(client.get(reverse("servicedesk:csv"), {"status": "all", **params}).streaming_content).decode()


def test_the_csv_export_reads_rows_as_the_list_fields_do_in_a_constant_number_of_queries(
    client, engineer, tickets, service
):
    """The export's fast path writes what the board's field functions write, row for row."""
    from admin24.boards.export import csv_rows
    from servicedesk.boards import ticket_board

    Ticket.objects.filter(pk=tickets[TicketStatus.NEW].pk).update(subject="=HYPERLINK(1)", client_phone="+79990001122")
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as few:
        text = _export(client)
    queryset = ticket_board.filtered(engineer, ticket_board.filter_form(engineer, {"status": "all"}))
    expected = "".join(
        csv_rows(ticket_board.csv_fields, ticket_board.with_card_fields(queryset.order_by("-created_at", "-id")))
    )
    assert sorted(text.splitlines()) == sorted(expected.splitlines())
    assert "'=HYPERLINK(1)" in text
    bulk_tickets(60, service=service, assignee=engineer)
    with CaptureQueriesContext(connection) as many:
        assert len(_export(client).splitlines()) == 1 + 4 + 60
    assert len(many) == len(few)


def _count_queries(queries) -> list[str]:
    """The queries that count tickets (the menu's own counts of tasks and notifications aside)."""
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and '"servicedesk_ticket"' in q["sql"]]


def test_a_column_past_a_thousand_tickets_says_1000_plus_and_counts_no_further(client, desk, service, engineer):
    bulk_tickets(1005, service=service, assignee=engineer, status=TicketStatus.DONE, start=1)
    bulk_tickets(3, service=service, assignee=engineer, start=5000)
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, {"status": "all"})
    labels = {column.stage.slug: column.count_label for column in response.context["columns"]}
    assert labels == {"new": "3", "in_progress": "0", "deferred": "0", "done": "1\xa0000+"}
    assert 'data-count-for="done">1\xa0000+<' in response.content.decode()
    (counting,) = _count_queries(queries)  # one query for every column, each walk stopping at 1,001 rows
    assert counting.count("LIMIT 1001") == 4
    client.cookies["django_language"] = "en"
    response = client.get(BOARD, {"status": "all"})
    assert {column.stage.slug: column.count_label for column in response.context["columns"]}["done"] == "1,000+"
    # A move answers with the labels too.
    moved = Ticket.objects.filter(status=TicketStatus.NEW).first()
    answer = client.post(MOVE, {"pk": moved.pk, "to": "in_progress", "status": "all"}).json()["columns"]
    assert answer["done"]["label"] == "1,000+" and answer["in_progress"]["label"] == "1"


def test_the_list_counts_no_further_than_a_thousand_rows_past_the_page(client, desk, service, engineer):
    bulk_tickets(1008, service=service, assignee=engineer, status=TicketStatus.DONE, start=1)
    client.force_login(engineer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST, {"status": "all"}).content.decode()
    assert "Найдено: 1\xa0000+" in page and "Страница 1<" in page and "page=2" in page
    (counting,) = _count_queries(queries)
    assert "LIMIT 1001" in counting
    # Further pages stay reachable; near the end the count is exact again.
    last = client.get(LIST, {"status": "all", "page": 21}).content.decode()
    assert "Найдено: 1\xa0008" in last and "Страница 21 из 21" in last and last.count("<tr data-pk=") == 8


CARD = (
    '>\n  <div class="card-body p-2">\n    <a class="kanban-card-title" href="{url}">'
    '<span class="text-body-secondary">#{number}</span> {subject}</a>\n'
    '    <div class="small">ООО «Ромашка»</div><span class="badge text-bg-warning">{mark}</span>\n'
    '    <div class="d-flex flex-wrap align-items-center gap-2 mt-1 small">\n'
    '      <span class="kanban-avatar" title="{person}">{initials}</span>{when}\n    </div>\n  </div>\n'
)


@pytest.mark.parametrize(
    ("language", "mark", "late", "waiting", "done"),
    [
        (
            "ru",
            "нет действующего договора",
            '<span class="badge text-bg-danger" data-overdue>просрочено</span>\n      '
            '<span class="text-danger fw-semibold" title="Крайний срок 24.11.2026 17:00">'
            "5 дн. 17 ч сверх срока</span>",
            # Deferred, and past its deadline too: marked as its card page marks it (SPEC §1).
            '<span class="badge text-bg-danger" data-overdue>просрочено</span>\n      '
            '<span class="text-danger fw-semibold" title="Вернётся в работу">⏸ 23.11 18:00</span>',
            '<span class="text-body-secondary" title="Завершена">✓ 23.11 10:00</span>',
        ),
        (
            "en",
            "no active contract",
            '<span class="badge text-bg-danger" data-overdue>overdue</span>\n      '
            '<span class="text-danger fw-semibold" title="Deadline 24 Nov 2026 17:00">5 d 17 h late</span>',
            '<span class="badge text-bg-danger" data-overdue>overdue</span>\n      '
            '<span class="text-danger fw-semibold" title="Returns to work at">⏸ 23 Nov 18:00</span>',
            '<span class="text-body-secondary" title="Done at">✓ 23 Nov 10:00</span>',
        ),
    ],
)
def test_a_card_reads_as_a_user_sees_it_in_each_language(
    client, engineer, desk, service, language, mark, late, waiting, done
):
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        tickets = {"late": new_ticket(service, subject="Не печатает принтер", company="ООО «Ромашка»")}
        tickets["waiting"] = new_ticket(service, subject="Ждём запчасть", company="ООО «Ромашка»")
        services.ticket_defer(ticket=tickets["waiting"], by=engineer)
        tickets["done"] = new_ticket(service, subject="Сделано", company="ООО «Ромашка»")
        services.ticket_complete(ticket=tickets["done"], by=engineer)
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        client.force_login(engineer)
        client.cookies["django_language"] = language
        page = client.get(BOARD, {"status": "all"}).content.decode()
    for name, when in (("late", late), ("waiting", waiting), ("done", done)):
        ticket = tickets[name]
        card = page.split(f'data-pk="{ticket.pk}"', 1)[1].split("</article>", 1)[0]
        assert card == CARD.format(
            url=reverse("servicedesk:ticket", args=[ticket.pk]),
            number=ticket.number,
            subject=ticket.subject,
            mark=mark,
            person=engineer.full_name,
            initials=engineer.initials,
            when=when,
        ), name
