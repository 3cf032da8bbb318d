"""Issue 12 §3: with Redis (cache and broker) stopped, the public ticket form keeps taking tickets."""

import logging

import pytest
from django.urls import reverse

from servicedesk import services
from servicedesk.models import Ticket
from tests.servers import RedisServer

from .conftest import stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_redis(tmp_path, settings):
    """Cache and broker pointed, as production's settings point them, at a Redis that was running
    and is stopped now."""
    from config.celery import app

    server = RedisServer(tmp_path / "redis").start()
    server.stop()
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": server.url(),
            "OPTIONS": {"socket_connect_timeout": settings.REDIS_TIMEOUT, "socket_timeout": settings.REDIS_TIMEOUT},
        }
    }
    previous = app.conf.broker_url, app.conf.broker_transport

    def point_at(url, transport):
        # The connection pool and the producer pool both remember the broker they were made for.
        app.close()
        app.amqp._producer_pool = None
        app.conf.broker_url, app.conf.broker_transport = url, transport

    point_at(server.url(), "config.broker:Transport")
    yield server
    point_at(*previous)


@pytest.fixture(autouse=True)
def _kick_every_time(monkeypatch):
    # The post must try to publish its follow-up, whatever an earlier test kicked a moment ago.
    monkeypatch.setattr(services.kick_follow_up, "last_at", None)


def test_the_form_shows_and_takes_a_ticket_with_redis_stopped(
    client, desk, form_data, dead_redis, caplog, django_capture_on_commit_callbacks
):
    url = reverse("desk:form", args=[desk.form_key])
    caplog.set_level(logging.WARNING)

    shown = client.get(url)
    assert shown.status_code == 200
    assert "Пётр" not in shown.content.decode()
    assert desk.header_company_name in shown.content.decode()  # the settings came from the database

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form_data, "rendered": stamp()})
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get()
    assert ticket.client_email == "petr@client.ru"
    assert client.get(response["Location"]).status_code == 200
    # The follow-up is marked on the row, which the clock's tick finds; the broker could not be told.
    assert ticket.follow_up_pending
    assert "unreachable" in caplog.text  # rate limits were not counted, and the log says so
    assert services.kick_follow_up.last_at is not None  # the kick was tried after commit, against the dead broker


def test_limits_fail_open_while_redis_is_stopped(client, desk, form_data, dead_redis, settings):
    settings.SERVICEDESK_FORM_RATE_PER_IP = "1/h"
    url = reverse("desk:form", args=[desk.form_key])
    for number in range(3):
        response = client.post(url, {**form_data, "email": f"c{number}@client.ru", "rendered": stamp()})
        assert response.status_code == 302
    # django-ratelimit's counters (the company autofill) let requests through too.
    autofill = reverse("desk:company_autofill", args=[desk.form_key])
    assert client.get(autofill, {"email": "nobody@client.ru"}).status_code == 200  # answered, not refused (429)


def test_healthz_names_what_is_down(client, dead_redis):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["db"] == "ok"
    assert body["cache"].startswith("error")
    assert body["broker"].startswith("error")
