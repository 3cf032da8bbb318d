"""The settings page: administrators only, a form per section with clear errors, the form link and its key."""

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from admin24.roles import Role
from servicedesk import links
from servicedesk.models import DeskSettings, Service
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = reverse("servicedesk:settings")
VALID_TOKEN = "123456789:AAH" + "x" * 32


@pytest.fixture
def admin(db):
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.fixture
def admin_client(client, admin, desk):
    client.force_login(admin)
    return client


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def png(size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


@pytest.mark.parametrize("roles", [[Role.SUPPORT_ENGINEER], [Role.SUPERVISOR], [Role.SALES_MANAGER]])
def test_only_administrators_open_the_settings(client, desk, roles):
    client.force_login(UserFactory(roles=roles))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(reverse("servicedesk:regenerate_form_key")).status_code == 403
    assert client.get(reverse("servicedesk:service_create")).status_code == 403


def test_a_visitor_is_sent_to_the_login_page(client, desk):
    response = client.get(SETTINGS)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_page_shows_the_form_link_and_embed_code_to_copy(admin_client, desk):
    page = admin_client.get(SETTINGS).content.decode()
    assert links.form_url(desk) in page
    assert 'data-copy-target="form-url"' in page and 'data-copy-target="embed-code"' in page
    assert "&lt;iframe" in page and desk.form_key in page


def test_speed_is_entered_in_hours_and_minutes(admin_client, desk):
    response = admin_client.post(
        SETTINGS,
        {
            "section": "speed",
            "reaction_time_hours": "1",
            "reaction_time_minutes": "30",
            "resolution_time_hours": "24",
            "resolution_time_minutes": "",
            "deferred_return_time_hours": "0",
            "deferred_return_time_minutes": "45",
        },
    )
    assert response.status_code == 302
    desk.refresh_from_db()
    assert desk.reaction_time == datetime.timedelta(hours=1, minutes=30)
    assert desk.resolution_time == datetime.timedelta(hours=24)
    assert desk.deferred_return_time == datetime.timedelta(minutes=45)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reaction_time_minutes": "75"}, "reaction_time_minutes"),
        ({"reaction_time_hours": "", "reaction_time_minutes": ""}, "reaction_time_hours"),
        ({"reaction_time_hours": "0", "reaction_time_minutes": "0"}, "reaction_time_hours"),
        ({"reaction_time_hours": "-1"}, "reaction_time_hours"),
        ({"reaction_time_hours": "два"}, "reaction_time_hours"),
        ({"reaction_time_hours": "30"}, "resolution_time_hours"),
    ],
)
def test_bad_speed_values_are_marked_and_nothing_is_saved(admin_client, desk, fields, field):
    data = {
        "section": "speed",
        "reaction_time_hours": "2",
        "reaction_time_minutes": "0",
        "resolution_time_hours": "16",
        "resolution_time_minutes": "0",
        "deferred_return_time_hours": "8",
        "deferred_return_time_minutes": "0",
        **fields,
    }
    before = DeskSettings.load().reaction_time
    response = admin_client.post(SETTINGS, data)
    assert response.status_code == 400
    assert response.context["forms"]["speed"].errors[field]
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert DeskSettings.load().reaction_time == before


def test_requisites_are_checked(admin_client, desk):
    data = {
        "section": "requisites",
        "legal_name": "ООО «Админ24»",
        "inn": "7736207543",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "legal_address": "Москва",
        "company_email": "info@admin24.ru",
        "company_phone": "+7 495 123-45-67",
    }
    assert admin_client.post(SETTINGS, data).status_code == 302
    desk.refresh_from_db()
    assert desk.inn == "7736207543" and desk.ogrn == "1027700132195"
    response = admin_client.post(SETTINGS, {**data, "inn": "7736207544", "ogrn": "1027700132196", "company_email": "x"})
    assert response.status_code == 400
    assert set(response.context["forms"]["requisites"].errors) == {"inn", "ogrn", "company_email"}


def test_other_settings_and_embedding_sites(admin_client, desk):
    data = {
        "section": "form",
        "phone_required": "on",
        "header_company_name": "Админ24",
        "allowed_origins": "https://client.ru/\nhttp://localhost:8080",
        "max_files": "5",
        "max_file_mb": "10",
        "max_total_mb": "30",
    }
    assert admin_client.post(SETTINGS, data).status_code == 302
    desk.refresh_from_db()
    assert desk.phone_required and desk.header_company_name == "Админ24"
    assert desk.origins == ["https://client.ru", "http://localhost:8080"]
    response = admin_client.post(SETTINGS, {**data, "allowed_origins": "client.ru/page", "max_total_mb": "5"})
    assert response.status_code == 400
    assert set(response.context["forms"]["form"].errors) == {"allowed_origins", "max_total_mb"}


