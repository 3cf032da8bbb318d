"""Every endpoint of the router keeps what a user may not see out of their reach.

The test walks ``router.registry`` rather than naming the endpoints, so an endpoint added later
that forgets ``AccessFilteredMixin`` (or its object checks) fails here without anyone having to
remember to add a test for it.
"""

import datetime
import re

import pytest
from rest_framework.test import APIClient

from admin24.api.permissions import AccessFilteredMixin
from admin24.roles import Role
from config.api import router
from crm.models import Company, Contact, Contract, Deal, Lead, Task
from notifications.models import Notification
from servicedesk import services as desk_services
from servicedesk.models import Service, Ticket
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    LeadFactory,
    ServiceFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Endpoints that are not filtered by access rights, and why. Anything else must be.
NOT_ACCESS_FILTERED = {
    "services": "the Service Desk's services are reference data every signed-in user reads",
    "notifications": "a user's own notifications: the queryset is the recipient's, nobody else's",
    "public/leads": "anonymous intake, create only",
    "public/tickets": "anonymous intake, create only",
}
# GET collection actions that list reference data rather than cards.
REFERENCE_LISTS = {("deals", "lost-reasons")}


@pytest.fixture
def rows():
    """One row of every model the API serves, all belonging to someone else."""
    owner = UserFactory(roles=[Role.ADMINISTRATOR])
    company = CompanyFactory(responsible=owner)
    contact = ContactFactory(responsible=owner, company=company)
    deal = DealFactory(responsible=owner, company=company)
    return {
        Company: company,
        Contact: contact,
        Lead: LeadFactory(responsible=owner),
        Deal: deal,
        Task: TaskFactory(responsible=owner, deal=deal),
        Contract: Contract.objects.create(
            number="A-1", company=company, responsible=owner, signed_on=datetime.date(2027, 1, 15)
        ),
        Ticket: desk_services.create_ticket(
            service=ServiceFactory(responsible=owner), subject="Не печатает", email="c@client.ru", name="Клиент"
        ),
        Notification: Notification.objects.create(
            recipient=owner, template="reminder", context={"title": "Напоминание"}
        ),
        Service: Service.objects.first(),
    }


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _viewset(prefix):
    return next(viewset for registered, viewset, _basename in router.registry if registered == prefix)


def _entries():
    return [(prefix, viewset) for prefix, viewset, _basename in router.registry]


@pytest.mark.parametrize(("prefix", "viewset"), _entries(), ids=[prefix for prefix, _ in _entries()])
def test_every_card_endpoint_is_access_filtered(prefix, viewset):
    if prefix in NOT_ACCESS_FILTERED:
        return
    assert issubclass(viewset, AccessFilteredMixin), f"/api/v1/{prefix}/ lists cards without AccessFilteredMixin"


def test_a_user_without_rights_sees_empty_lists_everywhere(rows):
    nobody = _client(UserFactory())
    for prefix, viewset, _basename in router.registry:
        if not hasattr(viewset, "list") or prefix == "services":
            continue
        response = nobody.get(f"/api/v1/{prefix}/")
        assert response.status_code in (200, 403), prefix
        if response.status_code == 200:
            assert response.json()["results"] == [], f"/api/v1/{prefix}/ shows rows to a user without rights"
        for extra in viewset.get_extra_actions():
            if extra.detail or "get" not in extra.mapping or (prefix, extra.url_path) in REFERENCE_LISTS:
                continue
            response = nobody.get(f"/api/v1/{prefix}/{extra.url_path}/")
            assert response.status_code in (200, 403), (prefix, extra.url_path)
            if response.status_code == 200:
                assert response.json()["results"] == [], f"/api/v1/{prefix}/{extra.url_path}/ shows rows"


def _detail_paths(prefix, viewset, pk):
    yield "get", f"/api/v1/{prefix}/{pk}/"
    yield "patch", f"/api/v1/{prefix}/{pk}/"
    for extra in viewset.get_extra_actions():
        if not extra.detail:
            continue
        path = re.sub(r"\(\?P<[^>]+>[^)]+\)", "1", extra.url_path)
        for method in extra.mapping:
            yield method, f"/api/v1/{prefix}/{pk}/{path}/"


def test_a_user_without_rights_cannot_reach_any_card_nor_its_actions(rows):
    nobody = _client(UserFactory())
    for prefix, viewset, _basename in router.registry:
        if prefix in NOT_ACCESS_FILTERED and prefix != "notifications":
            continue
        model = viewset.queryset.model
        assert model in rows, f"add a {model.__name__} row to this test's fixture for /api/v1/{prefix}/"
        for method, path in _detail_paths(prefix, viewset, rows[model].pk):
            response = getattr(nobody, method)(path, {}, format="json")
            assert response.status_code in (403, 404, 405), (method, path, response.status_code)
    assert Notification.objects.get().read_at is None
    assert Ticket.objects.get().comments.count() == 0


def test_a_reader_without_the_edit_right_gets_403_on_every_change(rows):
    """A sales manager reads every ticket but changes none (seeded rights)."""
    reader = _client(UserFactory(roles=[Role.SALES_MANAGER]))
    ticket = rows[Ticket]
    assert reader.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    for method, path in _detail_paths("tickets", _viewset("tickets"), ticket.pk):
        if method == "get":
            continue
        assert getattr(reader, method)(path, {"to": "in_progress", "body": "x"}, format="json").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert ticket.comments.count() == 0
