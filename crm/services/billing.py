"""«Регулярные платежи» use cases: the invoice (attach, send by email, paid), the closing documents,
the next period's deal, who bills a period across a renewal, and what the billing list shows
(SPEC §2).

One deal is one paid period of a contract. Periods are anchored on the contract's day of the
month (a contract of 31 January pays 28 February – 30 March, 31 March – 29 April …), so they
never drift when a short month clamps the day.

A period is billed by exactly one contract (docs/billing.md):

* A contract's first month is paid in «Заключение договора»; each later month is one deal of its
  chain, created when the month before is paid — or, for a month starting after the contract's
  end date, on that month's first day (``NEXT_PERIOD_DUE``): past its end a contract bills
  month by month, as the months come, for as long as no signed renewal takes over.
* A renewal takes over from its contract date, the first day of its own first month, once it is
  signed: at «Ожидание оплаты» or any later stage, or won. That date must be a payment date of
  the old contract that the old contract has not billed yet (``renewal_start_problem``) — billed
  meaning paid, or its invoice email gone out — so the two never cover the same day.
* From then on the old chain creates no deal starting on or after that date, and its open deals
  for such periods are closed as failed, naming the renewal (``superseded_by``), with their
  invoice emails that have not gone out cancelled (``renewal_hand_over``). A renewal that stops
  being signed (lost, suspended, moved back) gives the months back: the old chain goes on.
* Concurrency: every writer of a chain takes its deal's row first and then the contract's row
  (``select_for_update``); whoever comes second sees what the first committed.
"""

import calendar
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import activity, bulk, clock, constants, timers, workflow, worktime
from admin24.access import Action, require
from admin24.messages import Message
from admin24.models import Activity
from admin24.workflow import DomainError
from notifications.models import OutboxMessage
from notifications.services import notify, notify_staff, outbox_cancel

from ..models import Contract, ContractStage, Deal, DealPipeline, RegularStage
from ..texts import deal_title, say
from . import renewal as renewal_services
from . import tasks as task_services
from .documents import check_document

INVOICE_TEMPLATE = "invoice"
# A month starting after its contract's end: its deal is created on its first day.
NEXT_PERIOD_DUE = "crm.contract.next_period_due"
# The stages of «Заключение договора» at which a deal's contract is signed.
SIGNED_STAGES = (ContractStage.AWAITING_PAYMENT, ContractStage.PAID, ContractStage.AUDIT, ContractStage.CLOSING_DOCS)
PAID_STAGES = (RegularStage.INVOICE_PAID, RegularStage.CLOSING_DOCS)
NBSP = "\u00a0"
PLACEHOLDERS = ("company", "period", "amount", "invoice_number")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class BillingError(DomainError):
    """The request cannot be done now; the message says why, for people."""


# --- periods ----------------------------------------------------------------------------------


# No paid period is longer than this (``period_from``: up to the day before the next payment date,
# at most two months when a short month clamps the anchor); the billing list relies on it.
MAX_PERIOD_DAYS = 62


