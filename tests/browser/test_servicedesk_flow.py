"""The whole Service Desk round trip in a real Chromium (issue 5 §4).

A client fills the form embedded in an iframe on their company's site (a second local web
server, another origin), attaches a file and gets the ticket number; a support engineer drags
the ticket to «Выполняется» on the board and answers publicly; the client's signed page shows it.
"""

import pytest
from playwright.sync_api import expect

from admin24.roles import Role
from servicedesk import links
from servicedesk.models import DeskSettings, Ticket, TicketStatus
from tests.factories import DEMO_PASSWORD, ServiceFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_client_files_through_the_embedded_form_and_sees_the_engineers_answer(
    live_server, browser_page, client_site, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    settings.SERVICEDESK_FORM_MIN_SECONDS = 0
    site_url, site = client_site
    engineer = UserFactory(username="browser-engineer", roles=[Role.SUPPORT_ENGINEER])
    service = ServiceFactory(name="Обслуживание компьютеров", responsible=engineer)
    desk = DeskSettings.load()
    desk.allowed_origins = site_url
    desk.header_company_name = "Админ24"
    desk.save()
    site["html"] = f"<!doctype html><html><body><h1>ООО «Клиент»</h1>{links.embed_snippet(desk)}</body></html>"
    screenshot = tmp_path / "printer.pdf"
    screenshot.write_bytes(b"%PDF-1.4\n% the printer's error page\n")
    page = browser_page

    # The client, on their own site.
    page.goto(site_url)
    form = page.frame_locator("iframe[data-admin24-form]")
    form.locator("select[name=service]").select_option(str(service.pk))
    form.locator("input[name=name]").fill("Пётр Клиентов")
    form.locator("input[name=email]").fill("petr@client.ru")
    form.locator("input[name=phone]").fill("+7 999 123-45-67")
    form.locator("input[name=company]").fill("ООО «Клиент»")
    form.locator("input[name=subject]").fill("Не печатает принтер")
    form.locator("textarea[name=description]").fill("Принтер в бухгалтерии не печатает с утра.")
    form.locator("input[name=files]").set_input_files(str(screenshot))
    form.locator("input[name=consent_desk]").check()
    form.locator("input[name=consent_company]").check()
    form.locator("button[type=submit]").click()

    client_link = form.locator("[data-client-link]")
    expect(client_link).to_be_visible()
    ticket = Ticket.objects.get()
    expect(form.locator(".alert-success")).to_contain_text(ticket.display_number)
    assert ticket.subject == "Не печатает принтер" and ticket.assignee == engineer
    assert [a.original_name for a in ticket.attachments.all()] == ["printer.pdf"]
    client_url = client_link.get_attribute("href")

    # The engineer, on the board.
    page.goto(f"{live_server.url}/login/?next=/servicedesk/")
    page.fill("#id_username", engineer.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/servicedesk/")
    card = page.locator(f'.kanban-card[data-pk="{ticket.pk}"]')
    expect(card).to_contain_text(ticket.display_number)
    expect(card).to_contain_text("Не печатает принтер")
    expect(page.locator('[data-count-for="new"]')).to_have_text("1")

    card.drag_to(page.locator("#cards-in_progress"))

    expect(page.locator('[data-count-for="in_progress"]')).to_have_text("1")
    expect(page.locator('[data-count-for="new"]')).to_have_text("0")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS

    page.locator(f'.kanban-card[data-pk="{ticket.pk}"] a.kanban-card-title').click()
    page.wait_for_url(f"{live_server.url}/servicedesk/tickets/{ticket.pk}/")
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "in_progress")
    page.fill("#id_body", "Перезагрузите, пожалуйста, принтер и попробуйте ещё раз.")
    page.locator("#comment-form button[type=submit]").click()
    expect(page.locator("#thread")).to_contain_text("Перезагрузите, пожалуйста, принтер")

    # The client opens the link from the confirmation.
    page.goto(client_url)
    expect(page.locator("[data-comment]")).to_contain_text("Перезагрузите, пожалуйста, принтер")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
