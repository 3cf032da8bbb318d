"""What a walk through the app in Chromium found wrong with the layout, kept from coming back."""

import pytest
from playwright.sync_api import expect

from admin24.roles import Role
from servicedesk import links
from servicedesk.models import DeskSettings
from tests.factories import DEMO_PASSWORD, CompanyFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_after_sending_the_embedded_form_the_client_sees_the_confirmation(
    live_server, browser_page, client_site, settings
):
    settings.SITE_URL = live_server.url
    settings.SERVICEDESK_FORM_MIN_SECONDS = 0
    site_url, site = client_site
    service = ServiceFactory(name="Обслуживание компьютеров")
    desk = DeskSettings.load()
    desk.allowed_origins = site_url
    desk.save()
    site["html"] = (
        "<!doctype html><html><body><h1>ООО «Клиент»</h1><div style='height:700px'>О компании</div>"
        f"{links.embed_snippet(desk)}<footer>Контакты</footer></body></html>"
    )
    page = browser_page
    page.goto(site_url)
    form = page.frame_locator("iframe[data-admin24-form]")
    form.locator("select[name=service]").select_option(str(service.pk))
    form.locator("input[name=name]").fill("Пётр Клиентов")
    form.locator("input[name=email]").fill("petr@client.ru")
    form.locator("input[name=subject]").fill("Не печатает принтер")
    form.locator("textarea[name=description]").fill("Принтер в бухгалтерии не печатает с утра.")
    form.locator("input[name=consent_desk]").check()
    form.locator("input[name=consent_company]").check()
    frame = page.locator("iframe[data-admin24-form]")
    expect(frame).not_to_have_attribute("style", "width:100%;min-height:600px;border:0")  # grown to the form
    form_height = frame.bounding_box()["height"]
    form.locator("button[type=submit]").click()

    confirmation = form.locator(".alert-success")
    expect(confirmation).to_be_visible()
    # The frame shrinks to the confirmation instead of keeping the long form's height, and the
    # page scrolls back up to it: the visitor, who was at the send button, sees the answer.
    expect(confirmation).to_be_in_viewport()
    page.wait_for_function("h => document.querySelector('iframe[data-admin24-form]').offsetHeight < h", arg=form_height)
    assert frame.bounding_box()["height"] <= 650


def test_a_cards_details_box_stays_inside_the_page(live_server, browser_page):
    manager = UserFactory(username="walk-manager", roles=[Role.SALES_MANAGER])
    company = CompanyFactory(name="ООО «Ромашка»", responsible=manager)
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/crm/companies/{company.pk}/")

    title_left = page.locator("main h1").bounding_box()["x"]
    box_left = page.locator("main dl").first.bounding_box()["x"]

    assert box_left >= title_left
