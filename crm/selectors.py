"""Reads about contracts and invoices that other pages share: which contract is in force for a
company, and which companies owe an invoice for too long.

The Service Desk reads these (a ticket's contract, the "no active contract" and "payment
overdue" marks, its board filter); the CRM reports count with the same rules.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import Contract, Deal, DealPipeline, RegularStage

# An invoice unpaid for longer than this marks its company "payment overdue" (issue 16).
PAYMENT_OVERDUE_DAYS = 20


def in_force_q(on: datetime.date, prefix: str = "") -> Q:
    """The contracts in force on ``on``: signed by then, not ended before, not marked ended."""
    return Q(
        **{f"{prefix}status": Contract.Status.ACTIVE, f"{prefix}signed_on__lte": on},
    ) & (Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on}))


def contracts_in_force(on: datetime.date | None = None) -> QuerySet[Contract]:
    return Contract.objects.filter(in_force_q(on or timezone.localdate()))


def contract_in_force(company_id: int | None, on: datetime.date | None = None) -> Contract | None:
    """The company's contract in force on ``on`` (today), the most recently signed when several are."""
    if company_id is None:
        return None
    return contracts_in_force(on).filter(company_id=company_id).order_by("-signed_on", "-pk").first()


def contracts_in_force_for(company_ids, on: datetime.date | None = None) -> dict[int, Contract]:
    """``contract_in_force`` of each company (by id, those that have one), in one query."""
    found: dict[int, Contract] = {}
    if company_ids:
        contracts = contracts_in_force(on).filter(company_id__in=set(company_ids))
        for contract in contracts.order_by("company_id", "-signed_on", "-pk"):
            found.setdefault(contract.company_id, contract)
    return found


def overdue_invoices(now: datetime.datetime | None = None) -> QuerySet[Deal]:
    """Invoices sent more than PAYMENT_OVERDUE_DAYS ago and still unpaid (the deal is still at «Счёт отправлен»)."""
    since = (now or timezone.now()) - datetime.timedelta(days=PAYMENT_OVERDUE_DAYS)
    return Deal.objects.filter(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_SENT,
        invoice_paid=False,
        stage_changed_at__lt=since,
    )


def company_has_contract(company_ref: str = "company_id", on: datetime.date | None = None) -> Exists:
    """An ``Exists`` for annotating or filtering rows whose ``company_ref`` has a contract in force."""
    return Exists(contracts_in_force(on).filter(company_id=OuterRef(company_ref)))


def company_owes(company_ref: str = "company_id", now: datetime.datetime | None = None) -> Exists:
    """An ``Exists`` for rows whose ``company_ref`` has an invoice unpaid for too long."""
    return Exists(overdue_invoices(now).filter(company_id=OuterRef(company_ref)))
