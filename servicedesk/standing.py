"""The client's standing as the engineer sees it before starting: the contract the ticket is served
under, or the marks "no active contract" and "payment overdue" (issue 16).

A ticket's contract is the one its company had in force when it came in (set by the follow-up,
``services._serve_under_contract``); "payment overdue" is read now: the company has an invoice
unpaid for more than ``crm.selectors.PAYMENT_OVERDUE_DAYS`` days. The card, the board card, the
list and the board filter all take the rule from here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.selectors import PAYMENT_OVERDUE_DAYS, company_owes

from .models import Ticket
from .support_hours import SupportHours, support_hours_of


class Standing(models.TextChoices):
    """The board filter's choices."""

    WARNED = "warned", _("No contract or payment overdue")
    NO_CONTRACT = "no_contract", _("No active contract")
    PAYMENT_OVERDUE = "payment_overdue", _("Payment overdue")
    UNDER_CONTRACT = "under_contract", _("Under a contract")


NO_CONTRACT_LABEL = _("no active contract")
PAYMENT_OVERDUE_LABEL = _("payment overdue")


def with_standing(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``payment_overdue`` on every row, computed by the database (one subquery, no query per row)."""
    return queryset.annotate(payment_overdue=company_owes("company_id"))


def filter_standing(queryset: QuerySet[Ticket], standing: str) -> QuerySet[Ticket]:
    owes = company_owes("company_id")
    if standing == Standing.NO_CONTRACT:
        return queryset.filter(contract__isnull=True)
    if standing == Standing.PAYMENT_OVERDUE:
        return queryset.filter(owes)
    if standing == Standing.WARNED:
        return queryset.filter(Q(contract__isnull=True) | owes)
    if standing == Standing.UNDER_CONTRACT:
        return queryset.filter(contract__isnull=False)
    return queryset


def marks(ticket: Ticket) -> list[str]:
    """The warnings a card shows (``ticket`` from ``with_standing``)."""
    return marks_writer()(ticket.contract_id is None, getattr(ticket, "payment_overdue", False))


def marks_writer() -> Callable[[bool, bool], list[str]]:
    """``marks`` by (no contract, payment overdue) for the many tickets of one page or export,
    the labels translated once."""
    no_contract, owes = str(NO_CONTRACT_LABEL), str(PAYMENT_OVERDUE_LABEL)
    return lambda none, late: ([no_contract] if none else []) + ([owes] if late else [])


@dataclass(frozen=True)
class TicketStanding:
    contract: object  # crm.Contract or None
    no_contract: bool
    payment_overdue: bool
    overdue_days: int = PAYMENT_OVERDUE_DAYS
    hours: SupportHours | None = None  # the contract's included hours this month, when it has some


def standing_of(ticket: Ticket) -> TicketStanding:
    """What the ticket card shows about the client's contract, its hours and payments (two queries at most)."""
    owes = ticket.company_id is not None and Ticket.objects.filter(pk=ticket.pk).filter(company_owes()).exists()
    return TicketStanding(
        contract=ticket.contract,
        no_contract=ticket.contract_id is None,
        payment_overdue=owes,
        hours=support_hours_of(ticket.contract),
    )
