"""An English-speaking user reads a deal's history in English in Chromium (issue 13 §1–§2)."""

import pytest
import time_machine
from django.utils import translation
from playwright.sync_api import expect

from admin24.roles import Role
from tests.crm.conftest import msk
from tests.crm.test_billing import regular_deal
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_english_user_sees_the_deal_history_in_english(live_server, browser_page):
    manager = UserFactory(username="hist-anna", first_name="Анна", last_name="Петрова", roles=[Role.SALES_MANAGER])
    reader = UserFactory(username="hist-john", first_name="John", last_name="Smith", roles=[Role.ADMINISTRATOR])
    reader.language = "en"
    reader.save(update_fields=["language"])
    with translation.override("ru"), time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        deal = regular_deal(manager)  # the robot sets the invoice task and reminds Анна, in Russian

    page = browser_page  # a Russian-speaking browser: the user's own language wins once signed in
    path = f"/crm/deals/{deal.pk}/"
    page.goto(f"{live_server.url}/login/?next={path}")
    page.fill("#id_username", reader.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}{path}")

    history = page.locator("#history")
    reminder = history.locator("[data-kind=reminder_sent]")
    expect(reminder).to_contain_text("Reminder sent to Петрова Анна")
    expect(reminder).to_contain_text("Attach the invoice: ООО «Ромашка»: 03.2027")
    expect(history.locator("[data-kind=task_created]")).to_contain_text("Task created: Attach the invoice")
    assert "Прикрепить" not in history.inner_text() and "напоминание" not in history.inner_text()
