"""Ticket board latency and query count at 10,000 and 100,000 tickets (DESIGN.md "Benchmarks").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24 .venv/bin/python bench/ticket_board.py \
        [--sizes 10000 100000] [--runs 20] [--explain] [--keepdb]

Fills tickets with bulk_create (96 % done, 1 % new, 2 % in progress, 1 % deferred; 15 support
engineers, 8 services, 500 companies) and renders the pages as a support engineer, who reads
every ticket. See bench/boardkit.py for how the figures are taken.
"""

import datetime
import random

import boardkit
from django.utils import timezone

from admin24.roles import Role
from servicedesk.models import Service, Ticket, TicketSource, TicketStatus

# A desk after a year or two: nearly everything done, a few hundred tickets in work.
STATUS_WEIGHTS = {TicketStatus.NEW: 1, TicketStatus.IN_PROGRESS: 2, TicketStatus.DEFERRED: 1, TicketStatus.DONE: 96}
BATCH = 5000
SEARCH = "%D0%BA%D0%9E%D0%BC%D0%BF%D0%B0%D0%BD%D0%B8%D1%8F%2017"  # "кОмпания 17": case mixed on purpose


def fill(total: int, engineers, services, companies) -> None:
    """Add tickets until there are ``total``; tickets in work have deadlines around now, some past."""
    rng = random.Random(total)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    now = timezone.now()
    have = Ticket.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        rows = []
        for number in range(have + 1, have + size + 1):
            status = rng.choices(statuses, weights)[0]
            created = now - datetime.timedelta(minutes=7 * number)
            due = now + datetime.timedelta(hours=rng.randint(-24, 72)) if status != TicketStatus.DONE else created
            company = rng.choice(companies) if number % 2 == 0 else None
            ticket = Ticket(
                number=number,
                service=rng.choice(services),
                subject=f"Заявка {number}: не работает почта",
                client_name="Клиентов Кирилл",
                client_email=f"client{number}@example.org",
                client_company=company.name if company else f"ООО «Клиент {number}»",
                company=company,
                assignee=rng.choice(engineers),
                status=status,
                source=rng.choice(TicketSource.values),
                created_at=created,
                stage_changed_at=created,
                reaction_due_at=due,
                resolution_due_at=due,
                first_reaction_at=created if status != TicketStatus.NEW else None,
                resolved_at=created if status == TicketStatus.DONE else None,
            )
            ticket.refresh_search_text()  # what save() does; bulk_create skips save()
            rows.append(ticket)
        Ticket.objects.bulk_create(rows)
        have += size


def body(args) -> None:
    engineers = boardkit.staff(
        Role.SUPPORT_ENGINEER,
        15,
        username="bench-engineer",
        last_name="Инженеров",
        first_name="Игорь",
        department="Служба поддержки (бенчмарк)",
    )
    services = list(Service.objects.all()[:8]) or Service.objects.bulk_create(
        Service(name=f"Услуга {i}", responsible=engineers[i]) for i in range(8)
    )
    companies = boardkit.bench_companies()
    pages = [
        ("baseline: 50-row table", "/bench/baseline/"),
        ("board (in work)", "/servicedesk/"),
        ("board (all statuses)", "/servicedesk/?status=all"),
        ("board, search", f"/servicedesk/?status=all&q={SEARCH}"),
        ("board, overdue", "/servicedesk/?status=all&overdue=1"),
        ("board, mine", "/servicedesk/?scope=mine"),
        ("list, page 1", "/servicedesk/list/?status=all"),
        ("list, search", f"/servicedesk/list/?status=all&q={SEARCH}"),
        ("my tickets", "/servicedesk/my/"),
    ]
    for size in sorted(args.sizes):
        fill(size, engineers, services, companies)
        boardkit.analyze()
        in_work = Ticket.objects.filter(status__in=[TicketStatus.NEW, TicketStatus.IN_PROGRESS]).count()
        print(f"\n{size:,} tickets, {in_work:,} in work")
        boardkit.report(args, "engineer", engineers[0], pages)


def baseline_rows():
    tickets = Ticket.objects.select_related("assignee").order_by("-created_at")[:50]
    return [(t.display_number, t.subject, t.get_status_display(), t.assignee, t.created_at) for t in tickets]


if __name__ == "__main__":
    arguments = boardkit.arguments(__doc__)
    boardkit.baseline_rows = baseline_rows
    boardkit.run(arguments, lambda: body(arguments))