def test_the_telegram_token_is_kept_when_left_empty_and_never_shown(admin_client, desk):
    data = {"section": "telegram", "token": VALID_TOKEN, "telegram_username": "@admin24_bot", "telegram_phone": ""}
    assert admin_client.post(SETTINGS, data).status_code == 302
    desk.refresh_from_db()
    assert desk.telegram_token == VALID_TOKEN and desk.telegram_username == "admin24_bot"
    assert admin_client.post(SETTINGS, {**data, "token": ""}).status_code == 302
    desk.refresh_from_db()
    assert desk.telegram_token == VALID_TOKEN
    assert VALID_TOKEN not in admin_client.get(SETTINGS).content.decode()
    response = admin_client.post(SETTINGS, {**data, "token": "12345", "telegram_username": "admin24"})
    assert response.status_code == 400
    assert set(response.context["forms"]["telegram"].errors) == {"token", "telegram_username"}
    admin_client.post(SETTINGS, {**data, "token": "", "forget_token": "on"})
    desk.refresh_from_db()
    assert desk.telegram_token == ""


def test_a_new_form_key_makes_the_old_link_stop_working(admin_client, desk):
    old_url = links.form_path(desk)
    assert admin_client.get(old_url).status_code == 200
    response = admin_client.post(reverse("servicedesk:regenerate_form_key"), follow=True)
    desk.refresh_from_db()
    assert links.form_path(desk) != old_url
    assert any("old link" in text or "старая ссылка" in text.lower() for text in said(response))
    assert links.form_url(desk) in response.content.decode()
    assert admin_client.get(old_url).status_code == 404
    assert admin_client.get(links.form_path(desk)).status_code == 200


def test_the_regenerate_button_only_answers_post(admin_client, desk):
    key = desk.form_key
    assert admin_client.get(reverse("servicedesk:regenerate_form_key")).status_code == 405
    desk.refresh_from_db()
    assert desk.form_key == key


def test_a_favicon_is_stored_resized_and_shown(admin_client, desk):
    response = admin_client.post(reverse("servicedesk:favicon"), {"icon": png()}, follow=True)
    desk.refresh_from_db()
    assert desk.favicon_32 and desk.favicon_180
    assert Image.open(desk.favicon_180.open()).size == (180, 180)
    assert 'id="current-favicon"' in response.content.decode()
    admin_client.post(reverse("servicedesk:favicon"), {"clear": "1"})
    desk.refresh_from_db()
    assert not desk.favicon_32


def test_an_svg_or_non_image_favicon_is_refused_with_a_message(admin_client, desk):
    svg = SimpleUploadedFile("icon.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', content_type="image/png")
    response = admin_client.post(reverse("servicedesk:favicon"), {"icon": svg}, follow=True)
    assert any("SVG" in text for text in said(response))
    text = SimpleUploadedFile("icon.png", b"hello", content_type="image/png")
    response = admin_client.post(reverse("servicedesk:favicon"), {"icon": text}, follow=True)
    assert said(response)
    desk.refresh_from_db()
    assert not desk.favicon_32


def test_services_are_added_with_optional_own_times_and_edited(admin_client, desk, engineer):
    response = admin_client.post(
        reverse("servicedesk:service_create"),
        {
            "name": "Сервер 1С",
            "description": "Обслуживание сервера",
            "active": "on",
            "responsible": engineer.pk,
            "order": "1",
            "reaction_time_hours": "0",
            "reaction_time_minutes": "30",
            "resolution_time_hours": "",
            "resolution_time_minutes": "",
        },
    )
    assert response.status_code == 302
    service = Service.objects.get(name="Сервер 1С")
    assert service.responsible == engineer
    assert service.reaction_time == datetime.timedelta(minutes=30) and service.resolution_time is None
    assert "Сервер 1С" in admin_client.get(SETTINGS).content.decode()
    admin_client.post(
        reverse("servicedesk:service_edit", args=[service.pk]),
        {"name": "Сервер 1С", "order": "1", "responsible": "", "reaction_time_hours": "", "reaction_time_minutes": ""},
    )
    service.refresh_from_db()
    assert not service.active and service.responsible is None and service.reaction_time is None


def test_a_service_needs_a_unique_name(admin_client, desk):
    ServiceFactory(name="Принтеры")
    response = admin_client.post(reverse("servicedesk:service_create"), {"name": "принтеры", "order": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Service.objects.count() == 1


def test_an_unknown_service_is_404(admin_client, desk):
    assert admin_client.get(reverse("servicedesk:service_edit", args=[999])).status_code == 404
