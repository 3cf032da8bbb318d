"""The CRM's last months for `seed_demo`, so that every report chart shows something on a fresh
`make run`: leads received over four months and how they ended, «Заключение договора» deals with
their moves, and contracts signed over the year with their monthly invoices — one of them unpaid
for 25 days, so that the client's tickets show «просрочена оплата».

Rows are written as they would be after the fact (the robots' work is long done), with a fixed
random seed. Idempotent: nothing is added when the history's marker company exists.
"""

import datetime
import itertools
import random
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from admin24.models import Activity, User
from admin24.worktime import add_months

from ..models import (
    Company,
    Contact,
    Contract,
    ContractStage,
    Deal,
    DealPipeline,
    Lead,
    LeadSource,
    LeadStage,
    LostReason,
    RegularStage,
)
from ..services.directory import company_create, contact_create

MARKER = "ООО «Альфа Сервис»"
SEED = 16
LEADS = 160
DEALS = 36
DAYS = 120

# name, months ago signed, months it ran (None: still running), monthly amount, service level (reaction h, resolution h)
CLIENTS = [
    (MARKER, 11, None, 45000, (1, 6)),
    ("ООО «Берёзка»", 9, None, 28000, None),
    ("ЗАО «Север»", 8, 6, 32000, None),
    ("ООО «Дельта Принт»", 5, None, 19000, (2, 12)),
]
LEAD_OUTCOMES = {
    LeadStage.QUALIFIED: 22,
    LeadStage.WRONG_CONTACTS: 10,
    LeadStage.SPAM: 16,
    LeadStage.NOT_PROVIDED: 12,
    LeadStage.UNREACHABLE: 14,
    LeadStage.DUPLICATE: 6,
}
REASONS = ["Дорого", "Выбрали другого подрядчика", "Решили обходиться своими силами"]
CONTRACT_PATH = [
    ContractStage.PROPOSAL,
    ContractStage.FEEDBACK,
    ContractStage.CONTRACT,
    ContractStage.AWAITING_PAYMENT,
    ContractStage.PAID,
    ContractStage.CLOSING_DOCS,
]


def seed_history() -> str:
    users = list(User.objects.filter(username__in=["manager", "manager2", "sales_head"]).order_by("username"))
    if len(users) < 3 or Company.objects.filter(name=MARKER).exists():
        return ""
    rng = random.Random(SEED)
    now = timezone.now()
    contracts = _contracts(rng, users, now)
    leads = _leads(rng, users, now)
    deals = _deals(rng, users, now)
    return f"{contracts} contracts with their invoices, {leads} leads, {deals} deals over the last months"


def _contracts(rng: random.Random, users, now) -> int:
    today = timezone.localdate(now)
    for index, (name, months_ago, months_run, amount, level) in enumerate(CLIENTS):
        owner = users[index % len(users)]
        company = company_create(by=None, name=name, responsible=owner)
        contact = contact_create(
            by=None, full_name=f"Директор {name}", company=company, emails=[f"director{index}@history.example"]
        )
        signed = add_months(today, -months_ago) - datetime.timedelta(days=rng.randint(0, 20))
        contract = Contract.objects.create(
            number=f"{signed:%Y}-H{index + 1:04d}",
            company=company,
            contact=contact,
            responsible=owner,
            signed_on=signed,
            ends_on=add_months(signed, months_run) - datetime.timedelta(days=1)
            if months_run
            else add_months(signed, 24),
            monthly_amount=Decimal(amount),
            reaction_time=datetime.timedelta(hours=level[0]) if level else None,
            resolution_time=datetime.timedelta(hours=level[1]) if level else None,
            included_hours=20 if level else None,
        )
        _periods(contract, owner, today)
    _owing_client(now)
    return len(CLIENTS)


def _periods(contract: Contract, owner, today: datetime.date) -> None:
    """A regular deal per month of the contract up to now: paid and closed, the current one sent."""
    rows = []
    month = 1
    while True:
        start = add_months(contract.signed_on, month)
        if start > today or (contract.ends_on and start > contract.ends_on):
            break
        end = add_months(contract.signed_on, month + 1) - datetime.timedelta(days=1)
        sent_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time(11)))
        current = add_months(start, 1) > today
        rows.append(
            Deal(
                pipeline=DealPipeline.REGULAR,
                stage=RegularStage.INVOICE_SENT if current else RegularStage.CLOSING_DOCS,
                title=f"{contract.company.name}: {start:%m.%Y}",
                company=contract.company,
                contact=contract.contact,
                responsible=owner,
                contract=contract,
                amount=contract.monthly_amount,
                period_start=start,
                period_end=end,
                invoice_number=f"{contract.number}-{month}",
                invoice_paid=not current,
                closing_docs_received=not current and end < today,
                created_at=sent_at,
                stage_changed_at=sent_at,
            )
        )
        month += 1
    for deal in rows:
        deal.refresh_search_text()
    Deal.objects.bulk_create(rows)


