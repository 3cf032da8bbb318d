"""Overdue is one rule (the ticket's stored ``overdue_at``): its card, the board and the API say the
same at every moment — just before and just after each deadline, after each move, deferred or not."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from admin24 import timers, workflow
from servicedesk.models import TicketStatus

from .staff_helpers import new_ticket

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


def _seen(client, api, ticket) -> dict[str, bool]:
    """Whether each place a person reads marks ``ticket`` overdue now."""
    card = client.get(reverse("servicedesk:ticket", args=[ticket.pk])).content.decode()
    board = client.get(reverse("servicedesk:board"), {"status": "all"}).content.decode()
    on_board = re.search(rf'<article class="kanban-card[^"]*" data-pk="{ticket.pk}">.*?</article>', board, re.S)
    listed = api.get("/api/v1/tickets/", {"overdue": "1"}).json()["results"]
    return {
        "card": "data-overdue>" in card,
        "board": "data-overdue>" in on_board.group(0) and "kanban-card-overdue" in on_board.group(0),
        "api": api.get(f"/api/v1/tickets/{ticket.pk}/").json()["is_overdue"],
        "api overdue filter": [row["id"] for row in listed] == [ticket.pk],
    }


def _everywhere(overdue: bool) -> dict[str, bool]:
    return dict.fromkeys(("card", "board", "api", "api overdue filter"), overdue)


def _move(api, ticket, to: str, **body) -> bool:
    """Move ``ticket`` through the API; what the move's answer says of overdue."""
    response = api.post(f"/api/v1/tickets/{ticket.pk}/move/", {"to": to, **body}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["is_overdue"]


@pytest.fixture
def readers(client, engineer):
    client.force_login(engineer)
    api = APIClient()
    api.force_authenticate(engineer)
    return client, api


def test_the_reaction_deadline_then_the_resolution_deadline_of_a_ticket_worked_on(desk, service, readers):
    client, api = readers
    ticket = new_ticket(service)
    with time_machine.travel(ticket.reaction_due_at - MINUTE):
        assert _seen(client, api, ticket) == _everywhere(False)
    with time_machine.travel(ticket.reaction_due_at + MINUTE):
        assert _seen(client, api, ticket) == _everywhere(True)
        # Work starts late but before the clock flagged the breach: the reaction deadline counts no more.
        assert _move(api, ticket, TicketStatus.IN_PROGRESS) is False
        assert _seen(client, api, ticket) == _everywhere(False)
    with time_machine.travel(ticket.resolution_due_at - MINUTE):
        assert _seen(client, api, ticket) == _everywhere(False)
    with time_machine.travel(ticket.resolution_due_at + MINUTE):
        assert _seen(client, api, ticket) == _everywhere(True)
        assert _move(api, ticket, TicketStatus.DONE) is False
        assert _seen(client, api, ticket) == _everywhere(False)


def test_a_deferred_ticket_is_overdue_past_its_deadline(desk, service, readers):
    client, api = readers
    ticket = new_ticket(service)
    with time_machine.travel(ticket.resolution_due_at - 2 * MINUTE):
        assert _move(api, ticket, TicketStatus.IN_PROGRESS) is False
        assert _move(api, ticket, TicketStatus.DEFERRED) is False
        assert _seen(client, api, ticket) == _everywhere(False)
    with time_machine.travel(ticket.resolution_due_at + MINUTE):
        assert _seen(client, api, ticket) == _everywhere(True)


def test_a_reaction_breach_counts_until_the_ticket_is_deferred_which_notes_the_reaction(desk, service, readers):
    client, api = readers
    ticket = new_ticket(service)
    with time_machine.travel(ticket.reaction_due_at + MINUTE):
        timers.run_due()  # the clock flags the breach
        ticket.refresh_from_db()
        assert ticket.reaction_breached
        assert _seen(client, api, ticket) == _everywhere(True)
        assert _move(api, ticket, TicketStatus.DEFERRED) is False
        assert _seen(client, api, ticket) == _everywhere(False)
    with time_machine.travel(ticket.resolution_due_at + MINUTE):
        assert _seen(client, api, ticket) == _everywhere(True)
        assert _move(api, ticket, TicketStatus.IN_PROGRESS) is True
        assert _seen(client, api, ticket) == _everywhere(True)


def test_tickets_moved_together_read_overdue_as_stored_after_the_move(desk, service, engineer):
    # A batch move writes its rows in one UPDATE (``bulk.update_rows``), not through save().
    tickets = [new_ticket(service, subject=f"Заявка {n}") for n in range(2)]
    with time_machine.travel(tickets[0].reaction_due_at + MINUTE):
        assert [ticket.is_overdue for ticket in tickets] == [True, True]
        workflow.move_many(tickets, TicketStatus.IN_PROGRESS, by=engineer)
        assert [ticket.is_overdue for ticket in tickets] == [False, False]
