"""The regular-payments part of `seed_demo`: won contracts at every stage of «Регулярные платежи»,
invoices sent, and a contract whose renewal deal is due in a few days.

Each contract deal is won through ``deal_win`` and then taken on by the services people use, so
its tasks, clock actions, outbox rows and timeline are real. Idempotent: deals are looked up by
title first.
"""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from admin24 import workflow, worktime
from admin24.models import User

from ..models import Company, ContractStage, Deal, DealPipeline, RegularStage
from ..services.billing import invoice_attach, invoice_mark_paid
from ..services.contracts import deal_win

DEMO_INVOICE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# title, company, responsible, the regular stage to reach, monthly amount
CLIENTS = [
    ("Абонентка: офис на Тверской", "ООО «Ромашка»", "manager", RegularStage.INVOICE_FORMING, 24000),
    ("Абонентка: Видное", "АО «Вектор»", "manager2", RegularStage.INVOICE_SENT, 36000),
    ("Абонентка: склад", "ООО «Нева Логистик»", "sales_head", RegularStage.INVOICE_PAID, 18000),
    ("Абонентка: бухгалтерия", "ООО «Ромашка»", "manager", RegularStage.CLOSING_DOCS, 12000),
    ("Абонентка: дизайн-студия", "ООО «Нева Логистик»", "sales_head", RegularStage.FAILED, 16000),
]
RENEWAL_DUE_SOON = ("Абонентка: серверная", "АО «Вектор»", "manager2", 15000)
FAILED_REASON = "Клиент перешёл на штатного администратора"


def _won(title: str, company: Company, owner: User | None, amount: int, *, signed: datetime.date, ends: datetime.date):
    deal = Deal.objects.create(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.CLOSING_DOCS,
        title=title,
        company=company,
        contact=company.contacts.order_by("pk").first(),
        responsible=owner,
        amount=Decimal(amount),
        service_kind="Абонентское обслуживание",
        contract_date=signed,
        contract_end_date=ends,
        payment_received=True,
    )
    deal_win(deal=deal, by=None)
    deal.refresh_from_db()
    return deal


def _invoice(deal: Deal, number: str) -> Deal:
    invoice_attach(deal=deal, by=None, upload=ContentFile(DEMO_INVOICE, name=f"schet-{number}.pdf"), number=number)
    deal.refresh_from_db()
    return deal


def _take_to(deal: Deal, stage: str, number: str) -> None:
    if stage == RegularStage.INVOICE_FORMING:
        return
    if stage == RegularStage.FAILED:
        workflow.move(deal, RegularStage.FAILED, by=None, reason=FAILED_REASON)
        return
    deal = _invoice(deal, number)
    if stage == RegularStage.INVOICE_SENT:
        return
    invoice_mark_paid(deal=deal, by=None)
    deal.refresh_from_db()
    if stage == RegularStage.CLOSING_DOCS and deal.stage != RegularStage.CLOSING_DOCS:
        workflow.move(deal, RegularStage.CLOSING_DOCS, by=None)


def seed_regular_payments() -> int:
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "manager2", "sales_head"])}
    today = timezone.localdate()
    # Signed a month and a few days ago: the first regular period started this week.
    signed = worktime.add_months(today, -1) - datetime.timedelta(days=3)
    created = 0
    for number, (title, company_name, owner, stage, amount) in enumerate(CLIENTS, start=1):
        company = Company.objects.filter(name=company_name).first()
        if company is None or Deal.objects.filter(title=title).exists():
            continue
        deal = _won(title, company, users.get(owner), amount, signed=signed, ends=worktime.add_months(signed, 12))
        _take_to(deal, stage, f"{today:%y%m}-{number:02d}")
        created += 1
    title, company_name, owner, amount = RENEWAL_DUE_SOON
    company = Company.objects.filter(name=company_name).first()
    if company is not None and not Deal.objects.filter(title=title).exists():
        # A short contract ending in three weeks: LessReminderPeriod (14) days before, about a week from now.
        ends = today + datetime.timedelta(days=20)
        deal = _won(title, company, users.get(owner), amount, signed=signed, ends=ends)
        _invoice(deal, f"{today:%y%m}-99")
        created += 1
    return created