def period_from(start: datetime.date, *, anchor: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The paid period that starts on ``start``: up to the day before the next anchored month begins."""
    months = (start.year - anchor.year) * 12 + start.month - anchor.month
    end = worktime.add_months(anchor, months + 1) - datetime.timedelta(days=1)
    if end < start:
        end = worktime.add_months(anchor, months + 2) - datetime.timedelta(days=1)
    return start, end


def _anchor(deal: Deal) -> datetime.date:
    if deal.contract_id is not None:
        return deal.contract.signed_on
    return deal.contract_date or deal.period_start or clock.localdate()


def first_period(deal: Deal) -> tuple[datetime.date, datetime.date]:
    """The period of the deal a won contract deal becomes: from the next month's payment date."""
    anchor = deal.contract_date or timezone.localdate(deal.stage_changed_at)
    start = worktime.add_months(anchor, 1) if deal.contract_date else anchor
    return period_from(start, anchor=anchor)


def next_period(deal: Deal) -> tuple[datetime.date, datetime.date]:
    return period_from(deal.period_end + datetime.timedelta(days=1), anchor=_anchor(deal))


def period_label(deal: Deal) -> str:
    """The period as the client's documents write it (the placeholders of the administrator's texts)."""
    if deal.period_start is None or deal.period_end is None:
        return ""
    return f"{formats.date_format(deal.period_start, 'd.m.Y')} – {formats.date_format(deal.period_end, 'd.m.Y')}"


def period_message(deal: Deal) -> Message | str:
    """The period as a message parameter: its two dates, shown in the reader's date format."""
    if deal.period_start is None or deal.period_end is None:
        return ""
    return say("crm.period.range", start=deal.period_start, end=deal.period_end)


def amount_label(amount: Decimal, currency: str) -> str:
    whole, _dot, cents = f"{amount:,.2f}".partition(".")
    number = whole.replace(",", NBSP) + "," + cents
    return number + NBSP + ("₽" if currency == "RUB" else currency)


# --- the invoice email ------------------------------------------------------------------------


def fill_placeholders(text: str, deal: Deal) -> str:
    """BillTheme/BillText with {company}, {period}, {amount}, {invoice_number} filled in.

    Anything else in braces is left as the administrator typed it, so a stray brace never
    stops an invoice.
    """
    values = {
        "company": deal.company.name if deal.company_id else "",
        "period": period_label(deal),
        "amount": amount_label(deal.amount, deal.currency),
        "invoice_number": deal.invoice_number or PurePath(deal.invoice_file.name).stem,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text or "")


def why_the_invoice_cannot_go(deal: Deal) -> str | None:
    if not deal.invoice_file:
        return say("crm.invoice.no_file")
    if deal.contact_id is None:
        return say("crm.invoice.no_contact")
    if not deal.contact.first_email:
        return say("crm.invoice.no_email", contact=str(deal.contact))
    return None


@dataclass(frozen=True)
class InvoiceOutcome:
    deal: Deal
    sent: bool
    problem: str = ""


def _ensure_regular(deal: Deal, *stages: str) -> None:
    if deal.pipeline != DealPipeline.REGULAR or (stages and deal.stage not in stages):
        raise BillingError(
            _("This can only be done for a «%(pipeline)s» deal at «%(stages)s».")
            % {
                "pipeline": DealPipeline.REGULAR.label,
                "stages": "», «".join(str(RegularStage(stage).label) for stage in stages),
            }
        )


@transaction.atomic
def invoice_attach(*, deal: Deal, by, upload, number: str = "") -> InvoiceOutcome:
    """Attach (or replace) the period's invoice and send it to the client (SPEC §2).

    The file stays attached even when it cannot be sent; the outcome says why, and the
    responsible is told the same.
    """
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.INVOICE_FORMING, RegularStage.INVOICE_SENT)
    _ensure_billed_here(deal)
    check_document(upload)
    number = (number or "").strip()
    if len(number) > Deal._meta.get_field("invoice_number").max_length:
        raise ValidationError(_("The invoice number is too long."))
    replaced = bool(deal.invoice_file)
    deal.invoice_file.save(PurePath(upload.name).name, upload, save=False)
    deal.invoice_number = number
    deal.save(update_fields=["invoice_file", "invoice_number", "updated_at"])
    activity.record(
        target=deal,
        verb=Activity.Verb.FILE_ATTACHED,
        by=by,
        message=say(
            "crm.invoice.replaced" if replaced else "crm.invoice.attached", name=PurePath(deal.invoice_file.name).name
        ),
    )
    return invoice_send(deal=deal, by=by)


