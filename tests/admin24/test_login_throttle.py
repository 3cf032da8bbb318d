"""Sign-in throttling (issue 12 §4): per account and per address, on every way in, for 15 minutes.

Real requests through Django's test client; time travels with time-machine.
"""

import datetime
import logging

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED_RU = "Слишком много неудачных попыток входа"
LOCKED_EN = "Too many failed sign-in attempts"


def sign_in(client, username, password, address="198.51.100.7", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_fifth_wrong_password_locks_the_account_for_15_minutes(client):
    UserFactory(username="ivanov")
    for _ in range(4):
        response = sign_in(client, "ivanov", "wrong")
        assert response.status_code == 200
        assert LOCKED_RU not in response.content.decode()
    response = sign_in(client, "ivanov", "wrong")
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED_RU in body and "15 мин" in body
    assert 'name="password"' in body  # the sign-in page again, with the lockout as its error

    # The right password does not open a locked account.
    response = sign_in(client, "ivanov", DEMO_PASSWORD)
    assert response.status_code == 429 and not signed_in(client)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14)):
        assert sign_in(client, "ivanov", DEMO_PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert sign_in(client, "ivanov", DEMO_PASSWORD).status_code == 302
        assert signed_in(client)


def test_the_lockout_is_in_english_for_an_english_reader(client):
    UserFactory(username="ivanov")
    for _ in range(5):
        response = sign_in(client, "ivanov", "wrong", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert f"{LOCKED_EN} for this account or from this address" in response.content.decode()
    assert "15 min" in response.content.decode()


def test_failures_count_against_the_account_however_its_login_is_typed_and_from_any_address(client):
    UserFactory(username="ivanov", email="ivanov@example.com")
    for n, login in enumerate(["ivanov", "IVANOV", " Ivanov@Example.com", "ivanov@example.com", "Ivanov"]):
        sign_in(client, login, "wrong", address=f"203.0.113.{n + 1}")
    assert sign_in(client, "ivanov", DEMO_PASSWORD, address="203.0.113.99").status_code == 429
    assert not signed_in(client)


def test_failures_from_one_address_lock_the_address_for_every_account(client):
    UserFactory(username="olga")
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="198.51.100.7")
    assert sign_in(client, "olga", DEMO_PASSWORD, address="198.51.100.7").status_code == 429
    # The account itself is not locked: from elsewhere it signs in.
    assert sign_in(client, "olga", DEMO_PASSWORD, address="198.51.100.8").status_code == 302


def test_a_successful_sign_in_forgets_the_accounts_failures(client):
    UserFactory(username="ivanov")
    for _ in range(4):
        sign_in(client, "ivanov", "wrong")
    assert sign_in(client, "ivanov", DEMO_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert sign_in(client, "ivanov", "wrong").status_code == 200
    assert sign_in(client, "ivanov", DEMO_PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_does_not_forget_the_failures_on_another(client):
    UserFactory(username="mallory")
    UserFactory(username="victim")
    for _ in range(4):
        sign_in(client, "victim", "wrong", address="198.51.100.7")
    assert sign_in(client, "mallory", DEMO_PASSWORD, address="198.51.100.7").status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "victim", "wrong", address="198.51.100.9")
    assert sign_in(client, "victim", DEMO_PASSWORD, address="198.51.100.10").status_code == 429


def test_the_admin_login_is_throttled_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(4):
        assert client.post(url, {"username": "root", "password": "wrong"}).status_code == 200
    response = client.post(url, {"username": "root", "password": "wrong"})
    assert response.status_code == 429
    assert LOCKED_RU in response.content.decode()
    response = client.post(url, {"username": "root", "password": DEMO_PASSWORD})
    assert response.status_code == 429 and not signed_in(client)


def test_the_token_endpoint_answers_429_with_a_json_detail(client):
    UserFactory(username="robot")
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    url = reverse("api-token")
    for _ in range(4):
        assert api.post(url, {"username": "robot", "password": "wrong"}).status_code == 400
    response = api.post(url, {"username": "robot", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert response.json()["detail"].startswith(LOCKED_EN)
    response = api.post(url, {"username": "robot", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 429 and "token" not in response.json()
    # The page and the API share the account's counter.
    assert sign_in(client, "robot", DEMO_PASSWORD, address="203.0.113.5").status_code == 429
    assert not signed_in(client)


def test_a_token_forgets_the_accounts_failures():
    UserFactory(username="robot")
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    url = reverse("api-token")
    for _ in range(4):
        api.post(url, {"username": "robot", "password": "wrong"})
    assert "token" in api.post(url, {"username": "robot", "password": DEMO_PASSWORD}).json()
    for _ in range(4):
        assert api.post(url, {"username": "robot", "password": "wrong"}).status_code == 400


def test_a_lockout_is_logged_with_the_account_and_the_address(client, caplog):
    UserFactory(username="ivanov")
    with caplog.at_level(logging.WARNING, logger="admin24.login_throttle"):
        for _ in range(5):
            sign_in(client, "ivanov", "wrong", address="198.51.100.7")
    (record,) = [r for r in caplog.records if r.name == "admin24.login_throttle"]
    assert "'ivanov'" in record.getMessage() and "198.51.100.7" in record.getMessage()


def test_behind_a_trusted_proxy_each_client_has_its_own_counter(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    UserFactory(username="olga")
    attacker = {"address": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", **attacker)
    # The attacker's address is locked; another client behind the same proxy is not.
    assert sign_in(client, "olga", DEMO_PASSWORD, **attacker).status_code == 429
    colleague = {"address": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert sign_in(client, "olga", DEMO_PASSWORD, **colleague).status_code == 302


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_address_lock(client):
    UserFactory(username="olga")
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = sign_in(client, "olga", DEMO_PASSWORD, address="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429


def test_an_ipv6_client_is_one_address_across_its_64(client):
    UserFactory(username="olga")
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address=f"2001:db8:1:2::{n + 1}")
    assert sign_in(client, "olga", DEMO_PASSWORD, address="2001:db8:1:2:ffff::9").status_code == 429
    assert sign_in(client, "olga", DEMO_PASSWORD, address="2001:db8:1:3::1").status_code == 302
