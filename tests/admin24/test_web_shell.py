import pytest
from django.urls import reverse

from admin24.demo import DEMO_PASSWORD
from admin24.roles import Role
from tests.factories import DEMO_PASSWORD as FACTORY_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_is_russian_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Вход" in body
    assert "Имя пользователя или email" in body


def test_the_login_page_speaks_english_when_asked(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    body = client.get(reverse("login")).content.decode()
    assert "Sign in" in body
    assert "Username or email" in body
    assert "Вход" not in body


def test_pages_need_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("login", ["ivanov", "Ivanov@Example.com"])
def test_staff_sign_in_with_username_or_email(client, login):
    UserFactory(username="ivanov", email="ivanov@example.com", first_name="Пётр", last_name="Иванов")
    response = client.post(reverse("login"), {"username": login, "password": FACTORY_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "Иванов Пётр" in response.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="ivanov")
    response = client.post(reverse("login"), {"username": "ivanov", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "alert-danger" in response.content.decode()


def test_an_email_shared_by_two_accounts_signs_nobody_in(client):
    UserFactory(username="a", email="shared@example.com")
    UserFactory(username="b", email="shared@example.com")
    client.post(reverse("login"), {"username": "shared@example.com", "password": FACTORY_PASSWORD})
    assert "_auth_user_id" not in client.session


def test_only_administrators_see_the_admin_link(client):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    client.force_login(manager)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    client.force_login(admin)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_logout_needs_a_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_seeded_demo_users_can_log_in(client, settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo")
    # Through the page: the sign-in throttle needs the request (Client.login gives none).
    client.post(reverse("login"), {"username": "manager", "password": DEMO_PASSWORD})
    assert "_auth_user_id" in client.session


def test_the_administrator_role_opens_the_admin_without_staff_flags(client):
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=False)
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:admin24_accessrule_changelist")).status_code == 200


def test_other_roles_stay_out_of_the_admin(client):
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER]))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "login" in response.url


def test_home_links_only_the_sections_the_user_may_read(client):
    import re

    def section_links():
        body = client.get(reverse("home")).content.decode()
        return set(re.findall(r'class="list-group-item list-group-item-action" href="([^"]+)"', body))

    client.force_login(UserFactory(roles=[Role.CLERK]))
    assert section_links() == {reverse("crm:deals_board"), reverse("crm:company-list"), reverse("crm:contact-list")}

    client.force_login(UserFactory(roles=[Role.SUPPORT_ENGINEER]))
    links = section_links()
    assert reverse("servicedesk:board") in links
    assert reverse("crm:deals_board") not in links


def test_the_app_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.url.endswith("favicon.ico")
    assert 'rel="icon"' in client.get(reverse("login")).content.decode()
