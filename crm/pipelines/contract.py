"""«Заключение договора»: the deal pipeline a converted lead starts in (SPEC §2), with its robots.

Stage by stage: «Формирование КП» gives the responsible a proposal task whose completion (with
the file attached) moves the deal to «Обратная связь»; there the responsible is reminded after
10 days and the supervisor after 20; «Заключение договора» gives the Clerk a task whose
completion (file and date) moves on to «Ожидание оплаты», which reminds the responsible every 2
days until the payment flag moves the deal to «Оплата получена»; «Проведение аудита» gives the
IT director the audit checklist; «Получение закрывающих документов» waits until the next month's
payment date and then wins the deal into «Регулярные платежи».

The won deal's contract is then watched for its end (SPEC §2 «Отслеживание срока окончания
договора», the use cases in ``crm.services.renewal``): at the end date minus the lead time the
clock starts the renewal deal here, at «Формирование КП»; a changed lead-time constant re-plans
every pending wait. Once a renewal is signed («Ожидание оплаты» on) it bills the months from its
contract date instead of the old contract, and every change of its stage settles that again
(``crm.services.billing.renewal_hand_over``; the rule in docs/billing.md).

«Оплата получена» = yes counts whenever it was recorded: a deal arriving at «Ожидание оплаты»
with it goes straight on to «Оплата получена», and the payment reminders never remind about a
paid deal. A deal moved back to «Ожидание оплаты» from a later stage is, by that move, unpaid.

Every entry first closes the open tasks robots created for the stage that was left, so a deal
moved on (or back) by hand keeps no task that lost its purpose; the engine has already cancelled
that stage's clock actions.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import clock, constants, timers, workflow, worktime
from admin24.messages import Message
from admin24.roles import Role, has_role
from admin24.workflow import ACTIVE, HOLD, LOST, Pipeline, Stage

from ..models import ChecklistTemplate, Contract, ContractStage, Deal, LostReason, Task
from ..models.deals import CONTRACT_ACTIVE
from ..services import billing, renewal
from ..services import tasks as task_services
from ..services.contracts import deal_win
from ..services.deals import (
    Reminder,
    deal_remind,
    deal_remind_many,
    deal_responsibles,
    ladder_recipient,
    pay_if_flagged,
)
from ..texts import say

FEEDBACK_REMINDER = "crm.deal.feedback_reminder"
PAYMENT_REMINDER = "crm.deal.payment_reminder"
CLOSING_DOCS_PAUSE = "crm.deal.closing_docs_pause"

FEEDBACK_MANAGER_DAYS = 10
FEEDBACK_SUPERVISOR_DAYS = 20
PAYMENT_REMINDER_EVERY_DAYS = 2

AUDIT_CHECKLIST = "deal-audit"
# What the audit checklist starts from when administrators have deleted its template (SPEC §2).
AUDIT_ITEMS = [
    gettext_lazy("Contacts of the client's staff"),
    gettext_lazy("Hardware and software of every computer and server"),
    gettext_lazy("Administrator access to computers, servers and network equipment"),
    gettext_lazy("Internet and telephony contracts"),
    gettext_lazy("Access to the hosting, the mail administration and the CRM"),
    gettext_lazy("Survey of the users' problems"),
    gettext_lazy("Printers, MFPs and plotters"),
    gettext_lazy("PBX and phones"),
    gettext_lazy("Licences of all software"),
    gettext_lazy("Documents attached to the task"),
]

PIPELINE = Pipeline(
    key="contract",
    label=gettext_lazy("Contract signing"),
    stages=[
        Stage(ContractStage.PROPOSAL, ContractStage.PROPOSAL.label, 10, ACTIVE),
        Stage(ContractStage.FEEDBACK, ContractStage.FEEDBACK.label, 20, ACTIVE),
        Stage(ContractStage.CONTRACT, ContractStage.CONTRACT.label, 30, ACTIVE),
        Stage(ContractStage.AWAITING_PAYMENT, ContractStage.AWAITING_PAYMENT.label, 40, ACTIVE),
        Stage(ContractStage.PAID, ContractStage.PAID.label, 50, ACTIVE),
        Stage(ContractStage.AUDIT, ContractStage.AUDIT.label, 60, ACTIVE),
        Stage(ContractStage.CLOSING_DOCS, ContractStage.CLOSING_DOCS.label, 70, ACTIVE),
        Stage(ContractStage.LOST, ContractStage.LOST.label, 80, LOST),
        Stage(ContractStage.SUSPENDED, ContractStage.SUSPENDED.label, 90, HOLD),
    ],
)


# --- moments --------------------------------------------------------------------------------


def proposal_deadline(moment: datetime.datetime) -> datetime.datetime:
    return worktime.end_of_working_day_after(moment, settings.CRM_PROPOSAL_DEADLINE_WORKING_DAYS)


# --- guards ---------------------------------------------------------------------------------


def _offered_reasons() -> list[str]:
    return list(LostReason.objects.filter(active=True).values_list("name", flat=True))


def lost_reason_for(text: str) -> LostReason | None:
    """The listed reason a free text starts with («Дорого: выбрали конкурента» → «Дорого»)."""
    folded = text.casefold()
    for reason in LostReason.objects.filter(active=True).order_by("-position"):
        name = reason.name.casefold()
        if folded == name or folded.startswith(name + ":"):
            return reason
    return None


@PIPELINE.guard(ContractStage.LOST, ContractStage.SUSPENDED)
def _reason_required(deal, *, by, reason):
    if not reason:
        return _("Say why the deal stops here.")
    return None


@PIPELINE.guard(ContractStage.LOST)
def _reason_from_the_list(deal, *, by, reason):
    offered = _offered_reasons()
    if reason and offered and lost_reason_for(reason) is None:
        return _("Choose a reason from the list: %(reasons)s. A comment may follow after a colon.") % {
            "reasons": ", ".join(f"«{name}»" for name in offered)
        }
    return None


@PIPELINE.guard(ContractStage.CLOSING_DOCS)
def _company_required(deal, *, by, reason):
    # From here the deal goes on into «Регулярные платежи», which bills a company.
    if deal.company_id is None:
        return _("Fill in the client's company first: «%(stage)s» leads to regular payments.") % {
            "stage": ContractStage.CLOSING_DOCS.label
        }
    return None


@PIPELINE.guard(ContractStage.AWAITING_PAYMENT)
def _contract_date_required(deal, *, by, reason):
    if deal.contract_date is None:
        return _("The contract date is required for «%(stage)s».") % {"stage": ContractStage.AWAITING_PAYMENT.label}
    return None


@PIPELINE.guard(*billing.SIGNED_STAGES)
def _a_renewal_takes_over_where_billing_ends(deal, *, by, reason):
    if deal.renews_id is None:
        return None
    return billing.renewal_start_problem(deal, deal.contract_date)


def is_backwards(deal: Deal, to: str) -> bool:
    return deal.stage in CONTRACT_ACTIVE and is_backwards_from(deal.stage, to)


def is_backwards_from(stage: str, to: str) -> bool:
    return CONTRACT_ACTIVE.index(to) < CONTRACT_ACTIVE.index(stage)


def may_move_backwards(user) -> bool:
    return user is None or has_role(user, Role.SUPERVISOR) or has_role(user, Role.ADMINISTRATOR)


def _backwards_guard(to: str):
    def guard(deal, *, by, reason):
        if is_backwards(deal, to) and not may_move_backwards(by):
            return _("Only a supervisor or an administrator may move a deal back to «%(stage)s».") % {
                "stage": PIPELINE.label_of(to)
            }
        return None

    return guard


for _stage in CONTRACT_ACTIVE:
    PIPELINE.guard(_stage)(_backwards_guard(_stage))


# --- robots ---------------------------------------------------------------------------------


@PIPELINE.on_enter(*PIPELINE.slugs(), batch=True)
def _close_tasks_of_the_stage_left(deals, *, by, from_stage, reason):
    task_services.close_tasks_of_the_stage_left(deals, pipeline=PIPELINE, from_stage=from_stage)


@PIPELINE.on_enter(*PIPELINE.slugs())
def _settle_who_bills_after_a_renewal_moved(deal, *, by, from_stage, reason):
    if deal.renews_id is not None and (deal.stage in billing.SIGNED_STAGES or from_stage in billing.SIGNED_STAGES):
        billing.renewal_hand_over(renewal=deal)


@PIPELINE.on_enter(ContractStage.PROPOSAL, batch=True)
def _proposal_task(deals, *, by, from_stage, reason):
    deadline = proposal_deadline(clock.now())
    task_services.task_create_many(
        [
            task_services.NewTask(
                title=say("crm.task.proposal", deal=deal.title),
                kind=Task.Kind.PROPOSAL,
                responsible=deal.responsible,
                deadline=deadline,
                description=say("crm.task.proposal.text", stage=ContractStage.FEEDBACK),
                deal=deal,
                by=by,
                is_automatic=True,
            )
            for deal in deals
        ]
    )


@PIPELINE.on_enter(ContractStage.FEEDBACK)
def _feedback_reminders(deal, *, by, from_stage, reason):
    entered = deal.stage_changed_at
    for days, whom in ((FEEDBACK_MANAGER_DAYS, "responsible"), (FEEDBACK_SUPERVISOR_DAYS, "supervisor")):
        timers.schedule(
            deal,
            FEEDBACK_REMINDER,
            at=worktime.not_before_now(worktime.add_days_then_align(entered, days)),
            payload={"to": whom},
        )


@PIPELINE.on_enter(ContractStage.CONTRACT)
def _contract_task(deal, *, by, from_stage, reason):
    clerk = constants.user_or_fallback("Clerk", fallback=deal.responsible)
    task_services.task_create(
        title=say("crm.task.contract", deal=deal.title),
        kind=Task.Kind.CONTRACT,
        responsible=clerk,
        deadline=worktime.end_of_working_day_after(clock.now()),
        description=say("crm.task.contract.text", stage=ContractStage.AWAITING_PAYMENT),
        deal=deal,
        by=by,
        is_automatic=True,
    )


def _payment_reminder_after(moment: datetime.datetime) -> datetime.datetime:
    return worktime.not_before_now(worktime.add_days_then_align(moment, PAYMENT_REMINDER_EVERY_DAYS))


@PIPELINE.on_enter(ContractStage.AWAITING_PAYMENT)
def _wait_for_the_payment(deal, *, by, from_stage, reason):
    if deal.payment_received and from_stage in CONTRACT_ACTIVE and is_backwards_from(from_stage, deal.stage):
        # Moved back from «Оплата получена» or later: the payment is not there after all.
        deal.payment_received = False
        deal.save(update_fields=["payment_received", "updated_at"])
    if deal.payment_received:
        # Recorded before the deal got here: it counts now.
        pay_if_flagged(deal, by=None)
        return
    timers.schedule(deal, PAYMENT_REMINDER, at=_payment_reminder_after(deal.stage_changed_at), payload={"number": 1})


@PIPELINE.on_enter(ContractStage.PAID)
def _payment_is_received(deal, *, by, from_stage, reason):
    if not deal.payment_received:
        deal.payment_received = True
        deal.save(update_fields=["payment_received", "updated_at"])


@PIPELINE.on_enter(ContractStage.AUDIT)
def _audit_task(deal, *, by, from_stage, reason):
    director = constants.user_or_fallback("IT_Director", fallback=deal.responsible)
    template = ChecklistTemplate.objects.filter(code=AUDIT_CHECKLIST).first()
    task_services.task_create(
        title=say("crm.task.audit", deal=deal.title),
        kind=Task.Kind.AUDIT,
        responsible=director,
        deadline=worktime.end_of_working_day_after(clock.now(), 5),
        description=say("crm.task.audit.text", stage=ContractStage.CLOSING_DOCS),
        deal=deal,
        checklist=[] if template else [str(item) for item in AUDIT_ITEMS],
        checklist_template=template,
        by=by,
        is_automatic=True,
    )


def pause_end(deal: Deal) -> datetime.datetime:
    """When «Получение закрывающих документов» ends: the next month's payment date, start of work."""
    contract_date = deal.contract_date or timezone.localdate(deal.stage_changed_at)
    return worktime.start_of_working_day(worktime.add_months(contract_date, 1))


