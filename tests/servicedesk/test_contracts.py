"""A ticket knows the client's contract: its service level sets the deadlines, on the staff path and
on the public form's (whose follow-up runs on the clock); the card and the board card show the
contract or the marks "no active contract" / "payment overdue", and a board filter finds them.

Working calendar: Mon–Fri 09:00–18:00 Moscow time.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from admin24 import timers
from admin24.models import ScheduledAction
from crm.models import Contract, Deal, DealPipeline, RegularStage
from servicedesk import services
from servicedesk.models import Ticket, TicketStatus
from tests.factories import CompanyFactory, ContactFactory

from .conftest import msk

pytestmark = pytest.mark.django_db

MONDAY_10 = msk(2026, 11, 23, 10, 0)
BOARD = reverse("servicedesk:board")
LIST = reverse("servicedesk:list")


@pytest.fixture
def client_company(db):
    company = CompanyFactory(name="ООО «Абонент»")
    ContactFactory(full_name="Анна Абонентова", company=company, emails=["anna@abonent.ru"])
    return company


def contract_for(company, number="2026-00001", **fields):
    fields.setdefault("signed_on", datetime.date(2026, 1, 15))
    fields.setdefault("ends_on", datetime.date(2026, 12, 31))
    return Contract.objects.create(number=number, company=company, **fields)


def staff_ticket(service, when=MONDAY_10, email="anna@abonent.ru"):
    with time_machine.travel(when, tick=False):
        return services.create_ticket(service=service, subject="Не работает почта", email=email, name="Анна")


def test_a_contract_with_its_own_service_level_sets_the_staff_tickets_deadlines(desk, service, client_company):
    desk.reaction_time, desk.resolution_time = datetime.timedelta(hours=2), datetime.timedelta(hours=16)
    desk.save()
    contract = contract_for(
        client_company, reaction_time=datetime.timedelta(minutes=30), resolution_time=datetime.timedelta(hours=4)
    )
    ticket = staff_ticket(service)
    ticket.refresh_from_db()
    assert ticket.contract == contract
    assert timezone.localtime(ticket.reaction_due_at) == msk(2026, 11, 23, 10, 30)
    assert timezone.localtime(ticket.resolution_due_at) == msk(2026, 11, 23, 14, 0)
    # The SLA clock waits for the contract's deadlines, not the desk's.
    pending = ScheduledAction.objects.filter(target_id=ticket.pk, status="pending").values_list("action", "due_at")
    assert {(action, timezone.localtime(due)) for action, due in pending} == {
        (services.REACTION_BREACH, msk(2026, 11, 23, 10, 30)),
        (services.RESOLUTION_BREACH, msk(2026, 11, 23, 14, 0)),
    }


def test_a_contract_overrides_the_service_only_where_it_says(desk, service, client_company):
    service.reaction_time = datetime.timedelta(hours=1)
    service.save()
    contract_for(client_company, resolution_time=datetime.timedelta(hours=3))
    ticket = staff_ticket(service)
    assert timezone.localtime(ticket.reaction_due_at) == msk(2026, 11, 23, 11, 0)  # the service's hour
    assert timezone.localtime(ticket.resolution_due_at) == msk(2026, 11, 23, 13, 0)  # the contract's 3 h


def test_a_public_form_ticket_gets_the_contracts_deadlines_when_its_follow_up_runs(desk, service, client_company):
    contract_for(client_company, reaction_time=datetime.timedelta(minutes=15))
    with time_machine.travel(MONDAY_10, tick=False):
        accepted = services.accept_ticket(
            service=service, subject="Не печатает", email="anna@abonent.ru", name="Анна", source="form"
        )
        # The intake alone cannot know the company: the desk's two hours stand until the follow-up.
        assert timezone.localtime(accepted.reaction_due_at) == msk(2026, 11, 23, 12, 0)
    with time_machine.travel(MONDAY_10 + datetime.timedelta(seconds=2), tick=False):
        timers.run_due_until_idle()
    ticket = Ticket.objects.get(pk=accepted.pk)
    assert ticket.contract.number == "2026-00001"
    assert timezone.localtime(ticket.reaction_due_at) == msk(2026, 11, 23, 10, 15)
    with time_machine.travel(msk(2026, 11, 23, 10, 16), tick=False):
        timers.run_due_until_idle()
    ticket.refresh_from_db()
    assert ticket.reaction_breached


def test_a_ticket_started_before_its_follow_up_runs_is_watched_at_the_contracts_deadline(
    desk, service, client_company, engineer
):
    contract_for(client_company, resolution_time=datetime.timedelta(hours=1))
    with time_machine.travel(MONDAY_10, tick=False):
        accepted = services.accept_ticket(service=service, subject="Срочно", email="anna@abonent.ru", source="form")
        ticket = Ticket.objects.get(pk=accepted.pk)
        services.ticket_start(ticket=ticket, by=engineer)
    with time_machine.travel(MONDAY_10 + datetime.timedelta(seconds=5), tick=False):
        timers.run_due_until_idle()
    ticket.refresh_from_db()
    assert timezone.localtime(ticket.resolution_due_at) == msk(2026, 11, 23, 11, 0)
    pending = ScheduledAction.objects.filter(target_id=ticket.pk, status="pending", action=services.RESOLUTION_BREACH)
    assert [timezone.localtime(row.due_at) for row in pending] == [msk(2026, 11, 23, 11, 0)]
    with time_machine.travel(msk(2026, 11, 23, 11, 1), tick=False):
        timers.run_due_until_idle()
    ticket.refresh_from_db()
    assert ticket.resolution_breached and ticket.status == TicketStatus.IN_PROGRESS


def test_an_ended_contract_does_not_count(desk, service, client_company):
    contract_for(client_company, ends_on=datetime.date(2026, 10, 31), reaction_time=datetime.timedelta(minutes=5))
    ticket = staff_ticket(service)
    assert ticket.contract is None
    assert timezone.localtime(ticket.reaction_due_at) == msk(2026, 11, 23, 12, 0)


def owes_an_invoice(company, *, days):
    return Deal.objects.create(
        title="Абонентка",
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_SENT,
        company=company,
        stage_changed_at=timezone.now() - datetime.timedelta(days=days),
    )


def test_the_card_shows_the_contract_with_its_service_level(client, engineer, desk, service, client_company):
    contract_for(client_company, reaction_time=datetime.timedelta(minutes=30), included_hours=20)
    ticket = staff_ticket(service)
    client.force_login(engineer)
    page = client.get(reverse("servicedesk:ticket", args=[ticket.pk])).content.decode()
    assert 'data-contract="2026-00001"' in page
    assert "31.12.2026" in page and "0 ч 30 мин" in page and ">20<" in page
    assert "data-warning" not in page


def test_the_card_and_the_board_card_warn_of_no_contract_and_an_overdue_payment(
    client, engineer, desk, service, client_company
):
    stranger = staff_ticket(service, email="nobody@elsewhere.ru")
    owes_an_invoice(client_company, days=21)
    debtor = staff_ticket(service)
    contract = contract_for(client_company, number="2026-00077")
    client.force_login(engineer)

    page = client.get(reverse("servicedesk:ticket", args=[stranger.pk])).content.decode()
    assert 'data-warning="no_contract"' in page and 'data-warning="payment_overdue"' not in page
    page = client.get(reverse("servicedesk:ticket", args=[debtor.pk])).content.decode()
    # The debtor's ticket came in before the contract was recorded: no contract, and the debt.
    assert 'data-warning="no_contract"' in page and 'data-warning="payment_overdue"' in page

    under_contract = staff_ticket(service)
    assert under_contract.contract == contract
    response = client.get(BOARD)
    cards = {card.pk: card for column in response.context["columns"] for card in column.cards}
    assert cards[stranger.pk].badge == "нет действующего договора"
    assert cards[debtor.pk].badge == "нет действующего договора · просрочена оплата"
    assert cards[under_contract.pk].badge == "просрочена оплата"
    assert any("2026-00077" in text for _css, text in cards[under_contract.pk].lines)


@pytest.mark.parametrize(
    ("language", "contract_line", "badge"),
    [
        ("ru", "2026-00077 до 31.12.2026", "просрочена оплата"),
        ("en", "2026-00077 until 31 Dec 2026", "payment overdue"),
    ],
)
def test_the_board_card_says_the_contract_and_its_end_in_the_readers_language(
    client, engineer, desk, service, client_company, language, contract_line, badge
):
    contract_for(client_company, number="2026-00077")
    owes_an_invoice(client_company, days=21)
    ticket = staff_ticket(service)
    client.force_login(engineer)
    client.cookies["django_language"] = language
    page = client.get(BOARD).content.decode()
    card = page.split(f'data-pk="{ticket.pk}"', 1)[1].split("</article>", 1)[0]
    assert f'<span class="text-body-secondary">#{ticket.number}</span> Не работает почта</a>' in card
    assert '<div class="small">ООО «Абонент»</div>' in card
    assert f'<div class="small text-body-secondary kanban-card-contract">{contract_line}</div>' in card
    assert f'<span class="badge text-bg-warning">{badge}</span>' in card


def test_an_invoice_unpaid_for_twenty_days_is_not_overdue_yet(client, engineer, desk, service, client_company):
    contract_for(client_company)
    owes_an_invoice(client_company, days=19)
    ticket = staff_ticket(service)
    client.force_login(engineer)
    response = client.get(BOARD)
    [card] = [card for column in response.context["columns"] for card in column.cards if card.pk == ticket.pk]
    assert card.badge == ""


def test_the_board_filter_finds_the_tickets_to_look_at(client, engineer, desk, service, client_company):
    stranger = staff_ticket(service, email="nobody@elsewhere.ru")
    contract_for(client_company)
    fine = staff_ticket(service)
    other = CompanyFactory(name="ООО «Должник»")
    ContactFactory(company=other, emails=["boss@dolzhnik.ru"])
    contract_for(other, number="2026-00002")
    owes_an_invoice(other, days=30)
    debtor = staff_ticket(service, email="boss@dolzhnik.ru")
    client.force_login(engineer)

    def found(standing):
        response = client.get(LIST, {"status": "all", "standing": standing})
        return {row[0].pk for row in response.context["rows"]}

    assert found("no_contract") == {stranger.pk}
    assert found("payment_overdue") == {debtor.pk}
    assert found("warned") == {stranger.pk, debtor.pk}
    assert found("under_contract") == {fine.pk, debtor.pk}
    assert found("") == {stranger.pk, fine.pk, debtor.pk}
