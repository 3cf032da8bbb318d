"""«Регулярные платежи»: the monthly billing pipeline a won contract deal continues in (SPEC §2).

One deal is one paid period. «Формирование счёта» asks the responsible for the invoice, whose
attachment emails it to the client and moves on (``crm.services.billing.invoice_attach``);
«Счёт отправлен» sets a call task for day 3 and reminds on days 10, 15, 20 and 25 while unpaid;
«Счёт оплачен» creates the next period's deal and pauses until ActFormingDate days before the
period's end; «Закрывающие документы» sets the documents task and reminds 3, 5, 10 and 15 days
after the period's end (the supervisor on day 20) until they are received; «Сделка провалена»
closes the deal with a reason. The company is required at every stage.

A month that starts after its contract's end gets its deal on that month's first day rather
than when the month before is paid (``billing.NEXT_PERIOD_DUE``), so that a renewal signed in
between bills it instead (docs/billing.md).

A flag counts whenever it was set: «Закрывающие документы» entered with the documents already
received sets no task and no reminders; a deal moved back from «Счёт оплачен» to «Счёт
отправлен» is unpaid again, and reminded about as such.

Every entry first closes the open tasks robots created for the stage that was left; the engine
has already cancelled that stage's clock actions.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24 import bulk, clock, constants, timers, workflow, worktime
from admin24.workflow import ACTIVE, LOST, Pipeline, Stage

from ..models import Deal, RegularStage, Task
from ..services import billing
from ..services import tasks as task_services
from ..services.deals import Reminder, deal_remind_many, deal_responsibles, ladder_recipient
from ..texts import say

UNPAID_REMINDER = "crm.deal.invoice_unpaid_reminder"
ACT_FORMING_PAUSE = "crm.deal.act_forming_pause"
CLOSING_DOCS_REMINDER = "crm.deal.closing_docs_reminder"

CALL_AFTER_DAYS = 3
UNPAID_REMINDER_DAYS = (10, 15, 20, 25)
CLOSING_DOCS_REMINDER_DAYS = (3, 5, 10, 15)
CLOSING_DOCS_SUPERVISOR_DAYS = 20

PIPELINE = Pipeline(
    key="regular",
    label=gettext_lazy("Regular payments"),
    stages=[
        Stage(RegularStage.INVOICE_FORMING, RegularStage.INVOICE_FORMING.label, 10, ACTIVE),
        Stage(RegularStage.INVOICE_SENT, RegularStage.INVOICE_SENT.label, 20, ACTIVE),
        Stage(RegularStage.INVOICE_PAID, RegularStage.INVOICE_PAID.label, 30, ACTIVE),
        Stage(RegularStage.CLOSING_DOCS, RegularStage.CLOSING_DOCS.label, 40, ACTIVE),
        Stage(RegularStage.FAILED, RegularStage.FAILED.label, 50, LOST),
    ],
)


def act_forming_moment(deal: Deal) -> datetime.datetime:
    """Start of work on the day ActFormingDate days before the paid period's end (aligned to work)."""
    days = constants.get("ActFormingDate") or 0
    return worktime.start_of_working_day(deal.period_end - datetime.timedelta(days=days))


def after_period_end(deal: Deal, days: int) -> datetime.datetime:
    return worktime.start_of_working_day(deal.period_end + datetime.timedelta(days=days))


# --- guards ---------------------------------------------------------------------------------


@PIPELINE.guard(*PIPELINE.slugs())
def _company_required(deal, *, by, reason):
    if deal.company_id is None:
        return _("A «%(pipeline)s» deal needs the client's company: fill it in first.") % {"pipeline": PIPELINE.label}
    return None


@PIPELINE.guard(RegularStage.INVOICE_SENT)
def _invoice_required(deal, *, by, reason):
    if not deal.invoice_file:
        return _("Attach the invoice file first: «%(stage)s» needs it.") % {"stage": RegularStage.INVOICE_SENT.label}
    return None


@PIPELINE.guard(RegularStage.FAILED)
def _reason_required(deal, *, by, reason):
    if not reason:
        return _("Say why the deal failed.")
    return None


# --- robots ---------------------------------------------------------------------------------


