"""A client's life through the automation by time travel: the clock runs every wait, and the people
do what they do — the manager invoices each period on its first working day, the client pays five
days later, the closing documents arrive the same day they are due, the worker delivers every
invoice email at once. Tests script the rest (the renewal deal) between ``run_until`` calls.
"""

import datetime
import itertools
from collections import Counter
from decimal import Decimal

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from admin24 import timers, worktime
from admin24.models import ScheduledAction
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, RegularStage
from crm.services.billing import closing_docs_mark_received, invoice_attach, invoice_mark_paid
from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_deliver
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, ContactFactory, DealFactory
from tests.told import titles

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PAYS_AFTER_DAYS = 5
DAY = datetime.timedelta(days=1)


def pdf(name="file.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def working(day: datetime.date, hour: int = 11) -> datetime.datetime:
    return worktime.next_working_moment(msk(day.year, day.month, day.day, hour))


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


class Life:
    def __init__(self, *, company, manager):
        self.company = company
        self.manager = manager

    def _chores(self):
        """(when, what, deal) for every regular deal of the client waiting for someone."""
        deals = Deal.objects.filter(pipeline=DealPipeline.REGULAR, company=self.company).exclude(
            stage=RegularStage.FAILED
        )
        for deal in deals:
            entered = deal.stage_changed_at
            if deal.stage == RegularStage.INVOICE_FORMING:
                at = max(
                    working(deal.period_start), worktime.next_working_moment(entered + datetime.timedelta(hours=1))
                )
                yield at, "invoice", deal
            elif deal.stage == RegularStage.INVOICE_SENT:
                yield working(entered.date() + PAYS_AFTER_DAYS * DAY), "pay", deal
            elif deal.stage == RegularStage.CLOSING_DOCS and not deal.closing_docs_received:
                yield entered + datetime.timedelta(hours=6), "documents", deal

    def run_until(self, end: datetime.datetime) -> None:
        while True:
            events = list(self._chores())
            due = ScheduledAction.objects.filter(status=ScheduledAction.Status.PENDING).order_by("due_at").first()
            if due is not None:
                events.append((due.due_at, "clock", None))
            if not events:
                return
            at, what, deal = min(events, key=lambda event: (event[0], event[1]))
            if at > end:
                return
            with time_machine.travel(at, tick=False):
                if what == "clock":
                    timers.run_due_until_idle()
                elif what == "invoice":
                    outcome = invoice_attach(deal=deal, by=self.manager, upload=pdf(f"schet-{deal.pk}.pdf"))
                    assert outcome.sent, outcome.problem
                    for message in invoice_rows().filter(target_id=deal.pk, status=OutboxMessage.Status.PENDING):
                        outbox_deliver(message_id=message.pk)
                elif what == "pay":
                    invoice_mark_paid(deal=deal, by=self.manager)
                else:
                    closing_docs_mark_received(deal=deal, by=self.manager)


def first_contract(manager, *, signed: datetime.date, ends: datetime.date) -> Life:
    """Signed and paid in «Заключение договора» on ``signed``; the clock wins it a month later."""
    company = CompanyFactory(name="ООО «Ромашка»")
    deal = DealFactory(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.PAID,
        title="Абонентка «Ромашки»",
        company=company,
        contact=ContactFactory(full_name="Ольга", emails=["buh@romashka.example"]),
        responsible=manager,
        amount=Decimal("15000"),
        contract_date=signed,
        contract_end_date=ends,
        payment_received=True,
    )
    with time_machine.travel(working(signed, 15), tick=False):
        move(deal, ContractStage.CLOSING_DOCS, by=manager)
    life = Life(company=company, manager=manager)
    life.first_deal = deal
    return life


def invoice_rows():
    return OutboxMessage.objects.filter(target_type=ContentType.objects.get_for_model(Deal), template="invoice")


def add_month(day: datetime.date) -> datetime.date:
    return worktime.add_months(day, 1)


def billed_periods(company) -> list[tuple[datetime.date, datetime.date, str]]:
    """Every period someone was asked to pay: each contract's first month (paid in «Заключение
    договора») and each regular deal whose invoice email was not withdrawn — once per email."""
    periods = [
        (c.signed_on, add_month(c.signed_on) - DAY, "first month") for c in Contract.objects.filter(company=company)
    ]
    deals = {deal.pk: deal for deal in Deal.objects.filter(company=company, pipeline=DealPipeline.REGULAR)}
    emails = invoice_rows().filter(target_id__in=list(deals)).exclude(status=OutboxMessage.Status.CANCELLED)
    for email in emails:
        assert email.status == OutboxMessage.Status.SENT, (email.status, email.last_error)
        deal = deals[email.target_id]
        periods.append((deal.period_start, deal.period_end, "invoice"))
    return sorted(periods)


def assert_every_month_billed_once(company, *, first: datetime.date, until: datetime.date) -> None:
    """From ``first`` to ``until`` (inclusive) every day is in exactly one billed period."""
    periods = [p for p in billed_periods(company) if p[0] <= until]
    twice = [start for start, count in Counter(start for start, _end, _how in periods).items() if count > 1]
    assert twice == [], f"billed twice: {twice}"
    assert periods[0][0] == first
    for (start, end, how), (next_start, _next_end, next_how) in itertools.pairwise(periods):
        assert next_start == end + DAY, f"{start}–{end} ({how}) is followed by {next_start} ({next_how})"
    assert periods[-1][1] >= until, f"billed only up to {periods[-1][1]}"


def reminders_about(deal, action: str) -> list[str]:
    """The reminders robots sent about ``deal`` from the clock action ``action``."""
    return titles(Notification.objects.filter(key__startswith=f"{action}:{deal.pk}:"))
