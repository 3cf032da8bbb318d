"""The billing list (``/crm/deals/billing/``) as the months of history grow (issue 17).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24_billing .venv/bin/python bench/billing.py \
        [--sizes 12 33] [--runs 20] [--explain] [--keepdb]

``--sizes`` are months of history: 3,000 contracts, each with one «Регулярные платежи» deal per
paid period (a period runs from the contract's payment date to the day before the next one, so it
overlaps two calendar months) — closed periods for every month of history, this month's invoice
sent or paid, next month's being formed. 33 months make about 100,000 deals. Each size adds the
older months to the same contracts, so the pages read the same month's rows at every size; a page
flat in history takes the same time at both sizes ("× history" is its p50 over the first size's).
The list is rendered this month (the default), on its second page, and twelve months back, as an
administrator (all deals) and a sales manager (own: about 1/20), and through the API. See
bench/boardkit.py for how the figures are taken.
"""

import datetime
import random
from decimal import Decimal

import boardkit
from django.db import connection
from django.utils import timezone

from admin24.worktime import add_months
from crm.models import Contract, Deal, DealPipeline
from crm.models.deals import RegularStage

CONTRACTS = 3000
BATCH = 5000


def fill_contracts(companies, contacts, managers) -> list[Contract]:
    have = list(Contract.objects.order_by("pk"))
    if have:
        return have
    rng = random.Random(CONTRACTS)
    today = timezone.localdate()
    rows = [
        Contract(
            number=f"B-{i:05d}",
            company=companies[i % len(companies)],
            responsible=managers[i % len(managers)],
            # Payment dates spread over the month; signed long ago (history is added backwards).
            signed_on=today.replace(day=1) - datetime.timedelta(days=5 * 365 - rng.randint(0, 27)),
            monthly_amount=Decimal(rng.randrange(10_000, 120_000, 1000)),
        )
        for i in range(CONTRACTS)
    ]
    Contract.objects.bulk_create(rows, batch_size=BATCH)
    return list(Contract.objects.select_related("company").order_by("pk"))


def period(contract: Contract, months_back: int) -> tuple[datetime.date, datetime.date]:
    """The paid period ``months_back`` months before the one running today (0 = the current one)."""
    today = timezone.localdate()
    day = contract.signed_on.day
    start = today.replace(day=min(day, 28))
    if start > today:
        start = add_months(start, -1)
    start = add_months(start, -months_back)
    return start, add_months(start, 1) - datetime.timedelta(days=1)


def fill_history(months: int, contracts, contacts, managers) -> None:
    """Periods from ``months`` months back up to next month's, for every contract (only the missing ones)."""
    have = Deal.objects.filter(pipeline=DealPipeline.REGULAR).order_by("period_start").first()
    done_back = -2  # nothing yet: the newest period to add is next month's (-1)
    if have is not None:
        contract = Contract.objects.get(pk=have.contract_id)
        for back in range(-1, 1000):
            if period(contract, back)[0] == have.period_start:
                done_back = back
                break
    rng = random.Random(months)
    now = timezone.now()
    rows = []
    for back in range(done_back + 1, months + 1):
        for i, contract in enumerate(contracts):
            start, end = period(contract, back)
            if back == -1:
                stage, paid, docs = RegularStage.INVOICE_FORMING, False, False
            elif back == 0:
                stage = rng.choice([RegularStage.INVOICE_SENT, RegularStage.INVOICE_PAID])
                paid, docs = stage == RegularStage.INVOICE_PAID, False
            else:
                stage, paid, docs = RegularStage.CLOSING_DOCS, True, True
            deal = Deal(
                pipeline=DealPipeline.REGULAR,
                stage=stage,
                title=f"{contract.company.name}: период с {start:%d.%m.%Y}",
                company=contract.company,
                contact=contacts[i % len(contacts)],
                responsible=managers[i % len(managers)],
                contract=contract,
                amount=contract.monthly_amount,
                period_start=start,
                period_end=end,
                invoice_paid=paid,
                closing_docs_received=docs,
                created_at=now - datetime.timedelta(days=30 * back + 1),
                stage_changed_at=now - datetime.timedelta(days=30 * back),
            )
            deal.refresh_search_text()
            rows.append(deal)
            if len(rows) >= BATCH:
                Deal.objects.bulk_create(rows)
                rows = []
    Deal.objects.bulk_create(rows)


def baseline_rows():
    deals = Deal.objects.select_related("responsible").order_by("-created_at")[:50]
    return [(deal.title, deal.stage, deal.responsible, deal.created_at) for deal in deals]


def body(args) -> None:
    people = boardkit.sales_people()
    admin, managers, companies, contacts = people.admin, people.managers, people.companies, people.contacts
    contracts = fill_contracts(companies, contacts, managers)
    year_ago = add_months(timezone.localdate().replace(day=1), -12)
    pages = [
        ("baseline: 50-row table", "/bench/baseline/"),
        ("this month", "/crm/deals/billing/"),
        ("this month, page 2", "/crm/deals/billing/?page=2"),
        ("12 months back", f"/crm/deals/billing/?month={year_ago:%Y-%m}"),
        ("API, this month", "/api/v1/deals/billing/"),
    ]
    first = {}
    for months in sorted(args.sizes):
        fill_history(months, contracts, contacts, managers)
        boardkit.analyze()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM crm_deal")
            total = cursor.fetchone()[0]
        print(f"\n{months} months of history: {total:,} deals, {len(contracts):,} contracts")
        for who, user in (("administrator", admin), ("manager", managers[0])):
            for label, figure in boardkit.report(args, who, user, pages):
                key = (who, label)
                first.setdefault(key, figure.ms)
                print(f"    {'':13} {label:26} × history {figure.ms / first[key]:5.2f}")


if __name__ == "__main__":
    arguments = boardkit.arguments(__doc__)
    boardkit.baseline_rows = baseline_rows
    boardkit.run(arguments, lambda: body(arguments))
