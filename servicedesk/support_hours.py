"""Included support hours (issue 16 §4): the time engineers log when they finish a contract's
tickets, counted against the hours the contract includes per month.

The one rule, used by the ticket card, the company card and the Service Desk report: a ticket's
``spent_minutes`` count for its contract in the calendar month — in the site's time zone
(Moscow) — in which the ticket was done (``resolved_at``). A ticket done again after a reopening
adds the new time to its minutes and counts in the month of that last finish. Summed in SQL.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from admin24.reports import local_midnight
from admin24.worktime import add_months

from .models import Ticket

# A finish logs at most a working month of time: more is a typing error (minutes for seconds).
MAX_SPENT_MINUTES = 10_000


def clean_spent_minutes(value) -> int | None:
    """The minutes an engineer typed or sent (None: none logged); a ValidationError says what is wrong."""
    if value in (None, ""):
        return None
    try:
        minutes = int(str(value).strip())
    except ValueError:
        raise ValidationError(_("Give the time spent as a whole number of minutes."), code="spent_invalid") from None
    if minutes < 0:
        raise ValidationError(_("The time spent cannot be negative."), code="spent_negative")
    if minutes > MAX_SPENT_MINUTES:
        raise ValidationError(
            _("The time spent may be at most %(limit)d minutes.") % {"limit": MAX_SPENT_MINUTES}, code="spent_too_much"
        )
    return minutes


def month_bounds(first: datetime.date, last: datetime.date | None = None) -> tuple[datetime.datetime, ...]:
    """The moments [start, end) of the local calendar months from ``first``'s to ``last``'s (its own when None)."""
    start = first.replace(day=1)
    end = add_months((last or first).replace(day=1), 1)
    return local_midnight(start), local_midnight(end)


def done_within(start: datetime.datetime, end: datetime.datetime) -> Q:
    """The tickets whose logged time counts in [start, end)."""
    return Q(resolved_at__gte=start, resolved_at__lt=end, spent_minutes__isnull=False)


def used_minutes(contract_ids, day: datetime.date | None = None) -> dict[int, int]:
    """Minutes logged per contract in ``day``'s month (today's), in one query; contracts with none are absent."""
    ids = [pk for pk in set(contract_ids) if pk]
    if not ids:
        return {}
    start, end = month_bounds(day or timezone.localdate())
    rows = (
        Ticket.objects.filter(done_within(start, end), contract_id__in=ids)
        .order_by()
        .values("contract_id")
        .annotate(minutes=Sum("spent_minutes"))
    )
    return {row["contract_id"]: row["minutes"] for row in rows}


@dataclass(frozen=True)
class SupportHours:
    """A contract's support hours in one month: used (logged) and included."""

    month: datetime.date
    used_minutes: int
    included_hours: int | None

    @property
    def used_hours(self) -> float:
        return self.used_minutes / 60

    @property
    def exceeded(self) -> bool:
        return self.included_hours is not None and self.used_minutes > self.included_hours * 60


def support_hours_of(contract, day: datetime.date | None = None) -> SupportHours | None:
    """The contract's hours this month (one query); None without a contract or included hours."""
    if contract is None or not contract.included_hours:
        return None
    day = day or timezone.localdate()
    minutes = used_minutes([contract.pk], day).get(contract.pk, 0)
    return SupportHours(day.replace(day=1), minutes, contract.included_hours)
