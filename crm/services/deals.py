"""Deal use cases: edit the card, attach the proposal and contract files, record the payment.

Who may set what on a deal is one rule, ``deal_settable_fields``: everything for whoever may
edit the deal, the contract's file and dates for whoever holds an open task on it (the Clerk
drafting the contract), nothing for anyone else. The use cases here enforce it; the card's form
and the API ask it before they show or take anything.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from admin24 import activity, workflow
from admin24.access import DENIED, Action, can
from admin24.messages import Message
from admin24.models import Activity
from admin24.structure import supervisors_of
from notifications.services import StaffNotice, notify_staff, notify_staff_many

from ..models import ContractStage, Deal, DealPipeline, Task
from ..texts import say
from ..validators import validate_contract_date
from . import billing, renewal
from .documents import check_document

FILE_FIELDS = {"proposal": "proposal_file", "contract": "contract_file", "renewal_contract": "renewal_contract_file"}
# Every document a deal holds, by the kind its download link names (the invoice comes from billing).
DOCUMENT_FIELDS = {**FILE_FIELDS, "invoice": "invoice_file"}
# The fields staff and integrations may set on a deal, in the order its card shows them.
DEAL_FIELDS = (
    "title",
    "company",
    "contact",
    "responsible",
    "amount",
    "currency",
    "service_kind",
    "computers",
    "servers",
    "offices",
    "client_request",
    "contract_date",
    "contract_end_date",
    "payment_received",
)


# Everything a deal's card and API can set: its plain fields and its files.
SETTABLE_FIELDS = frozenset({*DEAL_FIELDS, *FILE_FIELDS.values()})
# The Clerk drafting the contract may not edit deals, but must attach the contract and its dates.
TASK_HOLDER_FIELDS = frozenset({"contract_file", "contract_date", "contract_end_date"})


def holds_open_task(user, deal: Deal) -> bool:
    return Task.objects.filter(deal=deal, responsible=user, status=Task.Status.OPEN).exists()


def deal_settable_fields(user, deal: Deal) -> frozenset[str]:
    """The fields (and files: ``contract_file`` …) ``user`` may set on ``deal``; empty: none at all.

    ``user=None`` is the system. The one rule the card, the API and the use cases ask.
    """
    if user is None or can(user, deal, Action.EDIT):
        return SETTABLE_FIELDS
    if holds_open_task(user, deal):
        return TASK_HOLDER_FIELDS
    return frozenset()


def require_settable(by, deal: Deal, fields: Iterable[str] = ()) -> None:
    """``PermissionDenied`` unless ``by`` may set every one of ``fields`` — and, with none given, anything."""
    allowed = deal_settable_fields(by, deal)
    if not allowed or not set(fields) <= allowed:
        raise PermissionDenied(str(DENIED[Action.EDIT]))


def pay_if_flagged(deal: Deal, *, by) -> None:
    """Payment received = yes moves a deal waiting for payment to «Оплата получена» at once —
    when the flag is set there, and when the deal arrives there with the flag already set."""
    if (
        deal.payment_received
        and deal.pipeline == DealPipeline.CONTRACT
        and deal.stage == ContractStage.AWAITING_PAYMENT
    ):
        workflow.move(deal, ContractStage.PAID, by=by, reason=say("crm.deal.payment_received"))


@transaction.atomic
def deal_update(*, deal: Deal, by, **fields) -> Deal:
    """Change the deal's plain fields; setting payment received moves it to «Оплата получена»."""
    unknown = set(fields) - set(DEAL_FIELDS)
    if unknown:
        raise TypeError(f"deal_update() cannot change {', '.join(sorted(unknown))}")
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    changed = [name for name, value in fields.items() if getattr(deal, name) != value]
    require_settable(by, deal, changed)
    for name in {"contract_date", "contract_end_date"} & set(changed):
        try:
            validate_contract_date(fields[name])
        except ValidationError as error:
            raise ValidationError({name: error.messages}) from None
    if "contract_date" in changed and deal.renews_id is not None and deal.won_at is None:
        # A renewal's contract date is the day it takes the billing over from the old contract.
        problem = billing.renewal_start_problem(deal, fields["contract_date"])
        if problem:
            raise ValidationError({"contract_date": [problem]})
    for name in changed:
        setattr(deal, name, fields[name])
    deal.full_clean(exclude=["stage", "proposal_file", "contract_file", *(set(DEAL_FIELDS) - set(fields))])
    if changed:
        deal.save(update_fields=[*changed, "updated_at"])
        activity.record(
            target=deal,
            verb=Activity.Verb.UPDATED,
            by=by,
            message=say(
                "crm.deal.fields_changed", fields=[Deal._meta.get_field(name).verbose_name for name in changed]
            ),
        )
    if "contract_end_date" in changed and deal.contract_id is not None:
        # A won deal's end date is its contract's: the renewal wait is re-planned (SPEC §2).
        renewal.contract_set_end_date(contract=deal.contract, by=None, ends_on=deal.contract_end_date)
    if "contract_date" in changed and deal.renews_id is not None and billing.renewal_is_signed(deal):
        billing.renewal_hand_over(renewal=deal)
    if "payment_received" in changed:
        pay_if_flagged(deal, by=by)
    return deal


