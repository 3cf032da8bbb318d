"""The Service Desk settings page in a real Chromium: copy buttons, a confirmed new form key, validation."""

import pytest
from playwright.sync_api import expect

from admin24.roles import Role
from servicedesk import links
from servicedesk.models import DeskSettings
from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_administrator_copies_the_link_renews_it_and_sees_field_errors(live_server, browser_page, settings):
    settings.SITE_URL = live_server.url
    admin = UserFactory(username="browser-admin", roles=[Role.ADMINISTRATOR])
    desk = DeskSettings.load()
    old_url = links.form_url(desk)
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/login/?next=/servicedesk/settings/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/servicedesk/settings/")

    expect(page.locator("#form-url")).to_have_value(old_url)
    page.locator('[data-copy-target="form-url"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == old_url
    page.locator('[data-copy-target="embed-code"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == links.embed_snippet(desk)

    dialogs = []

    def decline_then_accept(dialog):
        dialogs.append(dialog.message)
        if len(dialogs) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", decline_then_accept)
    renew = page.locator("#link form button[type=submit]")
    renew.click()
    expect(page.locator("#form-url")).to_have_value(old_url)
    renew.click()
    expect(page.locator("#form-url")).not_to_have_value(old_url)
    assert len(dialogs) == 2
    desk.refresh_from_db()
    expect(page.locator("#form-url")).to_have_value(links.form_url(desk))
    expect(page.locator(".alert-success")).to_be_visible()

    page.fill("#id_reaction_time_minutes", "75")
    page.locator("#speed button[type=submit]").click()
    expect(page.locator("#speed .invalid-feedback")).to_be_visible()
    expect(page.locator(".alert-danger").first).to_be_visible()