def _owing_client(now) -> None:
    """ООО «Нева Логистик» has an invoice sent 25 days ago and still unpaid."""
    company = Company.objects.filter(name="ООО «Нева Логистик»").first()
    contract = Contract.objects.filter(company=company).order_by("signed_on").first() if company else None
    if contract is None:
        return
    sent = now - datetime.timedelta(days=25)
    start = timezone.localdate(sent) - datetime.timedelta(days=40)
    deal = Deal(
        pipeline=DealPipeline.REGULAR,
        stage=RegularStage.INVOICE_SENT,
        title=f"{company.name}: {start:%m.%Y}",
        company=company,
        contact=Contact.objects.filter(company=company).first(),
        responsible=contract.responsible,
        contract=contract,
        amount=contract.monthly_amount,
        period_start=start,
        period_end=start + datetime.timedelta(days=29),
        invoice_number=f"{contract.number}-0",
        created_at=sent,
        stage_changed_at=sent,
    )
    deal.refresh_search_text()
    deal.save(force_insert=True)


def _leads(rng: random.Random, users, now) -> int:
    outcomes, weights = zip(*LEAD_OUTCOMES.items(), strict=True)
    rows = []
    for index in range(LEADS):
        stage = rng.choices(outcomes, weights)[0]
        source = rng.choice(LeadSource.values)
        ladder = source != LeadSource.PHONE
        calls = 5 if stage == LeadStage.UNREACHABLE else (rng.choice([0, 0, 0, 1, 1, 2, 3, 4]) if ladder else 0)
        created = now - datetime.timedelta(days=rng.uniform(1, DAYS))
        lead = Lead(
            title=f"Заявка с сайта №{1000 + index}" if source == LeadSource.WEB_FORM else f"Обращение №{1000 + index}",
            source=source,
            stage=LeadStage.UNREACHABLE if stage == LeadStage.UNREACHABLE and not ladder else stage,
            responsible=users[index % len(users)],
            contact_name=f"Клиент {index}",
            email=f"lead{index}@history.example",
            company_name=f"ООО «Клиент {index}»",
            failed_calls=calls,
            created_at=created,
            stage_changed_at=created + datetime.timedelta(hours=rng.randint(1, 72)),
            callbacks_from=created,
        )
        lead.refresh_search_text()
        rows.append(lead)
    Lead.objects.bulk_create(rows)
    return len(rows)


def _deals(rng: random.Random, users, now) -> int:
    reasons = [LostReason.objects.get_or_create(name=name)[0] for name in REASONS]
    deal_type = ContentType.objects.get_for_model(Deal)
    for index in range(DEALS):
        created = now - datetime.timedelta(days=rng.uniform(5, DAYS))
        outcome = rng.choices(["won", "lost", "open"], [4, 5, 2])[0]
        forward = list(itertools.pairwise(CONTRACT_PATH))
        if outcome == "won":
            steps, stage = (
                [*forward, (ContractStage.CLOSING_DOCS, RegularStage.INVOICE_FORMING)],
                RegularStage.CLOSING_DOCS,
            )
        elif outcome == "lost":
            reached = rng.randint(0, 2)
            steps, stage = [*forward[:reached], (CONTRACT_PATH[reached], ContractStage.LOST)], ContractStage.LOST
        else:
            reached = rng.randint(1, 3)
            steps, stage = forward[:reached], CONTRACT_PATH[reached]
        moments = [created]
        for _step in steps:
            moments.append(min(moments[-1] + datetime.timedelta(days=rng.uniform(0.5, 9)), now))
        deal = Deal(
            pipeline=DealPipeline.REGULAR if outcome == "won" else DealPipeline.CONTRACT,
            stage=stage,
            title=f"Абонентское обслуживание: клиент {index + 1}",
            responsible=users[index % len(users)],
            amount=Decimal(rng.choice([15000, 20000, 25000, 30000, 40000])),
            service_kind="Абонентское обслуживание",
            lost_reason=rng.choice(reasons) if outcome == "lost" else None,
            closing_reason="Клиент отказался" if outcome == "lost" else "",
            won_at=moments[-1] if outcome == "won" else None,
            invoice_paid=outcome == "won",
            closing_docs_received=outcome == "won",
            created_at=created,
            stage_changed_at=moments[-1],
        )
        deal.refresh_search_text()
        deal.save(force_insert=True)
        for (source, target), (entered, moment) in zip(steps, itertools.pairwise(moments), strict=True):
            entry = Activity.objects.create(
                target_type=deal_type,
                target_id=deal.pk,
                verb=Activity.Verb.MOVED,
                data={"from": source, "to": target},
                stay_seconds=(moment - entered).total_seconds(),
            )
            Activity.objects.filter(pk=entry.pk).update(created_at=moment)
    return DEALS
