"""The Content-Security-Policy in a real Chromium (issue 12 §9): on the demo, every main page of
every role — boards, cards, tickets, reports, settings, the admin, the API docs — and the public
forms, standalone and embedded in a client's site, work with nothing refused and no script error,
while a script injected into any of them is refused.

A page counts as failing on any console message of a refusal ("Refused to …", Chromium's words
for a CSP violation), any ``securitypolicyviolation`` event and any uncaught script error.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from admin24.demo import DEMO_PASSWORD
from crm.models import Company, Deal, Lead
from servicedesk import links
from servicedesk.models import DeskSettings, Ticket
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Reported by every document the page opens (frames too), before any of its own scripts run.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  console.error("securitypolicyviolation: " + event.violatedDirective + " " + event.blockedURI);
});"""
# An attacker's markup that got through: an inline script, added after the page loaded.
INJECT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injectedRan = true;";
  document.head.appendChild(script);
  return window.injectedRan === true;
}"""


class Watch:
    """What a page refused or failed at, as a user's browser console would show it."""

    def __init__(self, page):
        self.problems = []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message):
        text = message.text
        if "Refused to" in text or "securitypolicyviolation" in text or "Content Security Policy" in text:
            self.problems.append(text)

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


@pytest.fixture
def demo(settings, live_server):
    settings.DEBUG = True  # seed_demo refuses production
    settings.SITE_URL = live_server.url
    call_command("seed_demo")
    settings.DEBUG = False  # the pages as production serves them
    return live_server.url


@pytest.fixture
def watch(browser_page):
    return Watch(browser_page)


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login/" not in url)


def open_clean(page, watch, url, ready=None):
    """Open the page; it must show what `ready` names, refuse nothing, and refuse an injected script."""
    response = page.goto(url)
    assert response.status == 200, url
    if ready:
        expect(page.locator(ready).first).to_be_attached()
    page.wait_for_load_state("load")
    problems = watch.take()
    assert problems == [], f"{url}: {problems}"
    with page.expect_console_message(lambda message: "securitypolicyviolation: script-src" in message.text):
        assert page.evaluate(INJECT) is False, f"{url}: an injected inline script ran"
    watch.take()  # the refusal of the injected script, and only that