@PIPELINE.on_enter(*PIPELINE.slugs(), batch=True)
def _close_tasks_of_the_stage_left(deals, *, by, from_stage, reason):
    task_services.close_tasks_of_the_stage_left(deals, pipeline=PIPELINE, from_stage=from_stage)


@PIPELINE.on_enter(RegularStage.INVOICE_FORMING, batch=True)
def _invoice_wanted(deals, *, by, from_stage, reason):
    """The invoice task and the reminder, for all the deals of a batch at once (the months past
    their contracts' ends that begin together): one INSERT per table for the tasks, the notices
    and the timelines."""
    unset = [deal for deal in deals if deal.period_start is None or deal.period_end is None]
    for deal in unset:
        deal.period_start, deal.period_end = billing.first_period(deal)
        deal.updated_at = timezone.now()  # what save()'s auto_now would set
    bulk.update_rows(unset, ["period_start", "period_end", "updated_at"])
    deal_responsibles(deals)
    deadline = worktime.end_of_working_day_after(clock.now())
    wanted = [
        (
            deal,
            say("crm.task.invoice", deal=deal.title),
            say("crm.task.invoice.text", period=billing.period_message(deal), stage=RegularStage.INVOICE_SENT),
        )
        for deal in deals
    ]
    task_services.task_create_many(
        [
            task_services.NewTask(
                title=title,
                responsible=deal.responsible,
                deadline=deadline,
                description=text,
                deal=deal,
                by=by,
                is_automatic=True,
            )
            for deal, title, text in wanted
        ]
    )
    deal_remind_many(
        Reminder(deal, deal.responsible, f"invoice-wanted:{deal.pk}:{deal.stage_entry_count}", title, text)
        for deal, title, text in wanted
    )


@PIPELINE.on_enter(RegularStage.INVOICE_SENT)
def _call_and_unpaid_reminders(deal, *, by, from_stage, reason):
    if deal.invoice_paid and from_stage == RegularStage.INVOICE_PAID:
        # Moved back from «Счёт оплачен»: the invoice is not paid after all.
        deal.invoice_paid = False
        deal.save(update_fields=["invoice_paid", "updated_at"])
    entered = deal.stage_changed_at
    task_services.task_create(
        title=say("crm.task.invoice_call", deal=deal.title),
        kind=Task.Kind.CALL,
        responsible=deal.responsible,
        deadline=worktime.not_before_now(worktime.add_days_then_align(entered, CALL_AFTER_DAYS)),
        description=say("crm.task.invoice_call.text"),
        deal=deal,
        by=by,
        is_automatic=True,
    )
    for days in UNPAID_REMINDER_DAYS:
        timers.schedule(
            deal,
            UNPAID_REMINDER,
            at=worktime.not_before_now(worktime.add_days_then_align(entered, days)),
            payload={"days": days},
        )


@PIPELINE.on_enter(RegularStage.INVOICE_PAID)
def _next_period_and_pause(deal, *, by, from_stage, reason):
    if not deal.invoice_paid:
        deal.invoice_paid = True
        deal.save(update_fields=["invoice_paid", "updated_at"])
    billing.next_period_deal(deal)
    moment = act_forming_moment(deal)
    if moment <= clock.now():
        workflow.move(
            deal,
            RegularStage.CLOSING_DOCS,
            by=None,
            reason=say("crm.period.ends_within", days=constants.get("ActFormingDate") or 0),
        )
    else:
        timers.schedule(deal, ACT_FORMING_PAUSE, at=moment)