@transaction.atomic
def invoice_send(*, deal: Deal, by) -> InvoiceOutcome:
    """Email the attached invoice to the first address of the deal's contact; move on to «Счёт отправлен».

    Sending the same file again writes nothing new (the outbox key names the file).
    """
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).select_related("company", "contact").get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.INVOICE_FORMING, RegularStage.INVOICE_SENT)
    _ensure_billed_here(deal)
    problem = why_the_invoice_cannot_go(deal)
    if problem:
        _explain_unsent(deal, problem, by=by)
        return InvoiceOutcome(deal=deal, sent=False, problem=str(problem))  # in the caller's language
    address = deal.contact.first_email
    [message] = notify(
        address,
        INVOICE_TEMPLATE,
        {
            "subject": fill_placeholders(constants.get("BillTheme"), deal),
            "body": fill_placeholders(constants.get("BillText"), deal),
        },
        key=f"invoice:{deal.pk}:{deal.invoice_file.name}",
        attachments=[deal.invoice_file.name],
        target=deal,
    )
    activity.record(
        target=deal,
        verb=Activity.Verb.EMAIL_SENT,
        by=by,
        message=say("crm.invoice.sent", address=address),
        # The card's timeline reads the delivery status of this outbox row.
        data={"address": address, "outbox": message.pk},
    )
    if deal.stage == RegularStage.INVOICE_FORMING:
        workflow.move(deal, RegularStage.INVOICE_SENT, by=by, reason=say("crm.invoice.sent_reason"))
    return InvoiceOutcome(deal=deal, sent=True)


def _explain_unsent(deal: Deal, problem: str, *, by) -> None:
    activity.record(
        target=deal, verb=Activity.Verb.EMAIL_NOT_SENT, by=by, message=say("crm.invoice.not_sent", why=problem)
    )
    notify_staff(
        deal,
        to=deal.responsible,
        title=say("crm.invoice.not_sent.title", deal=deal.title),
        text=problem,
        key=None,
    )


@transaction.atomic
def invoice_mark_paid(*, deal: Deal, by) -> Deal:
    """The "paid" flag: a deal whose invoice is sent moves to «Счёт оплачен»."""
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.INVOICE_SENT, RegularStage.INVOICE_PAID)
    if deal.stage == RegularStage.INVOICE_SENT:
        workflow.move(deal, RegularStage.INVOICE_PAID, by=by, reason=say("crm.invoice.paid"))
    return deal


@transaction.atomic
def closing_docs_mark_received(*, deal: Deal, by) -> Deal:
    """The client has the closing documents: the period's deal is complete, its reminders stop."""
    require(by, deal, Action.EDIT)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    _ensure_regular(deal, RegularStage.CLOSING_DOCS)
    if deal.closing_docs_received:
        return deal
    deal.closing_docs_received = True
    deal.save(update_fields=["closing_docs_received", "updated_at"])
    timers.cancel_pending(deal)
    task_services.close_open_tasks(deal, result=say("crm.closing_docs.received"), by=by)
    activity.record(target=deal, verb=Activity.Verb.UPDATED, by=by, message=say("crm.closing_docs.received"))
    return deal


# --- the next period --------------------------------------------------------------------------


def next_period_deal(deal: Deal) -> Deal | None:
    """The deal of the period after ``deal``'s, created at «Формирование счёта» the first time only.

    Runs inside the move into «Счёт оплачен» (and when a month past the contract's end begins:
    ``next_period_deals`` for a clock batch). None when the period is not this contract's to bill
    (a signed renewal covers it) or not yet (past the end, the deal waits for the month's first
    day). The unique (contract, period start) makes a second creation — the move repeated, or two
    workers at once — fail and find the first one instead.
    """
    start, end = next_period(deal)
    contract = None
    if deal.contract_id is not None:
        # The chain's lock, taken after the deal's row: a renewal being signed at this moment
        # either sees the deal created here or is seen by this check.
        contract = Contract.objects.select_for_update().get(pk=deal.contract_id)
    existing = _period_deal(deal, start)
    if existing is not None:
        return existing
    if contract is not None and not _bills_now(deal, contract, start, takeover_date(contract)):
        return None
    created = _following(deal, start, end)
    try:
        with transaction.atomic():
            created.save(force_insert=True)
    except IntegrityError:
        return Deal.objects.get(contract=deal.contract, period_start=start, superseded_by__isnull=True)
    activity.record_many(_following_entries(deal, created))
    workflow.start(created, by=None)
    return created