@transaction.atomic
def deal_attach_file(*, deal: Deal, by, kind: str, upload) -> Deal:
    """Attach (or replace) the deal's commercial proposal (``kind="proposal"``) or contract."""
    try:
        field = FILE_FIELDS[kind]
    except KeyError:
        raise ValidationError(_("Unknown kind of file: %(kind)s.") % {"kind": kind}) from None
    require_settable(by, deal, {field})
    check_document(upload)
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    replaced = bool(getattr(deal, field))
    getattr(deal, field).save(PurePath(upload.name).name, upload, save=False)
    deal.save(update_fields=[field, "updated_at"])
    activity.record(
        target=deal,
        verb=Activity.Verb.FILE_ATTACHED,
        by=by,
        message=say(
            "crm.deal.file_replaced" if replaced else "crm.deal.file_attached",
            file=Deal._meta.get_field(field).verbose_name,
            name=PurePath(upload.name).name,
        ),
    )
    return deal


@transaction.atomic
def deal_save_card(*, deal: Deal, by, fields: dict, files: dict) -> Deal:
    """The card's one form: the files given (``{"proposal": upload, ...}``), then its fields —
    in that order, so handing the deal to someone else does not take the right to attach them."""
    for kind, upload in files.items():
        if upload is not None:
            deal = deal_attach_file(deal=deal, by=by, kind=kind, upload=upload)
    return deal_update(deal=deal, by=by, **fields)


def deals_mark_payment_received(*, deals: Iterable[Deal], by) -> int:
    """The bulk action: payment received on every given deal the user may change; how many changed."""
    count = 0
    for deal in deals:
        if not deal.payment_received and "payment_received" in deal_settable_fields(by, deal):
            deal_update(deal=deal, by=by, payment_received=True)
            count += 1
    return count


def deal_remind(deal: Deal, recipient, *, key: str, title, text) -> None:
    """A robot's reminder about a deal: an in-app note and email, and a line on the deal's timeline.

    ``title`` and ``text`` are messages (``crm.texts.say``), told in the recipient's language and
    shown on the timeline in each reader's; the timeline names the recipient."""
    if recipient is None:
        return
    notify_staff(deal, to=recipient, title=title, text=text, key=key)
    Activity(**_reminder_entry(Reminder(deal, recipient, key, title, text))).save(force_insert=True)


@dataclass(frozen=True)
class Reminder:
    """One ``deal_remind`` call, for ``deal_remind_many``."""

    deal: Deal
    recipient: object
    key: str
    title: object
    text: object


def deal_remind_many(reminders: Iterable[Reminder]) -> None:
    """``deal_remind`` for many at once (the clock's batches): every notice through
    ``notify_staff_many`` and every timeline line in one INSERT, whatever their number."""
    reminders = [reminder for reminder in reminders if reminder.recipient is not None]
    notify_staff_many(
        [StaffNotice(target=r.deal, to=r.recipient, title=r.title, text=r.text, key=r.key) for r in reminders]
    )
    activity.record_many([_reminder_entry(reminder) for reminder in reminders])


def deal_responsibles(deals: Iterable[Deal], *, supervisors: bool = False) -> dict[int, object]:
    """Each deal's responsible read for many deals in one query (the clock's batches); with
    ``supervisors``, the responsibles' supervisors by responsible pk (``recipient_for``'s rule)."""
    deals = list(deals)
    prefetch_related_objects(deals, "responsible")
    return supervisors_of(deal.responsible for deal in deals) if supervisors else {}


def ladder_recipient(deal: Deal, action, supervisors: dict[int, object]):
    """Who a reminder step tells: the deal's responsible, or their supervisor (``deal_responsibles``'
    map) for a step scheduled ``to: supervisor``."""
    if action.payload.get("to") == "supervisor":
        return supervisors.get(deal.responsible_id)
    return deal.responsible


def _reminder_entry(reminder: Reminder) -> dict:
    title = reminder.title
    return activity.build(
        target=reminder.deal,
        verb=Activity.Verb.REMINDER_SENT,
        message=title if isinstance(title, Message) else None,
        text="" if isinstance(title, Message) else str(title),
        data={"to": reminder.recipient.pk},
    )