@PIPELINE.on_enter(ContractStage.CLOSING_DOCS)
def _closing_documents(deal, *, by, from_stage, reason):
    ends = worktime.not_before_now(pause_end(deal))
    task_services.task_create(
        title=say("crm.task.closing_docs", deal=deal.title),
        kind=Task.Kind.CLOSING_DOCS,
        responsible=deal.responsible,
        deadline=ends,
        deal=deal,
        by=by,
        is_automatic=True,
    )
    timers.schedule(deal, CLOSING_DOCS_PAUSE, at=ends)


@PIPELINE.on_enter(ContractStage.LOST)
def _record_lost_reason(deal, *, by, from_stage, reason):
    deal.lost_reason = lost_reason_for(reason)
    deal.save(update_fields=["lost_reason", "updated_at"])


@PIPELINE.on_enter(ContractStage.SUSPENDED)
def _remember_where_it_was(deal, *, by, from_stage, reason):
    deal.suspended_from = from_stage
    deal.save(update_fields=["suspended_from", "updated_at"])


# --- task completion ------------------------------------------------------------------------

# The proposal and contract tasks are done once their deal has the files (and the date) they are for.
task_services.require(Task.Kind.PROPOSAL, "deal", ["proposal_file"])
task_services.require(Task.Kind.CONTRACT, "deal", ["contract_file", "contract_date"])


