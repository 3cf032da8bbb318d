"""The API allows exactly what the card allows (issue 11 §3).

The Clerk holding the contract task may set the contract's file and dates without the right to
edit deals. Each such field is set once through the card and once through the API, with the same
outcome; what he may not set stays as it was on both; a user with no task on the deal gets 403
on both.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from admin24 import workflow
from admin24.models import GlobalConstant
from admin24.roles import Role
from admin24.workflow import move
from crm.models import ContractStage, Deal, DealPipeline
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, UserFactory


def pdf(name):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def people(db):
    clerk = UserFactory(username="clerk", roles=[Role.CLERK])
    GlobalConstant.objects.filter(identifier="Clerk").update(user=clerk)
    return {
        "manager": UserFactory(username="walker", roles=[Role.SALES_MANAGER]),
        "clerk": clerk,
        "other": UserFactory(username="other-clerk", roles=[Role.CLERK]),
    }


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(msk(2027, 3, 1, 10), tick=False):
        yield


def drafting(manager) -> Deal:
    """A deal at «Заключение договора»: the Clerk has the task to draft the contract."""
    deal = Deal.objects.create(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.FEEDBACK,
        title="Абонентка «Ромашки»",
        company=CompanyFactory(),
        responsible=manager,
        amount=Decimal("15000"),
        contract_end_date=datetime.date(2028, 2, 28),
    )
    workflow.start(deal, by=None)
    move(deal, ContractStage.CONTRACT, by=manager)
    return Deal.objects.get(pk=deal.pk)


def card(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def card_form(deal) -> dict:
    """What the card's form posts when nothing is changed (the fields the Clerk may fill in)."""
    return {
        "contract_date": deal.contract_date.isoformat() if deal.contract_date else "",
        "contract_end_date": deal.contract_end_date.isoformat() if deal.contract_end_date else "",
    }


@dataclass(frozen=True)
class Change:
    field: str
    card: dict  # changed entries of the card's form
    api: tuple  # (action path below the deal's URL or "", body, format)
    value: object  # what the deal then holds (a callable for files)


CHANGES = [
    Change(
        "contract_date",
        {"contract_date": "2027-03-01"},
        ("", {"contract_date": "2027-03-01"}, "json"),
        datetime.date(2027, 3, 1),
    ),
    Change(
        "contract_end_date",
        {"contract_end_date": "2028-02-29"},
        ("", {"contract_end_date": "2028-02-29"}, "json"),
        datetime.date(2028, 2, 29),
    ),
    Change(
        "contract_file",
        {"contract_upload": "dogovor.pdf"},
        ("contract-file/", {"file": "dogovor.pdf"}, "multipart"),
        bool,
    ),
]


def through_the_card(user, deal, entries: dict):
    data = {**card_form(deal), **{k: pdf(v) if k.endswith("_upload") else v for k, v in entries.items()}}
    return card(user).post(reverse("crm:deal-save", args=[deal.pk]), data)


def through_the_api(user, deal, path: str, body: dict, fmt: str):
    body = {k: pdf(v) if k == "file" else v for k, v in body.items()}
    url = f"/api/v1/deals/{deal.pk}/{path}"
    client = api(user)
    return client.post(url, body, format=fmt) if path else client.patch(url, body, format=fmt)


def holds(deal, change: Change):
    value = getattr(Deal.objects.get(pk=deal.pk), change.field)
    return bool(value) if change.value is bool else value


def test_the_walk_covers_every_field_the_task_holder_may_set(people):
    from crm.services.deals import deal_settable_fields

    deal = drafting(people["manager"])
    assert deal_settable_fields(people["clerk"], deal) == {change.field for change in CHANGES}
    assert deal_settable_fields(people["other"], deal) == set()


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.field)
def test_the_task_holder_sets_each_field_on_the_card_and_through_the_api_alike(people, change):
    clerk = people["clerk"]
    on_card, on_api = drafting(people["manager"]), drafting(people["manager"])

    saved = through_the_card(clerk, on_card, change.card)
    patched = through_the_api(clerk, on_api, *change.api)

    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert patched.status_code == 200, patched.content
    expected = True if change.value is bool else change.value
    assert holds(on_card, change) == holds(on_api, change) == expected


def test_a_bad_date_is_refused_alike_with_the_same_reason(people):
    clerk = people["clerk"]
    on_card, on_api = drafting(people["manager"]), drafting(people["manager"])

    shown = through_the_card(clerk, on_card, {"contract_date": "2200-01-01"})
    refused = through_the_api(clerk, on_api, "", {"contract_date": "2200-01-01"}, "json")

    assert refused.status_code == 400
    [reason] = refused.json()["contract_date"]
    assert shown.status_code == 200 and reason in shown.content.decode()
    assert Deal.objects.get(pk=on_card.pk).contract_date is None
    assert Deal.objects.get(pk=on_api.pk).contract_date is None


def test_what_the_task_holder_may_not_set_stays_as_it_was_on_both(people):
    clerk = people["clerk"]
    on_card, on_api = drafting(people["manager"]), drafting(people["manager"])

    page = card(clerk).get(reverse("crm:deal-detail", args=[on_card.pk])).content.decode()
    assert re.search(r'<input[^>]*name="amount"[^>]*disabled', page)
    assert not re.search(r'<input[^>]*name="contract_date"[^>]*disabled', page)
    saved = through_the_card(clerk, on_card, {"amount": "1"})
    patched = through_the_api(clerk, on_api, "", {"amount": "1"}, "json")
    proposal = through_the_api(clerk, on_api, "proposal-file/", {"file": "kp.pdf"}, "multipart")

    assert saved.status_code == 302  # the disabled field is not taken
    assert (patched.status_code, proposal.status_code) == (403, 403)
    assert Deal.objects.get(pk=on_card.pk).amount == Deal.objects.get(pk=on_api.pk).amount == Decimal("15000")
    assert not Deal.objects.get(pk=on_api.pk).proposal_file


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.field)
def test_someone_without_the_task_gets_403_on_both(people, change):
    other = people["other"]
    deal = drafting(people["manager"])
    assert api(other).get(f"/api/v1/deals/{deal.pk}/").status_code == 200  # he may read it
    before = holds(deal, change)

    assert through_the_card(other, deal, change.card).status_code == 403
    assert through_the_api(other, deal, *change.api).status_code == 403
    assert holds(deal, change) == before