def next_period_deals(afters: dict[int, int]) -> list[Deal]:
    """``next_period_deal`` for the paid deals a clock batch names (deal pk → its contract's pk):
    the months past their contracts' ends that begin together, in a number of queries that does
    not grow with them. A deal no longer paid (moved back or failed since) bills nothing after it.

    The same rules and the same lock order as one at a time: the deals' rows, then the
    contracts' (each in pk order), then under both whether the period has its deal already and
    whether a signed renewal took the contract's billing over. The unique (contract, period
    start) still guards the INSERT: should it fail, the clock runs each action alone.
    """
    deals = [
        deal
        for deal in Deal.objects.select_for_update(of=("self",))
        .select_related("company", "contact", "responsible")
        .filter(pk__in=afters)
        .order_by("pk")
        if deal.contract_id == afters[deal.pk] and deal.stage in PAID_STAGES
    ]
    if not deals:
        return []
    contracts = Contract.objects.select_for_update().order_by("pk").in_bulk(sorted({d.contract_id for d in deals}))
    periods = {}
    for deal in deals:
        deal.contract = contracts[deal.contract_id]
        periods[deal.pk] = next_period(deal)
    taken = set(
        Deal.objects.filter(
            pipeline=DealPipeline.REGULAR,
            contract__in=contracts,
            period_start__in={start for start, _end in periods.values()},
            superseded_by__isnull=True,
        ).values_list("contract_id", "company_id", "period_start")
    )
    cuts = takeover_dates(list(contracts.values()))
    now = clock.now()
    created: list[tuple[Deal, Deal]] = []
    for deal in deals:
        start, end = periods[deal.pk]
        if (deal.contract_id, deal.company_id, start) in taken:
            continue
        if not _bills_now(deal, deal.contract, start, cuts[deal.contract_id]):
            continue
        taken.add((deal.contract_id, deal.company_id, start))
        # Stored with its first stage's entry counted: start_many(counted=True) below.
        following = _following(deal, start, end, **workflow.first_entry(now))
        following.refresh_search_text()  # what save() does, which a bulk INSERT skips
        created.append((deal, following))
    if not created:
        return []
    bulk.insert_rows([following for _deal, following in created])
    activity.record_many([entry for deal, following in created for entry in _following_entries(deal, following)])
    workflow.start_many([following for _deal, following in created], by=None, counted=True)
    return [following for _deal, following in created]


def _bills_now(deal: Deal, contract: Contract, start: datetime.date, cut: datetime.date | None) -> bool:
    """Whether the period from ``start`` gets its deal now: the contract bills it (no renewal took
    over by ``cut``) and, past the contract's end, its month has begun (else the clock is set
    for its first working day)."""
    if cut is not None and start >= cut:
        return False
    if contract.ends_on is not None and start > contract.ends_on and clock.localdate() < start:
        timers.cancel_pending(contract, NEXT_PERIOD_DUE)
        timers.schedule(contract, NEXT_PERIOD_DUE, at=worktime.start_of_working_day(start), payload={"after": deal.pk})
        return False
    return True


