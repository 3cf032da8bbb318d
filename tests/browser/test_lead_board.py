"""Drag-and-drop on the lead board in a real Chromium (issue 4 §6)."""

import pytest
from playwright.sync_api import expect

from admin24.roles import Role
from crm.models import Lead, LeadStage
from tests.factories import DEMO_PASSWORD, LeadFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/?next=/crm/leads/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/crm/leads/")


def card(page, lead):
    return page.locator(f'.kanban-card[data-pk="{lead.pk}"]')


def test_a_manager_drags_a_lead_to_no_answer_and_an_illegal_move_snaps_back(live_server, browser_page):
    page = browser_page
    manager = UserFactory(username="browser-manager", roles=[Role.SALES_MANAGER])
    dragged = LeadFactory(title="Перетаскиваемая", stage=LeadStage.IN_PROGRESS, responsible=manager)
    stuck = LeadFactory(title="Упрямая", stage=LeadStage.IN_PROGRESS, responsible=manager)
    log_in(page, live_server, manager.username)

    in_progress = page.locator('[data-count-for="in_progress"]')
    no_answer = page.locator('[data-count-for="no_answer"]')
    expect(in_progress).to_have_text("2")
    expect(no_answer).to_have_text("0")

    card(page, dragged).drag_to(page.locator("#cards-no_answer"))

    expect(no_answer).to_have_text("1")
    expect(in_progress).to_have_text("1")
    expect(page.locator("#cards-no_answer").locator(f'[data-pk="{dragged.pk}"]')).to_be_visible()
    dragged.refresh_from_db()
    assert dragged.stage == LeadStage.NO_ANSWER

    card(page, stuck).drag_to(page.locator("#cards-new"))

    error = page.locator(".kanban-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(str(LeadStage.IN_PROGRESS.label))
    expect(page.locator("#cards-in_progress").locator(f'[data-pk="{stuck.pk}"]')).to_be_visible()
    expect(page.locator("#cards-new .kanban-card")).to_have_count(0)
    expect(in_progress).to_have_text("1")
    assert Lead.objects.get(pk=stuck.pk).stage == LeadStage.IN_PROGRESS


def test_show_more_loads_the_rest_of_a_column_and_those_cards_drag_too(live_server, browser_page):
    page = browser_page
    manager = UserFactory(username="browser-manager", roles=[Role.SALES_MANAGER])
    leads = LeadFactory.create_batch(55, stage=LeadStage.IN_PROGRESS, responsible=manager)
    log_in(page, live_server, manager.username)
    column = page.locator("#cards-in_progress .kanban-card")
    expect(column).to_have_count(50)

    page.locator("#more-in_progress button").click()

    expect(column).to_have_count(55)
    expect(page.locator("#more-in_progress button")).to_have_count(0)
    oldest = leads[0]  # the column shows the newest first, so the first one created came last
    card(page, oldest).drag_to(page.locator("#cards-no_answer"))
    expect(page.locator('[data-count-for="no_answer"]')).to_have_text("1")
    assert Lead.objects.get(pk=oldest.pk).stage == LeadStage.NO_ANSWER