def _move_on_completion(task_kind: str, stage: str, to: str):
    @task_services.on_complete(task_kind)
    def effect(task, *, by):
        deal = task.deal
        if deal is not None and deal.pipeline == PIPELINE.key and deal.stage == stage:
            workflow.move(
                deal,
                to,
                by=None,
                reason=say("crm.task.done", task=Message.from_stored(task.title_message) or task.title),
            )

    return effect


_move_on_completion(Task.Kind.PROPOSAL, ContractStage.PROPOSAL, ContractStage.FEEDBACK)
_move_on_completion(Task.Kind.CONTRACT, ContractStage.CONTRACT, ContractStage.AWAITING_PAYMENT)
_move_on_completion(Task.Kind.AUDIT, ContractStage.AUDIT, ContractStage.CLOSING_DOCS)


# --- the clock ------------------------------------------------------------------------------


@timers.batch_handler(FEEDBACK_REMINDER)
def _remind_about_feedback(pairs):
    supervisors = deal_responsibles((deal for deal, _action in pairs), supervisors=True)
    reminders = []
    for deal, action in pairs:
        to_supervisor = action.payload.get("to") == "supervisor"
        recipient = ladder_recipient(deal, action, supervisors)
        days = FEEDBACK_SUPERVISOR_DAYS if to_supervisor else FEEDBACK_MANAGER_DAYS
        reminders.append(
            Reminder(
                deal,
                recipient,
                key=f"{FEEDBACK_REMINDER}:{deal.pk}:{deal.stage_entry_count}:{days}",
                title=say("crm.remind.feedback", days=days, deal=deal.title),
                text=say(
                    "crm.remind.feedback.text",
                    deal=deal.title,
                    manager=deal.responsible,
                    stage=ContractStage.FEEDBACK,
                    days=days,
                ),
            )
        )
    deal_remind_many(reminders)


