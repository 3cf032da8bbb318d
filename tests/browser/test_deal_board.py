"""The deal board in a real Chromium (issue 6): «Ожидание оплаты» needs the contract date."""

import datetime

import pytest
from playwright.sync_api import expect

from admin24.roles import Role
from crm.models import ContractStage, Deal
from tests.factories import DEMO_PASSWORD, DealFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_deal_without_a_contract_date_snaps_back_then_moves_once_the_date_is_filled(live_server, browser_page):
    page = browser_page
    manager = UserFactory(username="deal-manager", roles=[Role.SALES_MANAGER])
    deal = DealFactory(title="Договор с «Ромашкой»", stage=ContractStage.CONTRACT, responsible=manager, amount=30000)
    page.goto(f"{live_server.url}/login/?next=/crm/deals/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/crm/deals/")

    card = page.locator(f'.kanban-card[data-pk="{deal.pk}"]')
    card.drag_to(page.locator("#cards-awaiting_payment"))

    error = page.locator(".kanban-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(str(ContractStage.AWAITING_PAYMENT.label))
    expect(page.locator("#cards-contract").locator(f'[data-pk="{deal.pk}"]')).to_be_visible()
    expect(page.locator('[data-count-for="awaiting_payment"]')).to_have_text("0")
    assert Deal.objects.get(pk=deal.pk).stage == ContractStage.CONTRACT

    card.locator("a.kanban-card-title").click()
    page.wait_for_url(f"{live_server.url}/crm/deals/{deal.pk}/")
    page.fill("#id_contract_date", "2026-11-20")
    page.locator(f'form[action="/crm/deals/{deal.pk}/save/"] button[type=submit]').click()
    expect(page.locator("#id_contract_date")).to_have_value("2026-11-20")
    move_forms = page.locator(f'form[action="/crm/deals/{deal.pk}/move/"]')
    move_forms.filter(has=page.locator('input[value="awaiting_payment"]')).locator("button").click()

    expect(page.locator(f'[data-stage="{ContractStage.AWAITING_PAYMENT}"]')).to_be_visible()
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_date) == (ContractStage.AWAITING_PAYMENT, datetime.date(2026, 11, 20))
