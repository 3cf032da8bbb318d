"""The SLA compliance the company card shows: for the contract in force (else every ticket of the
company), this month, last month and since the contract was signed — one query."""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from admin24.access import Action, Level, filter_queryset, level_for
from admin24.reports import PeriodChoice, local_midnight, period_for, share
from crm.selectors import contract_in_force

from ..models import Ticket
from ..support_hours import support_hours_of
from .tickets import Sla


@dataclass
class SlaRow:
    label: str
    judged: int
    met: int
    url: str

    @property
    def share(self) -> float | None:
        return share(self.met, self.judged)


def company_sla(user, company, *, now: datetime.datetime | None = None) -> dict | None:
    """None for a user who may read no tickets."""
    if level_for(user, Ticket.access_entity, Action.READ) == Level.NONE:
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    contract = contract_in_force(company.pk, today)
    tickets = filter_queryset(user, Ticket.objects.filter(company=company), Action.READ)
    if contract is not None:
        tickets = tickets.filter(contract=contract)
    this_month = period_for(PeriodChoice.THIS_MONTH, today)
    last_month = period_for(PeriodChoice.LAST_MONTH, today)
    since = contract.signed_on if contract is not None else today - datetime.timedelta(days=365)
    spans = [
        (gettext("This month"), this_month.first, this_month.last, {"period": PeriodChoice.THIS_MONTH}),
        (gettext("Last month"), last_month.first, last_month.last, {"period": PeriodChoice.LAST_MONTH}),
        (
            gettext("Since the contract was signed") if contract is not None else gettext("Last 12 months"),
            since,
            today,
            {"period": PeriodChoice.CUSTOM, "date_from": since.isoformat(), "date_to": today.isoformat()},
        ),
    ]
    sla = Sla(now)
    aggregates = {}
    for index, (_label, first, last, _query) in enumerate(spans):
        within = Q(
            created_at__gte=local_midnight(first), created_at__lt=local_midnight(last + datetime.timedelta(days=1))
        )
        for name, aggregate in sla.aggregates(within).items():
            aggregates[f"{name}{index}"] = aggregate
    found = tickets.order_by().aggregate(**aggregates)
    report = reverse("servicedesk:reports")
    rows = [
        SlaRow(
            label,
            found[f"judged{index}"],
            found[f"met{index}"],
            f"{report}?{urlencode({'company': company.pk, **query})}",
        )
        for index, (label, _first, _last, query) in enumerate(spans)
    ]
    return {"contract": contract, "rows": rows, "hours": support_hours_of(contract, today)}