def _following(deal: Deal, start: datetime.date, end: datetime.date, **stored) -> Deal:
    """The (unsaved) deal of the period from ``start`` after ``deal``'s, at «Формирование счёта»."""
    return Deal(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_FORMING,
        title=deal_title(
            gettext_lazy("%(company)s: %(period)s"),
            company=deal.company.name if deal.company_id else deal.title,
            period=_month_label_lazy(start),
        ),
        company=deal.company,
        contact=deal.contact,
        responsible=deal.responsible,
        contract=deal.contract,
        amount=deal.amount,
        currency=deal.currency,
        service_kind=deal.service_kind,
        contract_date=deal.contract_date,
        contract_end_date=deal.contract_end_date,
        period_start=start,
        period_end=end,
        **stored,
    )


def _following_entries(deal: Deal, created: Deal) -> list[dict]:
    return [
        activity.build(
            target=created,
            verb=Activity.Verb.CREATED,
            message=say("crm.period.next_of", deal=deal.title),
            data={"previous": deal.pk},
        ),
        activity.build(
            target=deal,
            verb=Activity.Verb.NOTE,
            message=say("crm.period.next_created", deal=created.title),
            data={"next": created.pk},
        ),
    ]


def _period_deal(deal: Deal, start: datetime.date) -> Deal | None:
    return Deal.objects.filter(
        pipeline=DealPipeline.REGULAR,
        contract=deal.contract,
        company=deal.company,
        period_start=start,
        superseded_by__isnull=True,
    ).first()


# --- who bills a period: the old contract or its renewal --------------------------------------


def renewal_is_signed(renewal: Deal) -> bool:
    """The renewal's contract is signed: it waits for (or has) its first payment, or is won."""
    return renewal.won_at is not None or (renewal.pipeline == DealPipeline.CONTRACT and renewal.stage in SIGNED_STAGES)


def takeover_date(contract: Contract) -> datetime.date | None:
    """The day a signed renewal bills the contract's months from; None while none does."""
    return takeover_dates([contract])[contract.pk]


def takeover_dates(contracts: list[Contract]) -> dict[int, datetime.date | None]:
    """``takeover_date`` of many contracts in one query, by contract pk."""
    renewals = renewal_services.renewal_deals(contracts)
    return {contract.pk: _takeover(renewals.get(contract.pk)) for contract in contracts}


def _takeover(renewal: Deal | None) -> datetime.date | None:
    """The day ``renewal`` (a contract's renewal deal, as ``renewal_deals`` reads it) bills from."""
    if renewal is None or not renewal_is_signed(renewal):
        return None
    if renewal.contract_id is not None:
        return renewal.contract.signed_on
    return renewal.contract_date


def billed_here(contract: Contract, start: datetime.date | None) -> bool:
    """Whether the period starting on ``start`` is ``contract``'s to bill (not its renewal's)."""
    cut = takeover_date(contract)
    return cut is None or start is None or start < cut


def is_payment_date(day: datetime.date, *, anchor: datetime.date) -> bool:
    """``day`` starts one of the periods anchored on ``anchor`` (a month or more after it)."""
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    return months >= 1 and worktime.add_months(anchor, months) == day


def _live_deals(contract: Contract | int):
    """The chain's deals that bill (or may still bill) their period: not failed, not superseded."""
    return Deal.objects.filter(contract=contract, pipeline=DealPipeline.REGULAR, superseded_by__isnull=True).exclude(
        stage=RegularStage.FAILED
    )


def _invoices_out(deals) -> set[int]:
    """Which of these deals have an invoice email being sent or sent: the client has it."""
    return set(
        OutboxMessage.objects.filter(
            target_type=ContentType.objects.get_for_model(Deal),
            target_id__in=[deal.pk for deal in deals],
            template=INVOICE_TEMPLATE,
            status__in=[OutboxMessage.Status.SENDING, OutboxMessage.Status.SENT],
        ).values_list("target_id", flat=True)
    )


def first_unbilled_payment_date(contract: Contract) -> datetime.date:
    """The first payment date after every period of ``contract`` that is paid or whose invoice went out."""
    deals = list(_live_deals(contract))
    out = _invoices_out(deals)
    billed = [deal.period_end for deal in deals if deal.period_end and (deal.stage in PAID_STAGES or deal.pk in out)]
    if not billed:
        return worktime.add_months(contract.signed_on, 1)
    return max(billed) + datetime.timedelta(days=1)


