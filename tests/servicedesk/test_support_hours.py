"""Included support hours: the engineer logs the time spent with «Завершить»; the minutes count for
the ticket's contract in the Moscow calendar month the ticket was done, shown as used / included on
the ticket card (with a warning past the limit), the company card and the Service Desk report.

The contract includes 2 hours a month. Three of its tickets, done at (Moscow time):

 #  done                       logged   month (Moscow)   month (UTC)
 1  Mon 30.11.2026 23:30       50 min   November         November (20:30 UTC)
 2  Tue 01.12.2026 00:30       40 min   December         November (21:30 UTC on the 30th)
 3  Tue 15.12.2026 12:00       100 min  December         December

November: 50 min = 0.8 h of 2 (not exceeded). December: 140 min = 2.3 h of 2: exceeded, 116.7 %.
Counted by UTC days it would be 90 and 100 minutes — neither month over the limit.
A ticket of another company (no contract), done in December with 300 minutes, counts for no contract.
"""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from crm.models import Contract
from servicedesk import services
from servicedesk.models import Ticket, TicketStatus
from tests.factories import CompanyFactory, ContactFactory

from .conftest import msk

pytestmark = pytest.mark.django_db

CREATED = msk(2026, 11, 27, 10, 0)
DONE = [(msk(2026, 11, 30, 23, 30), 50), (msk(2026, 12, 1, 0, 30), 40), (msk(2026, 12, 15, 12, 0), 100)]
REPORT = reverse("servicedesk:reports")


@pytest.fixture
def contract(db):
    company = CompanyFactory(name="ООО «Абонент»")
    ContactFactory(full_name="Анна", company=company, emails=["anna@abonent.ru"])
    return Contract.objects.create(
        number="2026-00001",
        company=company,
        signed_on=datetime.date(2026, 1, 15),
        ends_on=datetime.date(2027, 12, 31),
        included_hours=2,
    )


def new_ticket(service, email="anna@abonent.ru", when=CREATED):
    with time_machine.travel(when, tick=False):
        return services.create_ticket(service=service, subject="Не работает почта", email=email, name="Анна")


@pytest.fixture
def three(desk, service, contract, engineer):
    """The three tickets of the table, and the stranger's one."""
    made = []
    for done, minutes in DONE:
        ticket = new_ticket(service)
        assert ticket.contract == contract
        with time_machine.travel(done, tick=False):
            services.ticket_complete(ticket=ticket, by=engineer, spent_minutes=minutes)
        made.append(ticket)
    stranger = new_ticket(service, email="nobody@elsewhere.ru")
    with time_machine.travel(msk(2026, 12, 10, 12), tick=False):
        services.ticket_complete(ticket=stranger, by=engineer, spent_minutes=300)
    return made


def card(client, user, ticket, when):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    with time_machine.travel(when, tick=False):
        return client.get(reverse("servicedesk:ticket", args=[ticket.pk])).content.decode()


def test_the_ticket_card_counts_the_moscow_month_and_warns_past_the_included_hours(client, engineer, three):
    november = card(client, engineer, three[0], msk(2026, 11, 30, 23, 45))
    assert ">0.8 of 2 h<" in november
    assert 'data-warning="hours_exceeded"' not in november
    # 00:30 on 1 December in Moscow is still 30 November in UTC: it counts for December.
    december = card(client, engineer, three[2], msk(2026, 12, 16, 10, 0))
    assert ">2.3 of 2 h<" in december
    assert 'data-warning="hours_exceeded"' in december
    assert ">1 h 40 min<" in december  # the ticket's own time


def test_the_company_card_shows_the_hours_used_this_month(client, engineer, three, contract):
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    with time_machine.travel(msk(2026, 12, 16, 10, 0), tick=False):
        page = client.get(reverse("crm:company-detail", args=[contract.company_id])).content.decode()
    used = page.split("data-hours-used>")[1].split("</p>")[0]
    assert "2.3 of 2 h" in used and "more than the contract includes" in used


@pytest.mark.parametrize(
    ("period", "used", "share"), [("this_month", 140 / 60, 140 / 1.2), ("last_month", 50 / 60, 50 / 1.2)]
)
def test_the_report_gives_each_contracts_hours_per_month(client, engineer, three, period, used, share):
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    with time_machine.travel(msk(2026, 12, 16, 10, 0), tick=False):
        response = client.get(REPORT, {"period": period})
    rows = {
        label: [cell.value for cell in cells] for label, cells in response.context["report"].table("support_hours").rows
    }
    assert rows.keys() == {"2026-00001 · ООО «Абонент»"}
    [[hours, included, percent]] = rows.values()
    assert hours == pytest.approx(used) and included == 2 and percent == pytest.approx(share)


