import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"db": "ok", "cache": "ok", "broker": "ok"}


def test_health_names_the_broker_when_it_is_down(client, settings):
    from config.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    body = response.json()
    assert body["db"] == "ok"
    assert body["broker"].startswith("error")
