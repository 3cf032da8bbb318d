"""Staff accounts: invitations by email, deactivation, roles and department; password reset; the profile."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from rest_framework.authtoken.models import Token

from admin24 import staff
from admin24.models import Department, User
from admin24.roles import Role
from notifications.models import Notification, OutboxMessage
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.told import email as told_email

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kotik-na-okne-2026"


@pytest.fixture
def admin(client):
    user = UserFactory(username="boss", roles=[Role.ADMINISTRATOR])
    client.force_login(user)
    return user


@pytest.fixture
def support(db):
    return Department.objects.create(name="Поддержка")


def invite(client, support, **fields):
    data = {
        "email": "new.engineer@admin24.example",
        "last_name": "Новиков",
        "first_name": "Николай",
        "department": support.pk,
        "roles": [Group.objects.get(name=Role.SUPPORT_ENGINEER).pk],
        "language": "ru",
        **fields,
    }
    return client.post("/staff/invite/", data)


def invitation_path(message: OutboxMessage) -> str:
    message = told_email(message)
    found = re.search(r"https?://[^/\s]+(/invitation/[^\s\"<]+/)", message.body_text)
    assert found, message.body_text
    return found.group(1)


def signs_in(client, username: str, password: str) -> bool:
    client.logout()
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


# --- invitations ----------------------------------------------------------------------------------


def test_an_administrator_invites_a_person_who_sets_a_password_from_the_email(client, admin, support, settings):
    settings.SITE_URL = "https://desk.example.ru"

    response = invite(client, support)

    assert response.status_code == 302
    person = User.objects.get(email="new.engineer@admin24.example")
    assert person.username == "new.engineer"
    assert person.department == support
    assert list(person.groups.values_list("name", flat=True)) == [Role.SUPPORT_ENGINEER]
    assert not person.has_usable_password()
    email = told_email(OutboxMessage.objects.get(address="new.engineer@admin24.example"))
    assert email.template == "admin24/invitation"
    assert "Вас пригласили в Admin24" in email.subject
    assert "https://desk.example.ru/invitation/" in email.body_text
    assert not Notification.objects.filter(recipient=person).exists()  # they cannot sign in to read it

    client.logout()
    path = invitation_path(email)
    assert "Николай" in client.get(path).content.decode()
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == person
    assert signs_in(client, "new.engineer@admin24.example", NEW_PASSWORD)


def test_an_invitation_works_once(client, admin, support):
    invite(client, support)
    path = invitation_path(OutboxMessage.objects.get(template="admin24/invitation"))
    client.logout()
    client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()

    response = client.get(path)

    assert response.status_code == 404
    assert "data-invitation-invalid" in response.content.decode()


def test_an_invitation_expires(client, admin, support):
    invite(client, support)
    path = invitation_path(OutboxMessage.objects.get(template="admin24/invitation"))
    client.logout()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=staff.INVITATION_DAYS, hours=1)):
        response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 404
    assert not User.objects.get(email="new.engineer@admin24.example").has_usable_password()


def test_a_tampered_invitation_shows_nothing(client, admin, support):
    invite(client, support)
    path = invitation_path(OutboxMessage.objects.get(template="admin24/invitation"))
    client.logout()
    assert client.get(path[:-4] + "xyz/").status_code == 404


def test_the_invitation_is_written_in_the_language_chosen_for_the_person(client, admin, support):
    invite(client, support, language="en")
    email = told_email(OutboxMessage.objects.get(template="admin24/invitation"))
    assert email.subject == "You are invited to Admin24"
    assert "Choose your password" in email.body_text


def test_an_email_that_has_an_account_already_is_refused(client, admin, support):
    UserFactory(email="taken@admin24.example")
    response = invite(client, support, email="Taken@Admin24.example")
    assert response.status_code == 200
    assert "Другая учётная запись уже использует этот адрес." in response.content.decode()
    assert not OutboxMessage.objects.filter(template="admin24/invitation").exists()


def test_an_invitation_can_be_sent_again_until_the_person_joins(client, admin, support):
    invite(client, support)
    person = User.objects.get(email="new.engineer@admin24.example")
    client.post(f"/staff/{person.pk}/invite/")
    assert OutboxMessage.objects.filter(template="admin24/invitation").count() == 2


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.SALES_MANAGER, Role.SUPPORT_ENGINEER])
def test_only_administrators_manage_staff(client, support, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/staff/").status_code == 403
    assert invite(client, support).status_code == 403
    assert not User.objects.filter(email="new.engineer@admin24.example").exists()


def test_the_staff_page_lists_people_with_roles_department_and_status(client, admin, support):
    UserFactory(username="ivanov", roles=[Role.CLERK], department=support)
    invite(client, support)
    page = client.get("/staff/").content.decode()
    row = page[page.index('data-user="ivanov"') :]
    row = row[: row.index("</tr>")]
    assert "Делопроизводитель" in row and "Поддержка" in row and "активен" in row
    invited = page[page.index('data-user="new.engineer"') :]
    assert "приглашён" in invited[: invited.index("</tr>")]
    assert 'href="/staff/"' in client.get("/").content.decode()  # the navigation leads there


# --- roles, department, deactivation -----------------------------------------------------------------


def test_an_administrator_changes_roles_and_department(client, admin, support):
    person = UserFactory(username="petrov", roles=[Role.CLERK])
    sales = Department.objects.create(name="Продажи")
    data = {
        "last_name": "Петров",
        "first_name": "Пётр",
        "email": "petrov@admin24.example",
        "department": sales.pk,
        "roles": [Group.objects.get(name=Role.SALES_MANAGER).pk, Group.objects.get(name=Role.SUPERVISOR).pk],
    }
    assert client.post(f"/staff/{person.pk}/", data).status_code == 302
    person.refresh_from_db()
    assert person.department == sales
    assert set(person.groups.values_list("name", flat=True)) == {Role.SALES_MANAGER, Role.SUPERVISOR}
    assert person.full_name == "Петров Пётр"


def test_a_deactivated_person_is_signed_out_and_cannot_sign_in_or_use_the_api(client, admin, settings):
    person = UserFactory(username="leaver", roles=[Role.SALES_MANAGER])
    token = Token.objects.create(user=person)
    theirs = type(client)()
    theirs.force_login(person)
    assert theirs.get("/").status_code == 200
    api = type(client)()
    assert api.get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200

    assert client.post(f"/staff/{person.pk}/deactivate/").status_code == 302

    person.refresh_from_db()
    assert not person.is_active
    assert theirs.get("/").status_code == 302  # their session no longer counts
    refused = api.get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 403 and "неактивен" in refused.json()["detail"]
    assert not signs_in(type(client)(), "leaver", DEMO_PASSWORD)

    client.force_login(admin)
    client.post(f"/staff/{person.pk}/reactivate/")
    assert signs_in(type(client)(), "leaver", DEMO_PASSWORD)


def test_an_administrator_cannot_lock_themselves_out(client, admin):
    client.post(f"/staff/{admin.pk}/deactivate/")
    data = {"email": admin.email, "last_name": "Босс", "first_name": "", "roles": []}
    response = client.post(f"/staff/{admin.pk}/", data)
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.groups.filter(name=Role.ADMINISTRATOR).exists()
    assert "Нельзя снять роль администратора с самого себя." in response.content.decode()


# --- password reset -----------------------------------------------------------------------------------


def reset_link(message) -> str:
    found = re.search(r"https?://[^/\s]+(/reset/[^\s\"<]+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_forgotten_password_is_reset_by_email(client, settings):
    settings.SITE_URL = "https://desk.example.ru"
    person = UserFactory(username="forgetful", email="forgetful@admin24.example", language="en")
    assert 'href="/password-reset/"' in client.get("/login/").content.decode()

    response = client.post("/password-reset/", {"email": "Forgetful@admin24.example"})

    assert response.status_code == 302
    assert "data-reset-sent" in client.get(response["Location"]).content.decode()
    (message,) = mail.outbox
    assert message.to == ["forgetful@admin24.example"]
    assert message.subject == "Your new Admin24 password"  # the account's language, not the browser's
    assert "https://desk.example.ru/reset/" in message.body
    form = client.get(reset_link(message), follow=True)
    assert "new_password1" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert signs_in(client, person.username, NEW_PASSWORD)


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client):
    response = client.post("/password-reset/", {"email": "nobody@admin24.example"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_password_reset_is_rate_limited_per_email(client):
    UserFactory(email="target@admin24.example")
    answers = [client.post("/password-reset/", {"email": "target@admin24.example"}).status_code for _ in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3
    page = client.post("/password-reset/", {"email": "target@admin24.example"}).content.decode()
    assert "Слишком много запросов" in page


def test_password_reset_is_rate_limited_per_address(client):
    answers = [client.post("/password-reset/", {"email": f"u{n}@admin24.example"}).status_code for n in range(11)]
    assert answers[:10] == [302] * 10 and answers[10] == 429


# --- the profile ----------------------------------------------------------------------------------------


def test_a_user_changes_their_name_language_and_time_zone(client):
    person = UserFactory(username="me", roles=[Role.SALES_MANAGER])
    client.force_login(person)
    page = client.get("/").content.decode()
    assert 'href="/profile/"' in page

    response = client.post(
        "/profile/",
        {
            "form": "details",
            "last_name": "Смирнова",
            "first_name": "Анна",
            "patronymic": "Игоревна",
            "language": "en",
            "time_zone": "Asia/Yekaterinburg",
        },
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.language, person.time_zone) == (
        "Смирнова Анна Игоревна",
        "en",
        "Asia/Yekaterinburg",
    )
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Your profile is saved." in client.get("/profile/").content.decode()


def test_an_unknown_time_zone_is_refused(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        "/profile/",
        {"form": "details", "last_name": "X", "first_name": "Y", "language": "ru", "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.time_zone == django_settings.TIME_ZONE


def test_a_user_changes_their_password_and_stays_signed_in(client):
    person = UserFactory(username="changer")
    client.force_login(person)
    wrong = client.post(
        "/profile/",
        {"form": "password", "old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "old_password" in wrong.context["password"].errors

    response = client.post(
        "/profile/",
        {
            "form": "password",
            "old_password": DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert client.get("/profile/").status_code == 200  # still signed in
    assert signs_in(client, "changer", NEW_PASSWORD)
    assert not signs_in(client, "changer", DEMO_PASSWORD)