def renewal_start_problem(renewal: Deal, day: datetime.date | None) -> str | None:
    """Why the renewal cannot take the old contract's billing over on ``day`` (its contract date); None if it can."""
    if day is None or renewal.renews_id is None:
        return None
    old = Contract.objects.filter(deals__pk=renewal.renews_id).first()
    if old is None:
        return None
    first = first_unbilled_payment_date(old)
    if day >= first and is_payment_date(day, anchor=old.signed_on):
        return None
    months = (first.year - old.signed_on.year) * 12 + first.month - old.signed_on.month
    dates = [worktime.add_months(old.signed_on, months + n) for n in range(3)]
    return _(
        "The renewal's contract date must be a payment date of contract %(number)s that it has not billed "
        "yet, so that no month is billed twice: %(dates)s or a later one."
    ) % {"number": old.number, "dates": ", ".join(formats.date_format(d, "d.m.Y") for d in dates)}


def _ensure_billed_here(deal: Deal) -> None:
    """Refuse to invoice a period a signed renewal bills (call with the deal's row locked)."""
    if deal.contract_id is None:
        return
    contract = Contract.objects.select_for_update().get(pk=deal.contract_id)
    if not billed_here(contract, deal.period_start):
        raise BillingError(
            _("The period from %(date)s is billed under the renewal of contract %(number)s, not by this deal.")
            % {"date": formats.date_format(deal.period_start, "d.m.Y"), "number": contract.number}
        )


@transaction.atomic
def renewal_hand_over(*, renewal: Deal) -> list[Deal]:
    """Settle who bills which month after the renewal's stage or contract date changed; the deals closed.

    Signed: the old chain's open deals from the renewal's contract date on are closed as failed,
    naming the renewal, and their invoice emails that have not gone out are cancelled. Not
    signed (any more): the old chain goes on from its last paid period.
    """
    contract_id = Deal.objects.filter(pk=renewal.renews_id).values_list("contract_id", flat=True).first()
    if contract_id is None:
        return []
    # The lock order of every chain writer: the deals, then the contract.
    cut = takeover_date(Contract.objects.get(pk=contract_id))
    if cut is not None:
        list(_live_deals(contract_id).filter(period_start__gte=cut).select_for_update().values_list("pk", flat=True))
    contract = Contract.objects.select_for_update().get(pk=contract_id)
    renewal = renewal_services.renewal_deal(contract)
    cut = _takeover(renewal)
    if cut is None:
        _go_on(contract)
        return []
    covered = list(_live_deals(contract).filter(period_start__gte=cut).order_by("period_start"))
    withdrawn = {
        deal.pk: outbox_cancel(messages=invoice_emails(deal), reason=_superseded_because(deal, renewal, cut))
        for deal in covered
    }
    if renewal.won_at is None:
        # Checked again under the locks, after the withdrawals: an invoice may have gone out
        # since the guard looked, and one that is going out now cannot be withdrawn.
        problem = renewal_start_problem(renewal, cut)
        if problem:
            raise BillingError(problem)
    for deal in covered:
        _supersede(deal, renewal, cut=cut, withdrawn=withdrawn[deal.pk])
    return covered


def _superseded_because(deal: Deal, renewal: Deal, cut: datetime.date) -> Message:
    return say("crm.period.superseded", date=deal.period_start, renewal=renewal.title, signed=cut)


