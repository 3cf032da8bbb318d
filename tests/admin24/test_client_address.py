"""The client's address behind a reverse proxy (issue 12 §8): every rate limit keys on it.

``X-Forwarded-For`` counts only when ``REMOTE_ADDR`` is one of ``TRUSTED_PROXIES``, walked from
the right past trusted hops. Real requests through Django's test client.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from admin24.client_address import UNKNOWN, client_address
from admin24.models import Activity
from crm.models import Lead
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
LEAD_FORM = reverse("crm:public-lead-form")
LEAD = {"name": "Кузнецова Ксения", "email": "k@kuznya.example", "consent": "on"}


def via_proxy(client_ip: str, chain: str = "") -> dict:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{chain}{client_ip}"}


@pytest.fixture(autouse=True)
def sales_manager(db):
    from admin24.roles import Role

    return UserFactory(roles=[Role.SALES_MANAGER])


def test_behind_a_trusted_proxy_each_client_has_its_own_lead_form_limit(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    answers = [client.post(LEAD_FORM, LEAD, **via_proxy("198.51.100.5")).status_code for _ in range(11)]
    assert answers == [200] * 10 + [429]
    # Another client behind the same proxy is not held back by the first one.
    assert client.post(LEAD_FORM, LEAD, **via_proxy("203.0.113.8")).status_code == 200
    assert Lead.objects.count() == 11


def test_without_trusted_proxies_the_header_is_ignored(client):
    answers = [
        client.post(LEAD_FORM, LEAD, REMOTE_ADDR="198.51.100.5", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(11)
    ]
    assert answers[-1] == 429


def test_a_forged_left_part_of_the_header_is_never_the_client(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client wrote "1.2.3.4" itself; its own proxy appended the address it saw, then a second
    # trusted hop appended the first proxy's.
    answers = [
        client.post(LEAD_FORM, LEAD, **via_proxy("10.1.1.1", chain=f"1.2.3.{n}, 198.51.100.5, ")).status_code
        for n in range(11)
    ]
    assert answers[-1] == 429
    consent = Activity.objects.filter(data__consent=True).first()
    assert consent.data["ip"] == "198.51.100.5"


def test_the_password_reset_limit_is_per_client_behind_the_proxy(client, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    answers = [
        client.post("/password-reset/", {"email": f"u{n}@admin24.example"}, **via_proxy("198.51.100.5")).status_code
        for n in range(11)
    ]
    assert answers == [302] * 10 + [429]
    response = client.post("/password-reset/", {"email": "x@admin24.example"}, **via_proxy("203.0.113.8"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.5", "203.0.113.1", [], "198.51.100.5"),  # no trusted proxy: the header is ignored
        ("198.51.100.5", "203.0.113.1", [PROXY], "198.51.100.5"),  # the peer is no trusted proxy
        (PROXY, "203.0.113.1", [PROXY], "203.0.113.1"),
        (PROXY, "", [PROXY], PROXY),  # a trusted proxy that forwards nothing is the client
        (PROXY, "1.1.1.1, 203.0.113.1, 10.0.0.7", ["10.0.0.0/24"], "203.0.113.1"),
        (PROXY, "not-an-address, 10.0.0.7", ["10.0.0.0/24"], "10.0.0.7"),
        (PROXY, "203.0.113.1:51234", [PROXY], "203.0.113.1"),
        (PROXY, "[2001:db8::5]:443", [PROXY], "2001:db8::5"),
        ("::ffff:10.0.0.1", "203.0.113.1", [PROXY], "203.0.113.1"),
        ("2001:db8::1", "203.0.113.1", ["2001:db8::/64"], "203.0.113.1"),
        ("", "203.0.113.1", [PROXY], UNKNOWN),  # a Unix socket: one shared bucket
    ],
)
def test_the_client_address(remote, forwarded, trusted, expected, settings):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_typo_in_trusted_proxies_stops_the_start(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.300", "VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "10.0.0.300" in done.stderr