def test_a_quarter_includes_the_hours_of_each_of_its_months(client, engineer, three):
    client.force_login(engineer)
    with time_machine.travel(msk(2026, 12, 16, 10, 0), tick=False):
        response = client.get(REPORT, {"period": "quarter"})
    [(_label, cells)] = response.context["report"].table("support_hours").rows
    assert [cell.value for cell in cells[:2]] == [pytest.approx(190 / 60), 6]  # October to December: 3 × 2 h


def finish(client, ticket, **data):
    return client.post(reverse("servicedesk:ticket_action", args=[ticket.pk, "complete"]), data)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("много", "Give the time spent as a whole number of minutes."),
        ("1.5", "Give the time spent as a whole number of minutes."),
        ("-5", "The time spent cannot be negative."),
        ("10001", "The time spent may be at most 10000 minutes."),
    ],
)
def test_the_finish_form_refuses_a_time_that_is_not_minutes_and_does_not_finish(
    client, engineer, desk, service, contract, typed, error
):
    ticket = new_ticket(service)
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    response = finish(client, ticket, note="Готово", spent_minutes=typed)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [error]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW and ticket.spent_minutes is None


def test_the_finish_form_logs_the_time_and_a_second_finish_adds_to_it(client, engineer, desk, service, contract):
    ticket = new_ticket(service)
    client.force_login(engineer)
    page = client.get(reverse("servicedesk:ticket", args=[ticket.pk])).content.decode()
    assert 'name="spent_minutes"' in page
    finish(client, ticket, spent_minutes="45")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DONE and ticket.spent_minutes == 45
    services.ticket_reopen(ticket=ticket, by=engineer)
    finish(client, ticket, spent_minutes=" 15 ")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DONE and ticket.spent_minutes == 60
    finish_without_time = new_ticket(service)
    finish(client, finish_without_time, spent_minutes="")
    finish_without_time.refresh_from_db()
    assert finish_without_time.status == TicketStatus.DONE and finish_without_time.spent_minutes is None


def test_the_api_logs_the_time_with_the_move_to_done(engineer, desk, service, contract):
    api = APIClient()
    api.force_authenticate(engineer)
    ticket = new_ticket(service)
    url = f"/api/v1/tickets/{ticket.pk}/move/"
    assert api.post(url, {"to": "done", "spent_minutes": -1}, format="json").status_code == 400
    refused = api.post(url, {"to": "in_progress", "spent_minutes": 30}, format="json")
    assert refused.status_code == 400 and "spent_minutes" in refused.json()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW
    response = api.post(url, {"to": "done", "spent_minutes": 30, "reason": "Готово"}, format="json")
    assert response.status_code == 200 and response.json()["spent_minutes"] == 30
    assert Ticket.objects.get(pk=ticket.pk).spent_minutes == 30


def test_the_report_lists_the_twenty_contracts_that_used_most_ties_by_number(client, engineer, desk, service):
    """22 contracts, each with one ticket done this month: T-01 logged 199 minutes, T-02 198, …,
    T-19 181; T-20, T-21 and T-22 logged 150 each, tied for the last place — made in the reverse
    order of their numbers, so that an order by id would show T-22 instead."""
    now = msk(2026, 12, 16, 10, 0)
    minutes = {f"T-{index:02d}": 200 - index for index in range(1, 20)}
    minutes |= {f"T-{index:02d}": 150 for index in range(22, 19, -1)}
    tickets = []
    for number, spent in minutes.items():
        company = CompanyFactory(name=f"ООО «{number}»")
        contract = Contract.objects.create(number=number, company=company, signed_on=datetime.date(2026, 1, 1))
        tickets.append(
            Ticket(
                number=len(tickets) + 1,
                service=service,
                subject="Не работает почта",
                client_name="Анна",
                client_email=f"{len(tickets)}@abonent.ru",
                company=company,
                contract=contract,
                assignee=engineer,
                status=TicketStatus.DONE,
                created_at=now - datetime.timedelta(days=3),
                resolved_at=now - datetime.timedelta(days=1),
                spent_minutes=spent,
            )
        )
    Ticket.objects.bulk_create(tickets)
    client.force_login(engineer)
    with time_machine.travel(now, tick=False):
        response = client.get(REPORT, {"period": "this_month"})
    rows = [(label, cells[0].value) for label, cells in response.context["report"].table("support_hours").rows]
    expected = [f"T-{index:02d}" for index in range(1, 21)]
    assert [label.split(" · ")[0] for label, _hours in rows] == expected
    assert [hours for _label, hours in rows] == [pytest.approx(minutes[number] / 60) for number in expected]