def test_every_main_page_of_every_role_runs_under_the_policy(demo, browser_page, watch):
    page = browser_page
    ticket = Ticket.objects.order_by("pk").first()
    lead = Lead.objects.order_by("pk").first()
    deal = Deal.objects.order_by("pk").first()
    company = Company.objects.order_by("pk").first()
    pages = {
        "admin": [
            (reverse("servicedesk:board"), "[data-kanban]"),
            (reverse("servicedesk:ticket", args=[ticket.pk]), "main h1"),
            (reverse("servicedesk:settings"), "#form-url"),
            (reverse("servicedesk:reports"), 'canvas[data-drawn="1"]'),
            (reverse("crm:reports"), 'canvas[data-drawn="1"]'),
            (reverse("crm:report", args=["deals"]), 'canvas[data-drawn="1"]'),
            (reverse("crm:public-lead-form-embed"), "#form-code"),
            (reverse("staff"), "main"),
            (reverse("admin:index"), "#content-main"),
            (reverse("admin:servicedesk_ticket_changelist"), "#result_list"),
            (reverse("admin:servicedesk_ticket_change", args=[ticket.pk]), "#ticket_form"),
            (reverse("admin:admin24_calendarday_month"), ".wt-month"),
            (reverse("admin:django_celery_beat_periodictask_add"), "#periodictask_form"),
            (reverse("api-docs"), ".swagger-ui .opblock"),
            ("/api/v1/", ".response-info"),
            ("/api/v1/tickets/", ".response-info"),
            (f"/api/v1/tickets/{ticket.pk}/", ".response-info"),
        ],
        "support": [
            (reverse("servicedesk:board"), "[data-kanban]"),
            (reverse("servicedesk:my"), "main"),
            (reverse("servicedesk:ticket", args=[ticket.pk]), "main h1"),
            (reverse("notifications:list"), "main"),
        ],
        "manager": [
            (reverse("crm:leads_board"), "[data-kanban]"),
            (reverse("crm:deals_board"), "[data-kanban]"),
            (reverse("crm:lead-detail", args=[lead.pk]), "main h1"),
            (reverse("crm:deal-detail", args=[deal.pk]), "main h1"),
            (reverse("crm:company-list"), "main"),
            (reverse("crm:company-detail", args=[company.pk]), "main h1"),
            (reverse("crm:my_tasks"), "main"),
        ],
    }
    for username, urls in pages.items():
        log_in(page, demo, username)
        for path, ready in urls:
            open_clean(page, watch, demo + path, ready)

    # What the inline code did still happens: the copy buttons and the language switch.
    log_in(page, demo, "admin")
    open_clean(page, watch, demo + reverse("admin:django_celery_beat_periodictask_add"), "#periodictask_form")
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    # The styles moved to files still apply: the calendar's month grid, the form's hidden honeypot.
    open_clean(page, watch, demo + reverse("admin:admin24_calendarday_month"), ".wt-month")
    assert page.evaluate("getComputedStyle(document.querySelector('.wt-month')).tableLayout") == "fixed"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo)
    open_clean(page, watch, demo + reverse("crm:public-lead-form-embed"), "#form-code")
    copy = page.locator('[data-copy-target="form-code"]')
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()") == page.input_value("#form-code")
    expect(copy).to_have_text("Скопировано")
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(copy).to_have_text("Copy")
    assert watch.take() == []


def test_the_public_forms_run_under_the_policy_alone_and_inside_a_clients_site(
    live_server, settings, browser_page, watch, client_site
):
    settings.SITE_URL = base = live_server.url
    ServiceFactory(name="Обслуживание компьютеров")
    page = browser_page
    site_url, site = client_site
    desk = DeskSettings.load()
    desk.allowed_origins = site_url
    desk.save()
    form = links.form_url(desk)
    open_clean(page, watch, form, "select[name=service]")
    expect(page.locator(".sd-hp input")).not_to_be_in_viewport()
    open_clean(page, watch, base + reverse("desk:consent"), "main")
    open_clean(page, watch, base + reverse("crm:public-lead-form"), "form")
    expect(page.locator(".hp-field input")).not_to_be_in_viewport()

    lead_form = base + reverse("crm:public-lead-form") + "?embed=1"
    site["html"] = (
        "<!doctype html><html><body><h1>ООО «Клиент»</h1>"
        f"{links.embed_snippet(desk)}"
        f'<iframe src="{lead_form}" data-lead-form title="lead"></iframe></body></html>'
    )
    page.goto(site_url)
    ticket_form = page.frame_locator("iframe[data-admin24-form]")
    expect(ticket_form.locator("select[name=service]")).to_be_visible()
    expect(page.frame_locator("iframe[data-lead-form]").locator("form")).to_be_visible()
    # The frame reports its height to the embed code (the moved script): the frame grows to the form.
    page.wait_for_function("() => document.querySelector('iframe[data-admin24-form]').offsetHeight > 600")
    ticket_form.locator("input[name=email]").fill("client@example.org")
    assert watch.take() == []


def test_a_site_not_listed_cannot_show_the_ticket_form(live_server, settings, browser_page, client_site):
    settings.SITE_URL = live_server.url
    page = browser_page
    site_url, site = client_site
    desk = DeskSettings.load()
    desk.allowed_origins = ""
    desk.save()
    site["html"] = f"<!doctype html><html><body>{links.embed_snippet(desk)}</body></html>"
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.goto(site_url)
    frame = page.frame_locator("iframe[data-admin24-form]")
    expect(frame.locator("select[name=service]")).to_have_count(0)
