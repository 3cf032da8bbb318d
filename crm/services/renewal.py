"""Contract-end tracking («Отслеживание срока окончания договора», SPEC §2).

A won contract waits, as one clock row targeting the contract, until its end date minus the
lead time: LessReminderPeriod days for a contract shorter than NotificationStep months, else
LargeReminderPeriod days. Then the end date is read again: unchanged, a renewal deal starts in
«Заключение договора» at «Формирование КП» (linked to the contract's deal through ``renews``)
and the responsible is told; changed, the wait is computed again. Changing the end date
(``contract_set_end_date``) or one of the three constants (admin save → ``constants.changed``)
re-plans every pending wait at once.

These are the use cases; the clock's reaction at the moment and the re-plan on a constant's
change are registered with the pipeline a renewal deal starts in, ``crm.pipelines.contract``.
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import activity, bulk, clock, constants, timers, workflow, worktime
from admin24.access import Action, require
from admin24.models import Activity, ScheduledAction
from notifications.services import StaffNotice, notify_staff_many

from ..models import Contract, ContractStage, Deal, DealPipeline
from ..texts import deal_title, say
from ..validators import validate_contract_date

RENEWAL_DUE = "crm.contract.renewal_due"
LEAD_TIME_CONSTANTS = frozenset({"LessReminderPeriod", "LargeReminderPeriod", "NotificationStep"})


def lead_times() -> tuple[int | None, int | None, int | None]:
    """The constants ``lead_days`` reads (``NotificationStep``, ``LessReminderPeriod``,
    ``LargeReminderPeriod``), read once for a batch of contracts: each read is a cache round trip."""
    return constants.get("NotificationStep"), constants.get("LessReminderPeriod"), constants.get("LargeReminderPeriod")


def lead_days(contract: Contract, times: tuple | None = None) -> int:
    """How many days before the end the renewal starts (SPEC §2); ``times``: ``lead_times()``."""
    step, less, large = times or lead_times()
    runs_less = contract.ends_on + datetime.timedelta(days=1) < worktime.add_months(contract.signed_on, step or 0)
    return (less if runs_less else large) or 0


def renewal_moment(contract: Contract, times: tuple | None = None) -> datetime.datetime:
    """Start of work on the day ``lead_days`` before the end (the next working day when that is a day off)."""
    return worktime.start_of_working_day(contract.ends_on - datetime.timedelta(days=lead_days(contract, times)))


def _old_deal(contract: Contract) -> Deal | None:
    """The deal that won the contract (its later periods' deals share the contract)."""
    return _old_deals([contract]).get(contract.pk)


def _old_deals(contracts: list[Contract]) -> dict[int, Deal]:
    """``_old_deal`` of many contracts in two queries, by contract pk: the first deal won (by
    when, then pk), else the first one made."""
    first: dict[int, tuple] = {}
    for contract_id, pk, won_at in Deal.objects.filter(contract__in=contracts).values_list(
        "contract_id", "pk", "won_at"
    ):
        rank = (0, won_at, pk) if won_at is not None else (1, pk)
        first[contract_id] = min(first.get(contract_id, rank), rank)
    deals = Deal.objects.in_bulk([rank[-1] for rank in first.values()])
    return {contract_id: deals[rank[-1]] for contract_id, rank in first.items()}


def renewal_deal(contract: Contract) -> Deal | None:
    """The contract's renewal deal, None while it has none (``renewal_deals`` of one contract)."""
    return renewal_deals([contract]).get(contract.pk)


def renewal_deals(contracts: list[Contract]) -> dict[int, Deal]:
    """Each contract's renewal deal — the first (by pk) of the deals renewing its deals — by
    contract pk, in one query for them all; a contract without one is not in it. With the
    renewal's own contract, which decides when it takes the billing over."""
    found: dict[int, Deal] = {}
    for renewal in (
        Deal.objects.filter(renews__contract__in=contracts)
        .select_related("contract")
        .annotate(old_contract=F("renews__contract"))
        .order_by("pk")
    ):
        found.setdefault(renewal.old_contract, renewal)
    return found


def _pending(contract: Contract):
    return ScheduledAction.objects.filter(
        target_type=ContentType.objects.get_for_model(Contract),
        target_id=contract.pk,
        action=RENEWAL_DUE,
        status=ScheduledAction.Status.PENDING,
    )


def renewal_due_at(contract: Contract) -> datetime.datetime | None:
    """When the renewal deal will be created, while that is still ahead: for the contract's card."""
    return _pending(contract).order_by("due_at").values_list("due_at", flat=True).first()


def renewal_schedule(contract: Contract) -> ScheduledAction | None:
    """Wait for the contract's end (leaving any pending wait alone); None when there is nothing to wait for."""
    waits = _waits([contract])
    return timers.schedule(contract, RENEWAL_DUE, at=waits[0].at, payload=waits[0].payload) if waits else None


def renewal_schedule_many(contracts: list[Contract]) -> None:
    """``renewal_schedule`` of many contracts (the waits a clock batch re-plans): one read, one INSERT."""
    timers.schedule_many(_waits(contracts))


def _waits(contracts: list[Contract]) -> list[timers.Timer]:
    """The renewal wait of each contract that has one to wait for: active, with an end date, not renewed yet."""
    waiting = [c for c in contracts if c.ends_on is not None and c.status == Contract.Status.ACTIVE]
    renewed = renewal_deals(waiting)
    times = lead_times()
    return [
        timers.Timer(
            c, RENEWAL_DUE, worktime.not_before_now(renewal_moment(c, times)), {"ends_on": c.ends_on.isoformat()}
        )
        for c in waiting
        if c.pk not in renewed
    ]


@transaction.atomic
def renewal_track(contract: Contract) -> ScheduledAction | None:
    """Start (or re-plan) waiting for the contract's end; None when there is nothing to wait for."""
    timers.cancel_pending(contract, RENEWAL_DUE)
    return renewal_schedule(contract)


@transaction.atomic
def renewal_replan_all() -> int:
    """Re-plan every pending renewal wait, after a lead-time constant changed; returns how many."""
    pending = ScheduledAction.objects.filter(
        target_type=ContentType.objects.get_for_model(Contract),
        action=RENEWAL_DUE,
        status=ScheduledAction.Status.PENDING,
    ).values_list("target_id", flat=True)
    contracts = Contract.objects.filter(pk__in=list(pending))
    for contract in contracts:
        renewal_track(contract)
    return len(contracts)


@transaction.atomic
def contract_set_end_date(*, contract: Contract, by, ends_on: datetime.date | None) -> Contract:
    """Extend (or shorten) the contract; its deals show the new date and the renewal wait is re-planned."""
    require(by, contract, Action.EDIT, message=_("You may not change this contract."))
    validate_contract_date(ends_on)
    # Its deals' rows before the contract's, the lock order of every writer of a contract's
    # billing (``crm.services.billing``): a payment holding its deal never waits on us in a circle.
    list(Deal.objects.filter(contract=contract).order_by("pk").select_for_update().values_list("pk", flat=True))
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if ends_on is not None and ends_on <= contract.signed_on:
        raise ValidationError(
            _("The contract cannot end before it is signed (%(date)s).")
            % {"date": formats.date_format(contract.signed_on, "SHORT_DATE_FORMAT")}
        )
    if contract.ends_on == ends_on:
        return contract
    before = contract.ends_on
    contract.ends_on = ends_on
    contract.save(update_fields=["ends_on"])
    contract.deals.exclude(stage=ContractStage.LOST).update(contract_end_date=ends_on)
    old = _old_deal(contract)
    if old is not None:
        activity.record(
            target=old,
            verb=Activity.Verb.UPDATED,
            by=by,
            message=say(
                "crm.contract.end_changed",
                number=contract.number,
                date=ends_on,
                before=before,
            ),
        )
    renewal_track(contract)
    return contract


def renewal_create_many(contracts: list[Contract]) -> list[Deal]:
    """Each contract's renewal deal: «Заключение договора» at «Формирование КП», with its robots,
    and the responsible told — for all the renewals a tick finds due at once: one INSERT for the
    deals and one per table for their timelines, robots and notices."""
    if not contracts:
        return []
    olds = _old_deals(contracts)
    prefetch_related_objects(contracts, "company", "contact", "responsible")
    now = clock.now()
    deals = []
    for contract in contracts:
        old = olds.get(contract.pk)
        deal = Deal(
            pipeline=DealPipeline.CONTRACT,
            stage=ContractStage.PROPOSAL,
            **workflow.first_entry(now),  # stored counted: start_many(counted=True) below
            title=deal_title(
                gettext_lazy("Renewal of contract %(number)s: %(company)s"),
                number=contract.number,
                company=contract.company.name if contract.company_id else "—",
            ),
            company=contract.company,
            contact=contract.contact,
            responsible=contract.responsible,
            amount=contract.monthly_amount,
            currency=contract.currency,
            service_kind=old.service_kind if old else "",
            computers=old.computers if old else 0,
            servers=old.servers if old else 0,
            offices=old.offices if old else 0,
            client_request=old.client_request if old else "",
            renews=old,
        )
        deal.refresh_search_text()  # what save() does, which a bulk INSERT skips
        deals.append(deal)
    bulk.insert_rows(deals)
    texts = [say("crm.renewal.created", number=contract.number, date=contract.ends_on) for contract in contracts]
    entries = []
    for contract, deal, text in zip(contracts, deals, texts, strict=True):
        entries.append(
            activity.build(target=deal, verb=Activity.Verb.CREATED, message=text, data={"contract": contract.pk})
        )
        if deal.renews is not None:
            entries.append(
                activity.build(target=deal.renews, verb=Activity.Verb.NOTE, message=text, data={"renewal": deal.pk})
            )
    activity.record_many(entries)
    workflow.start_many(deals, by=None, counted=True)
    notify_staff_many(
        [
            StaffNotice(
                target=deal,
                to=contract.responsible,
                title=say("crm.renewal.title", deal=deal.title),
                text=text,
                key=f"renewal:{contract.pk}:{deal.pk}",
            )
            for contract, deal, text in zip(contracts, deals, texts, strict=True)
        ]
    )
    return deals