@PIPELINE.on_enter(RegularStage.CLOSING_DOCS, batch=True)
def _closing_documents(deals, *, by, from_stage, reason):
    """The documents task and the reminder ladder, for all the deals of a batch at once (the
    act-forming pauses a tick ends): one INSERT for the tasks and one for the timers."""
    # Received already (a deal moved back that has come here again): its period is complete.
    deals = [deal for deal in deals if not deal.closing_docs_received]
    deal_responsibles(deals)
    task_services.task_create_many(
        [
            task_services.NewTask(
                title=say("crm.task.send_closing_docs", deal=deal.title),
                kind=Task.Kind.CLOSING_DOCS,
                responsible=deal.responsible,
                deadline=worktime.not_before_now(after_period_end(deal, 1)),
                description=say(
                    "crm.task.send_closing_docs.text",
                    period=billing.period_message(deal),
                    field=Deal._meta.get_field("closing_docs_received").verbose_name,
                ),
                deal=deal,
                by=by,
                is_automatic=True,
            )
            for deal in deals
        ]
    )
    ladder = [({"days": days}, days) for days in CLOSING_DOCS_REMINDER_DAYS]
    ladder.append(({"days": CLOSING_DOCS_SUPERVISOR_DAYS, "to": "supervisor"}, CLOSING_DOCS_SUPERVISOR_DAYS))
    timers.schedule_many(
        timers.Timer(deal, CLOSING_DOCS_REMINDER, worktime.not_before_now(after_period_end(deal, days)), payload)
        for deal in deals
        for payload, days in ladder
    )


# --- the clock ------------------------------------------------------------------------------


# Days 10, 15, 20, 25 are one ladder: a catch-up sends only the latest step that is due.
@timers.batch_handler(UNPAID_REMINDER, series=())
def _remind_about_the_unpaid_invoice(pairs):
    pairs = [(deal, action) for deal, action in pairs if not deal.invoice_paid]
    deal_responsibles(deal for deal, _action in pairs)
    reminders = []
    for deal, action in pairs:
        days = int(action.payload.get("days", 0))
        reminders.append(
            Reminder(
                deal,
                deal.responsible,
                key=f"{UNPAID_REMINDER}:{deal.pk}:{deal.stage_entry_count}:{days}",
                title=say("crm.remind.unpaid", days=days, deal=deal.title),
                text=say(
                    "crm.remind.unpaid.text",
                    period=billing.period_message(deal),
                    days=days,
                    stage=RegularStage.INVOICE_PAID,
                ),
            )
        )
    deal_remind_many(reminders)


# One at a time: what runs each action alone when its batch failed (the unique period's INSERT
# found the deal made meanwhile, say — next_period_deal then finds it).
@timers.handler(billing.NEXT_PERIOD_DUE)
def _a_month_past_the_end_begins(contract, action):
    deal = Deal.objects.filter(pk=action.payload.get("after"), contract=contract).first()
    # The month before must still be paid: a deal moved back or failed since bills nothing after it.
    if deal is not None and deal.stage in billing.PAID_STAGES:
        billing.next_period_deal(deal)


@timers.batch_handler(billing.NEXT_PERIOD_DUE)
def _months_past_the_end_begin(pairs):
    billing.next_period_deals({action.payload.get("after"): contract.pk for contract, action in pairs})


@timers.batch_handler(ACT_FORMING_PAUSE)
def _closing_documents_are_due(pairs):
    # One move for the deals whose periods end on the same day (the reason names the day): the
    # pauses a tick ends are those of one period's end, so its queries do not grow with the deals.
    ending: dict = {}
    for deal, _action in pairs:
        ending.setdefault(deal.period_end, []).append(deal)
    for period_end, deals in ending.items():
        workflow.move_many(deals, RegularStage.CLOSING_DOCS, by=None, reason=say("crm.period.ends_on", date=period_end))


# One ladder per recipient (the responsible on days 3–15, the supervisor on day 20), as above.
@timers.batch_handler(CLOSING_DOCS_REMINDER, series=("to",))
def _remind_about_closing_documents(pairs):
    pairs = [(deal, action) for deal, action in pairs if not deal.closing_docs_received]
    supervisors = deal_responsibles((deal for deal, _action in pairs), supervisors=True)
    reminders = []
    for deal, action in pairs:
        days = int(action.payload.get("days", 0))
        recipient = ladder_recipient(deal, action, supervisors)
        reminders.append(
            Reminder(
                deal,
                recipient,
                key=f"{CLOSING_DOCS_REMINDER}:{deal.pk}:{deal.stage_entry_count}:{days}",
                title=say("crm.remind.closing_docs", days=days, deal=deal.title),
                text=say(
                    "crm.remind.closing_docs.text",
                    period=billing.period_message(deal),
                    deal=deal.title,
                    manager=deal.responsible,
                    days=days,
                ),
            )
        )
    deal_remind_many(reminders)
