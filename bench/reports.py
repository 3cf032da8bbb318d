"""Report pages' latency and query count at 100,000 tickets, leads and deals (issue 16 §5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24_reports .venv/bin/python bench/reports.py \
        [--sizes 100000] [--runs 20] [--explain] [--keepdb]

Fills, with bulk_create: ``size`` tickets over the last year (96 % done, reaction and resolution
working times stored as the pipeline stores them, a third of them under one of 3,000 contracts);
the done ones with logged minutes, half the contracts including 10 support hours a month;
``size`` leads and ``size`` deals as bench/board.py fills them (over the last ~70 days), the
«Заключение договора» deals with one logged move each, and the «Регулярные платежи» deals made
the paid periods of 3,000 contracts. Then renders the Service Desk report and the three CRM
report pages as an administrator (access "all"), a sales manager (own: about 1/20 of the CRM
rows) and a support engineer. See bench/boardkit.py for how the figures are taken.
"""

import datetime
import random
from decimal import Decimal

import board
import boardkit
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from admin24.models import Activity
from crm.models import Contact, Contract, Deal, DealPipeline
from servicedesk.models import Ticket, TicketSource, TicketStatus

CONTRACTS = 3000
BATCH = 5000
STATUS_WEIGHTS = {TicketStatus.NEW: 1, TicketStatus.IN_PROGRESS: 2, TicketStatus.DEFERRED: 1, TicketStatus.DONE: 96}


def fill_contracts(companies, managers) -> list[Contract]:
    have = list(Contract.objects.order_by("pk"))
    if len(have) >= CONTRACTS:
        return have
    rng = random.Random(CONTRACTS)
    today = timezone.localdate()
    rows = []
    for i in range(len(have), CONTRACTS):
        signed = today - datetime.timedelta(days=rng.randint(30, 720))
        rows.append(
            Contract(
                number=f"B-{i:05d}",
                company=companies[i % len(companies)],
                responsible=managers[i % len(managers)],
                signed_on=signed,
                ends_on=signed + datetime.timedelta(days=rng.choice([365, 730])) if i % 4 else None,
                monthly_amount=Decimal(rng.randrange(10_000, 120_000, 1000)),
                reaction_time=datetime.timedelta(hours=1) if i % 5 == 0 else None,
            )
        )
    Contract.objects.bulk_create(rows, batch_size=BATCH)
    return list(Contract.objects.order_by("pk"))


def fill_tickets(total: int, engineers, services, companies, contracts) -> None:
    rng = random.Random(total)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    now = timezone.now()
    by_company = {}
    for contract in contracts:
        by_company.setdefault(contract.company_id, contract)
    have = Ticket.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        rows = []
        for number in range(have + 1, have + size + 1):
            status = rng.choices(statuses, weights)[0]
            created = now - datetime.timedelta(minutes=5 * number)
            company = companies[number % len(companies)] if number % 2 == 0 else None
            reaction = rng.randint(60, 4 * 3600)
            resolution = reaction + rng.randint(600, 30 * 3600)
            started = status != TicketStatus.NEW
            done = status == TicketStatus.DONE
            ticket = Ticket(
                number=number,
                service=rng.choice(services),
                subject=f"Заявка {number}: не работает почта",
                client_name="Клиентов Кирилл",
                client_email=f"client{number}@example.org",
                client_company=company.name if company else f"ООО «Клиент {number}»",
                company=company,
                contract=by_company.get(company.pk) if company and number % 3 == 0 else None,
                assignee=rng.choice(engineers),
                status=status,
                source=rng.choice(TicketSource.values),
                created_at=created,
                stage_changed_at=created,
                reaction_due_at=created + datetime.timedelta(hours=2),
                resolution_due_at=created + datetime.timedelta(hours=16),
                first_reaction_at=created + datetime.timedelta(seconds=reaction) if started else None,
                resolved_at=created + datetime.timedelta(seconds=resolution) if done else None,
                reaction_work_seconds=reaction if started else None,
                resolution_work_seconds=resolution if done else None,
            )
            ticket.refresh_search_text()
            rows.append(ticket)
        Ticket.objects.bulk_create(rows)
        have += size


