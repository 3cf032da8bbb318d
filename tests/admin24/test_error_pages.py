"""The 403, 404 and 500 pages: the app's layout, the reader's language, a way back, no server details."""

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.test import Client

from admin24.roles import Role
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

# What must never be on an error page: exception texts, paths, the framework and its versions.
REVEALING = ("Traceback", "Django", "Python", "hunter2", "/srv/", "matches the given query", "DEBUG", "Exception")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def clerk(client):
    user = UserFactory(username="clerk-errors", roles=[Role.CLERK])
    client.force_login(user)
    return user


def assert_reveals_nothing(page: str) -> None:
    for word in REVEALING:
        assert word not in page, word


def test_a_missing_card_is_a_404_page_in_the_layout_in_russian(client, clerk):
    response = client.get("/crm/deals/987654/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Страница не найдена" in page
    assert 'data-error="404"' in page
    assert 'action="/logout/"' in page  # the app's navigation bar: the reader is still at home
    assert 'href="/" data-home' in page
    assert_reveals_nothing(page)


def test_the_404_page_speaks_the_readers_language(client, clerk):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get("/no/such/page/").content.decode()

    assert "Page not found" in page and "Страница" not in page


def test_a_refusal_is_a_403_page_with_a_way_back_to_where_the_reader_was(client, clerk):
    company = CompanyFactory()

    response = client.get(
        f"/crm/companies/{company.pk}/edit/", HTTP_REFERER=f"http://testserver/crm/companies/{company.pk}/"
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "Доступ запрещён" in page
    assert f'href="http://testserver/crm/companies/{company.pk}/" data-back' in page
    assert_reveals_nothing(page)


def test_the_way_back_never_leads_to_another_site(client, clerk):
    company = CompanyFactory()

    page = client.get(f"/crm/companies/{company.pk}/edit/", HTTP_REFERER="https://evil.example/phish").content.decode()

    assert "evil.example" not in page and "data-back" not in page


@pytest.mark.urls("tests.admin24.error_urls")
def test_a_failure_is_a_500_page_that_tells_nothing_of_the_server(clerk):
    client = Client(raise_request_exception=False)
    client.force_login(clerk)

    response = client.get("/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Что-то пошло не так" in page
    assert 'data-error="500"' in page and 'href="/" data-home' in page
    assert_reveals_nothing(page)


@pytest.mark.parametrize("debug", [False, True])
def test_a_403_is_logged_once_as_one_line(client, clerk, settings, debug):
    # What the console shows: every stream handler a django.request record reaches.
    settings.DEBUG = debug
    company = CompanyFactory()
    console = io.StringIO()
    swapped = []
    logger = logging.getLogger("django.request")
    while logger is not None:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # not pytest's capturing handlers
                swapped.append((handler, handler.setStream(console)))
        logger = logger.parent if logger.propagate else None
    try:
        assert client.get(f"/crm/companies/{company.pk}/edit/").status_code == 403
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)

    output = console.getvalue()
    assert output.count("Forbidden") == 1, output
    assert "Traceback" not in output