def _supersede(deal: Deal, renewal: Deal, *, cut: datetime.date, withdrawn: int) -> None:
    """Close the old contract's deal for a period the renewal bills, and tell its responsible."""
    why = _superseded_because(deal, renewal, cut)
    deal.superseded_by = renewal
    deal.save(update_fields=["superseded_by", "updated_at"])
    workflow.move(deal, RegularStage.FAILED, by=None, reason=why)
    notify_staff(
        deal,
        to=deal.responsible,
        title=say("crm.period.superseded.title", deal=deal.title),
        text=say("crm.period.superseded.unsent", why=why) if withdrawn else why,
        key=f"superseded:{deal.pk}:{renewal.pk}",
    )


def _go_on(contract: Contract) -> None:
    """The old chain bills on after its last paid period (a renewal fell through)."""
    last = _live_deals(contract).order_by("-period_start").first()
    if last is not None and last.stage in PAID_STAGES:
        next_period_deal(last)


def _month_label(day: datetime.date) -> str:
    return formats.date_format(day, "F Y")


# Made once: ``lazy()`` builds its proxy class at each call, a millisecond (a clock batch's 500
# following deals spent half a second there).
_month_label_lazy = lazy(_month_label, str)


# --- what the card and the billing list show --------------------------------------------------


class BillingStatus:
    NOT_ATTACHED = "not_attached"
    SENT = "sent"
    PAID = "paid"
    DOCUMENTS = "documents"
    DOCUMENTS_RECEIVED = "documents_received"
    FAILED = "failed"

    LABELS = {
        NOT_ATTACHED: gettext_lazy("invoice not attached"),
        SENT: gettext_lazy("invoice sent"),
        PAID: gettext_lazy("invoice paid"),
        DOCUMENTS: gettext_lazy("closing documents"),
        DOCUMENTS_RECEIVED: gettext_lazy("closing documents received"),
        # Not the bare "failed": that msgid is the outbox's delivery status («ошибка»).
        FAILED: gettext_lazy("deal failed"),
    }


def billing_status(deal: Deal) -> str:
    if deal.stage == RegularStage.FAILED:
        return BillingStatus.FAILED
    if deal.stage == RegularStage.CLOSING_DOCS:
        return BillingStatus.DOCUMENTS_RECEIVED if deal.closing_docs_received else BillingStatus.DOCUMENTS
    if deal.stage == RegularStage.INVOICE_PAID:
        return BillingStatus.PAID
    if deal.stage == RegularStage.INVOICE_SENT:
        return BillingStatus.SENT
    return BillingStatus.NOT_ATTACHED


def billing_deals(*, month: datetime.date | None) -> QuerySet[Deal]:
    """Regular-payments deals whose paid period overlaps ``month`` (any day of it), by period."""
    deals = Deal.objects.filter(pipeline=DealPipeline.REGULAR)
    if month is not None:
        first = month.replace(day=1)
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        # The lower bound on the start is what keeps the page flat in history: the index on
        # (pipeline, period_start) is walked over a few months, not over every period ever billed.
        earliest = first - datetime.timedelta(days=MAX_PERIOD_DAYS)
        deals = deals.filter(period_start__gte=earliest, period_start__lte=last, period_end__gte=first)
    # Only the columns the list and its API show: building a full deal (and its contact) per row
    # cost more than the query.
    return (
        deals.select_related("company", "responsible")
        .only(*BILLING_COLUMNS)
        .order_by("period_start", "company__name", "pk")
    )


BILLING_COLUMNS = (
    "title",
    "pipeline",
    "stage",
    "period_start",
    "period_end",
    "amount",
    "currency",
    "invoice_number",
    "closing_docs_received",
    "company__name",
    "responsible__username",
    "responsible__last_name",
    "responsible__first_name",
    "responsible__patronymic",
)


def invoice_emails(deal: Deal) -> QuerySet[OutboxMessage]:
    """The invoice emails written for the deal, newest first: the card's delivery status."""
    return OutboxMessage.objects.filter(
        target_type=ContentType.objects.get_for_model(Deal), target_id=deal.pk, template=INVOICE_TEMPLATE
    ).order_by("-created_at", "-pk")
