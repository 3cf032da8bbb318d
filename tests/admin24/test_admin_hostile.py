"""Hand-made values posted to the Django admin's forms get the form's errors, never a server error."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from admin24.roles import Role
from servicedesk import services
from servicedesk.models import Ticket
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTOCOMPLETE_ADMINS = [model_admin for model_admin in admin.site._registry.values() if model_admin.autocomplete_fields]


@pytest.mark.parametrize("model_admin", AUTOCOMPLETE_ADMINS, ids=lambda model_admin: model_admin.model.__name__)
@pytest.mark.parametrize("junk", ["abc", "²", "1e3"])
def test_an_autocomplete_field_given_no_id_shows_the_form_again_with_its_error(model_admin, junk):
    # Django 5.2's autocomplete widget looked the junk up to draw the form again: a ValueError, a 500.
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True))
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
