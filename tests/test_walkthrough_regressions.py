"""What a walk through the app as its users found wrong, kept from coming back."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from admin24.roles import Role
from crm.models import DealPipeline, RegularStage
from notifications.models import Notification, OutboxMessage
from notifications.services import notify
from tests.factories import DEMO_PASSWORD, CompanyFactory, DealFactory, UserFactory
from tests.told import email as told_email
from tests.told import told

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(username="walker", roles=[Role.SALES_MANAGER])


def tab_links(html: str) -> str:
    """The section tabs of a page (the first nav-tabs list)."""
    start = html.index('<ul class="nav nav-tabs')
    return html[start : html.index("</ul>", start)]


@pytest.mark.parametrize("board", ["/crm/leads/", "/crm/leads/list/", "/crm/deals/", "/crm/deals/regular/"])
def test_every_crm_board_links_to_the_rest_of_the_crm(client, manager, board):
    client.force_login(manager)

    tabs = tab_links(client.get(board).content.decode())

    for page in ("/crm/deals/", "/crm/deals/billing/", "/crm/companies/", "/crm/contacts/", "/crm/tasks/"):
        assert f'href="{page}"' in tabs


def test_the_ticket_board_links_to_my_tickets_and_to_the_settings(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))

    tabs = tab_links(client.get("/servicedesk/").content.decode())

    assert 'href="/servicedesk/my/"' in tabs and 'href="/servicedesk/settings/"' in tabs
    assert 'active" aria-current="page" href="/servicedesk/"' in tabs


def test_the_ticket_list_marks_its_own_tab(client):
    client.force_login(UserFactory(roles=[Role.SUPPORT_ENGINEER]))

    tabs = tab_links(client.get("/servicedesk/list/").content.decode())

    assert 'active" aria-current="page" href="/servicedesk/list/"' in tabs
    assert "/servicedesk/settings/" not in tabs


def test_the_bell_is_drawn_not_left_to_an_emoji_font(client, manager):
    # Without an emoji font (most Linux desktops, Windows 7) the 🔔 character showed as an empty box.
    client.force_login(manager)

    page = client.get("/").content.decode()
    bell = page[page.index('id="notification-bell"') :]
    bell = bell[: bell.index("</a>")]

    assert "<svg" in bell and "\U0001f514" not in page and "&#128276;" not in page


def test_a_failed_regular_deal_is_not_called_an_error_in_billing(client, manager):
    # Its status label shared the msgid "failed" with the outbox's delivery status, «ошибка».
    DealFactory(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.FAILED,
        company=CompanyFactory(name="ООО «Лютик»"),
        responsible=manager,
        amount=Decimal("15000"),
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
    )
    client.force_login(manager)

    with translation.override("ru"):
        outbox_word = translation.gettext("failed")
    page = client.get("/crm/deals/billing/?month=2026-11", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    row = page[page.index('data-status="failed"') :]
    row = row[: row.index("</tr>")]

    assert "ООО «Лютик»" in row and outbox_word not in row


def test_a_notification_in_the_app_does_not_repeat_its_link_as_a_raw_address(
    client, settings, django_capture_on_commit_callbacks
):
    # The title already opens the deal; the email's «Открыть: https://…» line is for mail only.
    settings.SITE_URL = "https://desk.example.ru"
    manager = UserFactory(roles=[Role.SALES_MANAGER], email="olga@example.ru")
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            manager, "reminder", {"title": "Позвонить клиенту", "text": "Клиент ждёт звонка.", "link": "/crm/deals/7/"}
        )
    client.force_login(manager)

    page = client.get("/notifications/").content.decode()

    assert "Клиент ждёт звонка." in told(Notification.objects.get(recipient=manager))[1]
    assert "https://desk.example.ru" not in page and 'href="/notifications/' in page
    assert (
        "https://desk.example.ru/crm/deals/7/"
        in told_email(OutboxMessage.objects.get(recipient_user=manager)).body_text
    )


@pytest.mark.parametrize("page", ["/admin/admin24/accessrule/", "/admin/admin24/user/"])
def test_the_admin_names_roles_in_the_administrators_language(admin_client, page):
    # Roles are groups stored under English names; «Accountant» showed on the Russian pages.
    UserFactory(roles=[Role.ACCOUNTANT])
    with translation.override("ru"):
        accountant = str(Role.LABELS[Role.ACCOUNTANT])

    html = admin_client.get(page, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert accountant != Role.ACCOUNTANT and accountant in html and ">Accountant<" not in html


def test_the_user_form_offers_the_roles_by_their_translated_names(admin_client):
    user = UserFactory(roles=[Role.ACCOUNTANT])
    with translation.override("ru"):
        accountant = str(Role.LABELS[Role.ACCOUNTANT])

    html = admin_client.get(f"/admin/admin24/user/{user.pk}/change/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert f">{accountant}</option>" in html and ">Accountant</option>" not in html


def test_switching_to_english_makes_the_users_notifications_english_too(client, manager):
    # The selector only set a cookie: pages turned English, notifications and emails stayed Russian.
    client.force_login(manager)

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    manager.refresh_from_db()
    notify(manager, "reminder", {"title": "Call the client", "text": "The client waits.", "due": timezone.now()})

    assert manager.language == "en"
    assert "Due:" in told(Notification.objects.get(recipient=manager))[1]
    assert "Notifications" in client.get("/").content.decode()


def test_signing_in_shows_the_users_own_language_not_the_browsers(client):
    UserFactory(username="olga", language="ru")

    response = client.post(
        "/login/", {"username": "olga", "password": DEMO_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )

    assert "Уведомления" in response.content.decode()


def test_an_english_speaker_signs_in_to_english_pages(client):
    UserFactory(username="john", language="en")

    response = client.post("/login/", {"username": "john", "password": DEMO_PASSWORD}, follow=True)

    assert "Notifications" in response.content.decode() and "Уведомления" not in response.content.decode()
