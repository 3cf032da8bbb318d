"""Lead and deal board latency and query count at 10,000 and 100,000 cards (DESIGN.md "Benchmarks").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24 .venv/bin/python bench/board.py \
        [--sizes 10000 100000] [--runs 20] [--explain] [--keepdb]

Fills ``size`` leads and ``size`` deals with bulk_create and renders the lead board and the deal
board («Заключение договора») as a sales manager (access "own") and as an administrator (access
"all"). See bench/boardkit.py for how the figures are taken.
"""

import datetime
import random
from decimal import Decimal

import boardkit
from django.utils import timezone

from crm.models import Deal, DealPipeline, Lead, LeadSource, LeadStage, Task
from crm.models.deals import ContractStage, RegularStage

# Stage mix of a lead pipeline after a year: most leads closed, a few hundred in work.
LEAD_STAGES = {
    LeadStage.NEW: 2,
    LeadStage.IN_PROGRESS: 4,
    LeadStage.NO_ANSWER: 2,
    LeadStage.QUALIFIED: 15,
    LeadStage.WRONG_CONTACTS: 10,
    LeadStage.SPAM: 20,
    LeadStage.NOT_PROVIDED: 12,
    LeadStage.UNREACHABLE: 25,
    LeadStage.DUPLICATE: 10,
}
ACTIVE_LEADS = {LeadStage.NEW, LeadStage.IN_PROGRESS, LeadStage.NO_ANSWER}
# Deals: the signing pipeline mostly lost or moved on; the regular one mostly closed periods.
DEAL_STAGES = {
    (DealPipeline.CONTRACT, ContractStage.PROPOSAL): 2,
    (DealPipeline.CONTRACT, ContractStage.FEEDBACK): 2,
    (DealPipeline.CONTRACT, ContractStage.CONTRACT): 1,
    (DealPipeline.CONTRACT, ContractStage.AWAITING_PAYMENT): 1,
    (DealPipeline.CONTRACT, ContractStage.PAID): 1,
    (DealPipeline.CONTRACT, ContractStage.CLOSING_DOCS): 1,
    (DealPipeline.CONTRACT, ContractStage.LOST): 30,
    (DealPipeline.CONTRACT, ContractStage.SUSPENDED): 2,
    (DealPipeline.REGULAR, RegularStage.INVOICE_FORMING): 2,
    (DealPipeline.REGULAR, RegularStage.INVOICE_SENT): 2,
    (DealPipeline.REGULAR, RegularStage.CLOSING_DOCS): 50,
    (DealPipeline.REGULAR, RegularStage.FAILED): 6,
}
CLOSED_DEAL_STAGES = {ContractStage.LOST, ContractStage.SUSPENDED, RegularStage.CLOSING_DOCS, RegularStage.FAILED}
BATCH = 5000
SEARCH = "%D0%BA%D0%BB%D0%98%D0%B5%D0%BD%D1%82%201"  # "клИент 1": lower/upper case mixed on purpose


def fill_leads(total: int, managers, companies) -> None:
    """Add leads (and an open call task for each lead in work) until there are ``total``."""
    rng = random.Random(total)
    stages, weights = zip(*LEAD_STAGES.items(), strict=True)
    now = timezone.now()
    have = Lead.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        leads = []
        for i in range(have, have + size):
            lead = Lead(
                title=f"Заявка №{i}",
                stage=rng.choices(stages, weights)[0],
                source=rng.choice(LeadSource.values),
                responsible=rng.choice(managers),
                company=rng.choice(companies) if i % 3 == 0 else None,
                company_name=f"ООО «Клиент {i}»",
                contact_name="Клиентов Кирилл",
                email=f"client{i}@example.org",
                created_at=now - datetime.timedelta(minutes=i),
            )
            lead.refresh_search_text()  # what save() does; bulk_create skips save()
            leads.append(lead)
        Lead.objects.bulk_create(leads)
        Task.objects.bulk_create(
            Task(
                title="Позвонить клиенту",
                kind=Task.Kind.CALL,
                lead=lead,
                responsible=lead.responsible,
                deadline=now + datetime.timedelta(hours=rng.randint(-48, 96)),
            )
            for lead in leads
            if lead.stage in ACTIVE_LEADS
        )
        have += size


def fill_deals(total: int, managers, companies, contacts) -> None:
    """Add deals (an open task for each deal in work) until there are ``total``."""
    rng = random.Random(-total)
    stages, weights = zip(*DEAL_STAGES.items(), strict=True)
    now = timezone.now()
    have = Deal.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        deals = []
        for i in range(have, have + size):
            pipeline, stage = rng.choices(stages, weights)[0]
            company = companies[i % len(companies)]
            deal = Deal(
                pipeline=pipeline,
                stage=stage,
                title=f"Абонентское обслуживание, клиент {i}",
                company=company,
                contact=contacts[i % len(contacts)],
                responsible=rng.choice(managers),
                amount=Decimal(rng.randrange(20_000, 300_000, 1000)),
                client_request="Не работает почта, нужен аудит",
                created_at=now - datetime.timedelta(minutes=i),
            )
            deal.refresh_search_text()  # what save() does; bulk_create skips save()
            deals.append(deal)
        Deal.objects.bulk_create(deals)
        Task.objects.bulk_create(
            Task(
                title="Связаться с клиентом",
                deal=deal,
                responsible=deal.responsible,
                deadline=now + datetime.timedelta(hours=rng.randint(-48, 96)),
            )
            for deal in deals
            if deal.stage not in CLOSED_DEAL_STAGES
        )
        have += size


def body(args) -> None:
    people = boardkit.sales_people()
    admin, managers, companies, contacts = people.admin, people.managers, people.companies, people.contacts
    boards = {
        "lead board": [
            ("board (in work)", "/crm/leads/"),
            ("board (all stages)", "/crm/leads/?closed=1"),
            ("board, search", f"/crm/leads/?closed=1&q={SEARCH}"),
            ("list, page 1", "/crm/leads/list/?closed=1"),
            ("list, search", f"/crm/leads/list/?closed=1&q={SEARCH}"),
        ],
        "deal board": [
            ("board (in work)", "/crm/deals/"),
            ("board (all stages)", "/crm/deals/?closed=1"),
            ("board, search", f"/crm/deals/?closed=1&q={SEARCH}"),
            ("list, page 1", "/crm/deals/list/?closed=1"),
            ("regular, all stages", "/crm/deals/regular/?closed=1"),
        ],
    }
    for size in sorted(args.sizes):
        fill_leads(size, managers, companies)
        fill_deals(size, managers, companies, contacts)
        boardkit.analyze()
        for name, pages in boards.items():
            print(f"\n{size:,} leads and {size:,} deals: {name}")
            for who, user in (("manager", managers[0]), ("administrator", admin)):
                boardkit.report(args, who, user, [("baseline: 50-row table", "/bench/baseline/"), *pages])


def baseline_rows():
    leads = Lead.objects.select_related("responsible").order_by("-created_at")[:50]
    return [(lead.title, lead.get_stage_display(), lead.responsible, lead.created_at) for lead in leads]


if __name__ == "__main__":
    arguments = boardkit.arguments(__doc__)
    boardkit.baseline_rows = baseline_rows
    boardkit.run(arguments, lambda: body(arguments))
