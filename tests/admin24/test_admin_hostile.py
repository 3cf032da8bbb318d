"""Hand-made values posted to the Django admin's forms get the form's errors, never a server error."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from admin24.roles import Role
from servicedesk import services
from servicedesk.models import Ticket
from tests.factories import ServiceFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTOCOMPLETE_ADMINS = [model_admin for model_admin in admin.site._registry.values() if model_admin.autocomplete_fields]


def _admin_client():
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
    return client


def test_a_stored_message_is_shown_not_typed():
    # ``title_message`` was a text box: «5» was taken as JSON, and the card's title broke (a 500 here,
    # and on every page showing the task once saved).
    task = TaskFactory(title="Позвонить")
    client = _admin_client()
    url = reverse("admin:crm_task_change", args=[task.pk])
    assert 'name="title_message"' not in client.get(url).content.decode()
    response = client.post(url, {"title": "Позвонить", "title_message": "5"})
    assert response.status_code in (200, 302)
    task.refresh_from_db()
    assert task.title_message == {}


@pytest.mark.parametrize("model_admin", AUTOCOMPLETE_ADMINS, ids=lambda model_admin: model_admin.model.__name__)
@pytest.mark.parametrize("junk", ["abc", "²", "1e3"])
def test_an_autocomplete_field_given_no_id_shows_the_form_again_with_its_error(model_admin, junk):
    # Django 5.2's autocomplete widget looked the junk up to draw the form again: a ValueError, a 500.
    client = _admin_client()
    model = model_admin.model
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    if model is Ticket:  # made only by create_ticket: its change form instead
        ticket = services.create_ticket(service=ServiceFactory(), subject="Принтер", email="ivan@example.ru")
        url = reverse(f"{name}_change", args=[ticket.pk])
    else:
        url = reverse(f"{name}_add")
    before = model._default_manager.count()
    response = client.post(url, dict.fromkeys(model_admin.autocomplete_fields, junk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert model._default_manager.count() == before


@pytest.mark.parametrize("minute", ["-5", "61", "1-", "*/0"])
def test_a_crontab_celery_cannot_read_is_refused(minute):
    # django-celery-beat's check let «-5» through: saved, its change list answered 500.
    from django_celery_beat.models import CrontabSchedule

    every = dict.fromkeys(["hour", "day_of_month", "month_of_year", "day_of_week"], "*")
    response = _admin_client().post(
        reverse("admin:django_celery_beat_crontabschedule_add"), {**every, "minute": minute, "timezone": "UTC"}
    )
    assert response.status_code == 200
    assert "Celery cannot read this schedule" in response.content.decode()
    assert not CrontabSchedule.objects.filter(minute=minute).exists()


def test_a_periodic_task_name_past_its_length_gets_the_fields_error():
    # django-celery-beat's form read the refused field: KeyError 'task', a 500.
    from django_celery_beat.models import PeriodicTask

    url = reverse("admin:django_celery_beat_periodictask_add")
    response = _admin_client().post(url, {"name": "x", "task": "a" * 201})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    assert not PeriodicTask.objects.filter(name="x").exists()
