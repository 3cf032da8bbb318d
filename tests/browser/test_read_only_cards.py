"""Read-only cards in Chromium: what a reader can touch, and what a task holder still can (issue 13 §4)."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from admin24.models import AccessRule
from admin24.roles import Role
from crm.models import ContractStage, Deal, Lead, LeadStage, Task
from tests.factories import DEMO_PASSWORD, DealFactory, LeadFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FIELDS = "main :is(input, select, textarea):not([type=hidden])"


def sign_in(page, live_server, user, next_path: str) -> None:
    page.goto(f"{live_server.url}/login/?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}{next_path}")


def enabled_fields(page) -> list[str]:
    return page.eval_on_selector_all(FIELDS, "els => els.filter(e => !e.disabled).map(e => e.name)")


@pytest.fixture
def contract_deal(db):
    manager = UserFactory(username="ro-manager", roles=[Role.SALES_MANAGER])
    return DealFactory(title="Договор с «Ромашкой»", stage=ContractStage.CONTRACT, responsible=manager, amount=30000)


def test_the_clerk_without_a_task_reads_the_deal_and_can_change_nothing(live_server, browser_page, contract_deal):
    clerk = UserFactory(username="ro-clerk", roles=[Role.CLERK])
    page = browser_page
    sign_in(page, live_server, clerk, f"/crm/deals/{contract_deal.pk}/")

    expect(page.locator("#id_title")).to_be_disabled()
    expect(page.locator("#id_title")).to_have_value("Договор с «Ромашкой»")
    assert enabled_fields(page) == []
    expect(page.locator("main input[type=file]")).to_have_count(0)
    expect(page.locator("main button[type=submit]")).to_have_count(0)
    expect(page.locator("[data-read-only]")).to_be_visible()


def test_the_clerk_with_the_contract_task_attaches_the_contract_and_its_dates(
    live_server, browser_page, contract_deal, tmp_path
):
    clerk = UserFactory(username="ro-clerk2", roles=[Role.CLERK])
    TaskFactory(deal=contract_deal, responsible=clerk, status=Task.Status.OPEN, title="Подготовить договор")
    contract = tmp_path / "dogovor.pdf"
    contract.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page = browser_page
    sign_in(page, live_server, clerk, f"/crm/deals/{contract_deal.pk}/")

    assert sorted(enabled_fields(page)) == ["contract_date", "contract_end_date", "contract_upload"]
    page.locator("#id_contract_upload").set_input_files(str(contract))
    page.fill("#id_contract_date", "2026-11-20")
    page.fill("#id_contract_end_date", "2027-11-19")
    page.get_by_role("button", name="Сохранить сделку").click()

    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#id_contract_date")).to_have_value("2026-11-20")
    expect(page.get_by_role("link", name="dogovor.pdf")).to_be_visible()
    deal = Deal.objects.get(pk=contract_deal.pk)
    assert deal.contract_file and str(deal.contract_end_date) == "2027-11-19"


def test_a_reader_of_a_lead_has_no_field_to_type_in_and_no_button(live_server, browser_page):
    # An IT director given the right to read every lead, and no right to change one.
    role = Group.objects.get(name=Role.IT_DIRECTOR)
    AccessRule.objects.update_or_create(role=role, entity="lead", action="read", defaults={"level": 30})
    reader = UserFactory(username="ro-reader", roles=[Role.IT_DIRECTOR])
    lead = LeadFactory(
        title="Офис на Ленина", responsible=UserFactory(roles=[Role.SALES_MANAGER]), stage=LeadStage.IN_PROGRESS
    )
    page = browser_page
    sign_in(page, live_server, reader, f"/crm/leads/{lead.pk}/")

    expect(page.locator("main h1")).to_contain_text("Офис на Ленина")
    assert page.locator(FIELDS).count() > 0  # the qualification is shown …
    assert enabled_fields(page) == []  # … and cannot be typed in
    expect(page.locator("main button")).to_have_count(0)
    expect(page.locator("[data-read-only]")).to_be_visible()


def test_converting_a_lead_takes_the_answers_just_typed(live_server, browser_page):
    manager = UserFactory(username="ro-converter", roles=[Role.SALES_MANAGER])
    lead = LeadFactory(
        title="Склад на Выборгской", responsible=manager, stage=LeadStage.IN_PROGRESS, phone="+79161234567"
    )
    page = browser_page
    sign_in(page, live_server, manager, f"/crm/leads/{lead.pk}/")

    page.fill("#id_answer_0", "Файловый сервер и 1С")
    page.fill("#id_computers", "12")
    page.locator("[data-convert]").click()

    expect(page.locator(".alert-success")).to_contain_text("Лид конвертирован")
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.stage == LeadStage.QUALIFIED
    assert lead.qualification[0]["answer"] == "Файловый сервер и 1С"
    assert lead.computers == 12
