"""The deals' part of `seed_demo`: a deal in every stage of «Заключение договора», with its tasks.

Each deal is walked through the pipeline by the same services people use, so its tasks, clock
actions and timeline are what a real deal at that stage would have. Idempotent: deals are looked
up by title first.
"""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from admin24 import workflow
from admin24.models import User

from ..models import Company, ContractStage, Deal, DealPipeline, Task
from ..services.deals import deal_attach_file, deal_update
from ..services.tasks import task_complete

DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# title, company, responsible, stage, monthly amount, computers, servers, offices
DEALS = [
    ("Абонентское обслуживание 12 ПК", "ООО «Ромашка»", "manager", ContractStage.PROPOSAL, 24000, 12, 1, 1),
    ("Поддержка офиса в Видном", "АО «Вектор»", "manager2", ContractStage.FEEDBACK, 36000, 20, 2, 1),
    ("Обслуживание склада", "ООО «Нева Логистик»", "sales_head", ContractStage.CONTRACT, 18000, 8, 1, 2),
    ("Сеть магазинов: поддержка касс", "ООО «Ромашка»", "manager", ContractStage.AWAITING_PAYMENT, 52000, 30, 2, 6),
    ("Серверная и резервное копирование", "АО «Вектор»", "manager2", ContractStage.PAID, 15000, 3, 4, 1),
    ("Переезд офиса и аудит сети", "ООО «Нева Логистик»", "sales_head", ContractStage.AUDIT, 28000, 15, 1, 1),
    ("Поддержка бухгалтерии", "ООО «Ромашка»", "manager", ContractStage.CLOSING_DOCS, 12000, 6, 0, 1),
    ("Обслуживание филиала", "АО «Вектор»", "manager2", ContractStage.LOST, 20000, 10, 1, 1),
    ("Поддержка дизайн-студии", "ООО «Нева Логистик»", "sales_head", ContractStage.SUSPENDED, 16000, 7, 0, 1),
]

REASONS = {
    ContractStage.LOST: "Дорого: клиент выбрал штатного администратора",
    ContractStage.SUSPENDED: "Клиент вернётся после реорганизации",
}


def _pdf(name: str) -> ContentFile:
    return ContentFile(DEMO_PDF, name=name)


def _complete_open(deal: Deal, kind: str) -> None:
    task_complete(task=Task.objects.get(deal=deal, kind=kind, status=Task.Status.OPEN), by=None)
    deal.refresh_from_db()


def _walk(deal: Deal, stage: str) -> None:
    """Take a deal from «Формирование КП» to ``stage`` the way people and robots would."""
    order = [
        ContractStage.PROPOSAL,
        ContractStage.FEEDBACK,
        ContractStage.CONTRACT,
        ContractStage.AWAITING_PAYMENT,
        ContractStage.PAID,
        ContractStage.AUDIT,
    ]
    hold = {ContractStage.LOST: ContractStage.FEEDBACK, ContractStage.SUSPENDED: ContractStage.CONTRACT}
    target = hold.get(stage, ContractStage.PAID if stage == ContractStage.CLOSING_DOCS else stage)
    reached = order.index(target)
    if reached >= order.index(ContractStage.FEEDBACK):
        deal = deal_attach_file(deal=deal, by=None, kind="proposal", upload=_pdf("kp.pdf"))
        _complete_open(deal, Task.Kind.PROPOSAL)
    if reached >= order.index(ContractStage.CONTRACT):
        workflow.move(deal, ContractStage.CONTRACT, by=None)
    if reached >= order.index(ContractStage.AWAITING_PAYMENT):
        signed = timezone.localdate() - datetime.timedelta(days=10)
        deal = deal_attach_file(deal=deal, by=None, kind="contract", upload=_pdf("dogovor.pdf"))
        deal = deal_update(
            deal=deal, by=None, contract_date=signed, contract_end_date=signed.replace(year=signed.year + 1)
        )
        _complete_open(deal, Task.Kind.CONTRACT)
    if reached >= order.index(ContractStage.PAID):
        deal = deal_update(deal=deal, by=None, payment_received=True)
    if stage == ContractStage.AUDIT:
        workflow.move(deal, ContractStage.AUDIT, by=None)
    if stage == ContractStage.CLOSING_DOCS:
        workflow.move(deal, ContractStage.CLOSING_DOCS, by=None)
    if stage in hold:
        workflow.move(deal, stage, by=None, reason=REASONS[stage])


def seed_deals() -> int:
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "manager2", "sales_head"])}
    created = 0
    for title, company_name, owner, stage, amount, computers, servers, offices in DEALS:
        if Deal.objects.filter(title=title).exists():
            continue
        company = Company.objects.filter(name=company_name).first()
        deal = Deal.objects.create(
            pipeline=DealPipeline.CONTRACT,
            stage=ContractStage.PROPOSAL,
            title=title,
            company=company,
            contact=company.contacts.order_by("pk").first() if company else None,
            responsible=users.get(owner),
            amount=Decimal(amount),
            service_kind="Абонентское обслуживание",
            computers=computers,
            servers=servers,
            offices=offices,
            client_request=title,
        )
        workflow.start(deal, by=None)
        _walk(deal, stage)
        created += 1
    return created
