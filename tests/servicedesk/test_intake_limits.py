"""The public ticket form's limits cannot be turned against a client (issue 12 §8).

Real posts through Django's test client; time travels with time-machine.
"""

import datetime
import re

import pytest
import redis
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from servicedesk.models import Ticket
from tests.servers import RedisServer

from .conftest import stamp
from .test_api import public_payload

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"


def url(desk):
    return reverse("desk:form", args=[desk.form_key])


def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(client, desk, form_data, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SERVICEDESK_FORM_RATE_PER_IP = "3/h"
    behind = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.5"}
    posts = [client.post(url(desk), {**form_data, "email": f"c{n}@client.ru"}, **behind) for n in range(4)]
    answers = [response.status_code for response in posts]
    assert answers == [302, 302, 302, 429]
    other = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert client.post(url(desk), {**form_data, "email": "other@client.ru"}, **other).status_code == 302
    assert Ticket.objects.count() == 4


def test_the_api_limits_each_client_behind_the_proxy(desk, service, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SERVICEDESK_FORM_RATE_PER_IP = "2/h"
    api = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.5")
    answers = [
        api.post("/api/v1/public/tickets/", public_payload(desk, service, email=f"c{n}@client.ru"), format="json")
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    other = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.post("/api/v1/public/tickets/", public_payload(desk, service), format="json").status_code == 201


@pytest.mark.parametrize(
    "refused",
    [
        {"website": "http://spam.example"},  # the honeypot
        {"rendered": "123:forged"},  # a forged stamp
        {"subject": ""},  # the form's own checks
        {"consent_desk": ""},
    ],
)
def test_refused_posts_naming_a_victims_email_do_not_lock_the_victim_out(client, desk, form_data, settings, refused):
    settings.SERVICEDESK_FORM_RATE_PER_EMAIL = "3/h"
    for n in range(10):
        response = client.post(url(desk), {**form_data, **refused}, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert client.post(url(desk), form_data, REMOTE_ADDR="203.0.113.8").status_code == 302
    assert Ticket.objects.count() == 1


def test_accepted_tickets_still_count_against_their_email(client, desk, form_data, settings):
    settings.SERVICEDESK_FORM_RATE_PER_EMAIL = "2/h"
    answers = [client.post(url(desk), form_data, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(3)]
    assert answers == [302, 302, 429]
    assert Ticket.objects.count() == 2


def test_refused_api_posts_naming_a_victims_email_do_not_lock_the_victim_out(desk, service, settings):
    settings.SERVICEDESK_FORM_RATE_PER_EMAIL = "3/h"
    for n in range(10):
        api = APIClient(REMOTE_ADDR=f"198.51.100.{n}")
        bad = public_payload(desk, service, consent_company=False)
        assert api.post("/api/v1/public/tickets/", bad, format="json").status_code == 400
    api = APIClient(REMOTE_ADDR="203.0.113.8")
    assert api.post("/api/v1/public/tickets/", public_payload(desk, service), format="json").status_code == 201
    # Accepted tickets do count: the page and the API share the email's limit.
    for _ in range(2):
        api.post("/api/v1/public/tickets/", public_payload(desk, service), format="json")
    assert api.post("/api/v1/public/tickets/", public_payload(desk, service), format="json").status_code == 429
    assert Ticket.objects.count() == 3


def _rendered(page) -> str:
    return re.search(r'name="rendered" value="([^"]+)"', page.content.decode()).group(1)


def test_a_render_stamp_older_than_two_hours_is_refused_with_a_fresh_one(client, desk, form_data):
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        old = _rendered(client.get(url(desk)))
        traveller.shift(datetime.timedelta(hours=2, minutes=1))
        response = client.post(url(desk), {**form_data, "rendered": old}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "The form has expired. Reload the page and send it again." in response.content.decode()
        assert Ticket.objects.count() == 0
        # The page shown again keeps the client's input and a fresh stamp: sending it works.
        fresh = _rendered(response)
        assert fresh != old and "Не печатает принтер" in response.content.decode()
        traveller.shift(datetime.timedelta(seconds=30))
        assert client.post(url(desk), {**form_data, "rendered": fresh}).status_code == 302


def test_a_render_stamp_within_two_hours_is_accepted(client, desk, form_data):
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        rendered = _rendered(client.get(url(desk)))
        traveller.shift(datetime.timedelta(hours=1, minutes=59))
        assert client.post(url(desk), {**form_data, "rendered": rendered}).status_code == 302


def test_a_day_old_stamp_is_refused(client, desk, form_data):
    assert client.post(url(desk), {**form_data, "rendered": stamp(seconds_ago=23 * 3600)}).status_code == 400
    assert Ticket.objects.count() == 0


@pytest.fixture
def own_redis(tmp_path, settings):
    """The cache on a Redis of this test's own, whose command counts it can read."""
    server = RedisServer(tmp_path / "redis").start()
    settings.CACHES = {"default": {"BACKEND": "config.cache.FailSoftRedisCache", "LOCATION": server.url()}}
    yield redis.Redis(port=server.port)
    server.stop()


def _commands(server) -> dict[str, int]:
    """The commands the server ran, by name (the test's own INFO calls aside)."""
    stats = server.info("commandstats")
    return {name.removeprefix("cmdstat_"): s["calls"] for name, s in stats.items() if name != "cmdstat_info"}


def test_an_accepted_post_makes_one_cache_round_trip_and_a_refused_one_gives_its_email_count_back(
    client, desk, form_data, settings, own_redis
):
    settings.SERVICEDESK_FORM_RATE_PER_EMAIL = "2/h"
    assert client.post(url(desk), form_data, REMOTE_ADDR="198.51.100.1").status_code == 302  # warms the process
    before = _commands(own_redis)
    assert client.post(url(desk), form_data, REMOTE_ADDR="198.51.100.2").status_code == 302
    ran = {name: calls - before.get(name, 0) for name, calls in _commands(own_redis).items()}
    # One script call (Redis counts the commands run inside it too): the two versions read, the
    # address's and the email's counters and the post's own mark counted; no second round trip.
    assert {name: calls for name, calls in ran.items() if calls} == {"evalsha": 1, "get": 2, "set": 3, "incr": 3}
    # The email had its two tickets: refused, and that refusal does not count either.
    for n in range(3):
        assert client.post(url(desk), form_data, REMOTE_ADDR=f"198.51.100.{10 + n}").status_code == 429
    (email_key,) = own_redis.keys("*servicedesk:intake:email:*")
    assert int(own_redis.get(email_key)) == 2
    assert Ticket.objects.count() == 2


def test_the_limits_hold_after_redis_forgets_its_scripts_or_drops_the_connection(
    client, desk, form_data, settings, own_redis
):
    settings.SERVICEDESK_FORM_RATE_PER_IP = "3/h"
    assert client.post(url(desk), {**form_data, "email": "a@client.ru"}).status_code == 302
    own_redis.script_flush()  # as after a restart: the script is sent again
    assert client.post(url(desk), {**form_data, "email": "b@client.ru"}).status_code == 302
    own_redis.client_kill_filter(_type="normal", skipme=True)  # the process's kept connection is gone
    assert client.post(url(desk), {**form_data, "email": "c@client.ru"}).status_code == 302
    # Every post was counted against the address: the fourth is over its three.
    assert client.post(url(desk), {**form_data, "email": "d@client.ru"}).status_code == 429
    assert Ticket.objects.count() == 3


def test_the_same_post_sent_twice_makes_one_ticket_and_tells_the_client_it_was_accepted(client, desk, form_data):
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        post = {**form_data, "rendered": _rendered(client.get(url(desk)))}
        traveller.shift(datetime.timedelta(seconds=30))
        first = client.post(url(desk), post)
        again = client.post(url(desk), post, HTTP_ACCEPT_LANGUAGE="en")
        assert first.status_code == 302
        assert again.status_code == 409
        assert "This form was sent already and your request was accepted" in again.content.decode()
        assert Ticket.objects.count() == 1
        # A third click is the same post still; the form shown again (a fresh stamp) is a new request.
        assert client.post(url(desk), post).status_code == 409
        traveller.shift(datetime.timedelta(seconds=30))
        assert client.post(url(desk), {**post, "rendered": _rendered(again)}).status_code == 302
        assert Ticket.objects.count() == 2


def test_a_post_that_was_not_accepted_may_be_sent_again_as_it_was(client, desk, form_data, settings):
    settings.SERVICEDESK_FORM_RATE_PER_IP = "1/h"
    assert client.post(url(desk), {**form_data, "email": "first@client.ru"}).status_code == 302
    # Over the address's limit: refused, and its mark given back with its email's count.
    assert client.post(url(desk), form_data).status_code == 429
    settings.SERVICEDESK_FORM_RATE_PER_IP = "5/h"
    assert client.post(url(desk), form_data).status_code == 302
    assert Ticket.objects.count() == 2