def periods_and_moves(contracts) -> None:
    """The regular deals become paid periods of the contracts; each signing deal gets one move."""
    with connection.cursor() as cursor:
        # The k-th regular deal is month k // C + 1 of contract k % C: (contract, period start) stays unique.
        cursor.execute(
            "UPDATE crm_deal d SET contract_id = c.id, "
            "period_start = (c.signed_on + (r.k / %(n)s + 1) * interval '1 month')::date, "
            "period_end = (c.signed_on + (r.k / %(n)s + 2) * interval '1 month')::date - 1, "
            "invoice_paid = (d.stage = 'closing_docs') "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM crm_deal "
            "      WHERE pipeline = 'regular' AND contract_id IS NULL) r "
            "JOIN (SELECT id, signed_on, row_number() OVER (ORDER BY id) - 1 AS j FROM crm_contract) c "
            "  ON c.j = r.k %% %(n)s "
            "WHERE d.id = r.id",
            {"n": len(contracts)},
        )
    deal_type = ContentType.objects.get_for_model(Deal)
    if Activity.objects.filter(target_type=deal_type).exists():
        return
    signing = Deal.objects.filter(pipeline=DealPipeline.CONTRACT).exclude(stage="proposal").values_list("pk", "stage")
    rows = [
        Activity(target_type=deal_type, target_id=pk, verb=Activity.Verb.MOVED, data={"from": "proposal", "to": stage})
        for pk, stage in signing
    ]
    Activity.objects.bulk_create(rows, batch_size=BATCH)
    with connection.cursor() as cursor:
        # The move a few days after the deal's creation (auto_now_add wrote "now"), and that stay's
        # length stored on it as the pipeline engine stores it.
        cursor.execute(
            "UPDATE crm_activity SET created_at = d.created_at + (crm_activity.id %% 9 + 1) * interval '1 day', "
            "stay_seconds = (crm_activity.id %% 9 + 1) * 86400 "
            "FROM crm_deal d WHERE crm_activity.target_type_id = %s AND d.id = crm_activity.target_id",
            [deal_type.pk],
        )


def support_hours() -> None:
    """Half the contracts include 10 support hours a month; every done ticket logged 5–120 minutes
    (idempotent: a kept database is filled once)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE crm_contract SET included_hours = 10 WHERE id % 2 = 0 AND included_hours IS NULL")
        cursor.execute(
            "UPDATE servicedesk_ticket SET spent_minutes = 5 + number % 116 "
            "WHERE status = 'done' AND spent_minutes IS NULL"
        )


def body(args) -> None:
    people = boardkit.desk_people()
    admin, engineers, companies, services = people.admin, people.engineers, people.companies, people.services
    managers = boardkit.sales_managers()
    contacts = list(Contact.objects.order_by("pk")[:500]) or Contact.objects.bulk_create(
        Contact(full_name=f"Клиентов Кирилл {i}", company=companies[i]) for i in range(500)
    )
    today = timezone.localdate()
    quarter = f"period=custom&date_from={today - datetime.timedelta(days=90)}&date_to={today}"
    year = f"period=custom&date_from={today - datetime.timedelta(days=365)}&date_to={today}"
    pages = {
        "Service Desk report": [
            ("last 30 days", "/servicedesk/reports/"),
            ("last 90 days", f"/servicedesk/reports/?{quarter}"),
            ("last 365 days", f"/servicedesk/reports/?{year}"),
            ("CSV of one table", "/servicedesk/reports/?csv=sla_by_engineer"),
        ],
        "CRM reports": [
            ("leads, last 30 days", "/crm/reports/"),
            ("leads, last 90 days", f"/crm/reports/?{quarter}"),
            ("deals, last 30 days", "/crm/reports/deals/"),
            ("deals, last 90 days", f"/crm/reports/deals/?{quarter}"),
            ("regular payments", "/crm/reports/regular/"),
        ],
    }
    for size in sorted(args.sizes):
        contracts = fill_contracts(companies, managers)
        fill_tickets(size, engineers, services, companies, contracts)
        board.fill_leads(size, managers, companies)
        board.fill_deals(size, managers, companies, contacts)
        periods_and_moves(contracts)
        support_hours()
        boardkit.analyze()
        print(
            f"\n{Ticket.objects.count():,} tickets, {board.Lead.objects.count():,} leads, {Deal.objects.count():,} "
            f"deals, {Contract.objects.count():,} contracts, {Activity.objects.count():,} logged moves"
        )
        baseline = ("baseline: 50-row table", "/bench/baseline/")
        print("\nService Desk report")
        for who, user in (("engineer", engineers[0]), ("administrator", admin)):
            boardkit.report(args, who, user, [baseline, *pages["Service Desk report"]])
        print("\nCRM reports")
        for who, user in (("manager", managers[0]), ("administrator", admin)):
            boardkit.report(args, who, user, [baseline, *pages["CRM reports"]])


if __name__ == "__main__":
    arguments = boardkit.arguments(__doc__)
    boardkit.baseline_rows = board.baseline_rows
    boardkit.run(arguments, lambda: body(arguments))