@timers.batch_handler(PAYMENT_REMINDER)
def _remind_about_payment(pairs):
    # Paid: nobody is asked whether the client has paid, and the reminders stop.
    pairs = [(deal, action) for deal, action in pairs if not deal.payment_received]
    deal_responsibles(deal for deal, _action in pairs)
    reminders, following = [], []
    for deal, action in pairs:
        number = int(action.payload.get("number", 1))
        reminders.append(
            Reminder(
                deal,
                deal.responsible,
                key=f"{PAYMENT_REMINDER}:{deal.pk}:{deal.stage_entry_count}:{number}",
                title=say("crm.remind.payment", deal=deal.title),
                text=say(
                    "crm.remind.payment.text",
                    deal=deal.title,
                    field=Deal._meta.get_field("payment_received").verbose_name,
                ),
            )
        )
        # Two days after this one was due; after an outage, two days from now (timers: catching up).
        at = _payment_reminder_after(timers.counted_from(action))
        following.append(timers.Timer(deal, PAYMENT_REMINDER, at, {"number": number + 1}))
    deal_remind_many(reminders)
    timers.schedule_many(following)


@timers.handler(CLOSING_DOCS_PAUSE)
def _win_at_the_payment_date(deal, action):
    try:
        deal_win(deal=deal, by=None)
    except workflow.MoveRefused as refusal:
        # Someone emptied a field «Регулярные платежи» needs: the responsible hears why, and
        # the deal tries again at the start of the next working day.
        today = clock.localdate()
        deal_remind(
            deal,
            deal.responsible,
            key=f"{CLOSING_DOCS_PAUSE}:{deal.pk}:{deal.stage_entry_count}:{today}",
            title=say("crm.remind.stuck", deal=deal.title),
            text=refusal.message,
        )
        timers.schedule(deal, CLOSING_DOCS_PAUSE, at=worktime.start_of_working_day(today + datetime.timedelta(days=1)))


# --- the contract's end ---------------------------------------------------------------------


@timers.batch_handler(renewal.RENEWAL_DUE)
def _renew_when_due(pairs):
    # The renewals a tick finds due are created together (a month's contracts end together).
    due, replanned = [], []
    times = renewal.lead_times()
    for contract, action in pairs:
        if (
            contract.ends_on is None
            or action.payload.get("ends_on") != contract.ends_on.isoformat()
            or renewal.renewal_moment(contract, times) > clock.now()
        ):
            # The end date (or a lead time) changed without a re-plan: wait for the new moment instead.
            replanned.append(contract)
        elif contract.status == Contract.Status.ACTIVE:
            due.append(contract)
    renewal.renewal_schedule_many(replanned)
    renewed = renewal.renewal_deals(due)
    renewal.renewal_create_many([contract for contract in due if contract.pk not in renewed])


@constants.on_change
def _replan_after_a_constant_changed(identifier: str) -> None:
    if identifier in renewal.LEAD_TIME_CONSTANTS:
        renewal.renewal_replan_all()
