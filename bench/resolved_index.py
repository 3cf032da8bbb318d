"""Does a partial ``sd_ticket_resolved`` (``WHERE resolved_at IS NOT NULL``) serve every query that
reads the full one? At --sizes tickets (bench/reports.py's fill: 96 % done, over the last year).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24_bench .venv/bin/python bench/resolved_index.py \
        [--sizes 100000] [--runs 5] [--keepdb]

Renders the pages that filter or sort tickets by ``resolved_at`` — the Service Desk report (30, 90
and 365 days, as an administrator and as an engineer) and "My tickets" — and keeps every query
whose SQL names ``resolved_at``. Each is run with EXPLAIN ANALYZE under the full index, then under
the partial one (dropped and created in place, then put back), and printed with the indexes its
plan uses and its time as a ratio to the full index's.
"""

import datetime
import re
import statistics

import boardkit
import reports
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk.models import Ticket

FULL = "CREATE INDEX sd_ticket_resolved ON servicedesk_ticket (resolved_at)"
PARTIAL = FULL + " WHERE resolved_at IS NOT NULL"


def use_index(ddl: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS sd_ticket_resolved")
        cursor.execute(ddl)
        cursor.execute("ANALYZE servicedesk_ticket")


def plan(sql: str, params, runs: int) -> tuple[float, set[str], str]:
    times, text = [], ""
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
            times.append(float(re.search(r"Execution Time: ([\d.]+)", lines[-1]).group(1)))
            text = "\n        ".join(lines)
    return (
        statistics.median(times),
        set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)", text)),
        text,
    )


def body(args) -> None:
    people = boardkit.desk_people()
    admin, engineers = people.admin, people.engineers
    reports.fill_tickets(max(args.sizes), engineers, people.services, people.companies, [])
    boardkit.analyze()
    today = timezone.localdate()
    span = lambda days: f"?period=custom&date_from={today - datetime.timedelta(days=days)}&date_to={today}"  # noqa: E731
    pages = [
        ("report 30 d", "/servicedesk/reports/"),
        ("report 90 d", "/servicedesk/reports/" + span(90)),
        ("report 365 d", "/servicedesk/reports/" + span(365)),
        ("my tickets", "/servicedesk/my/"),
    ]
    print(f"{Ticket.objects.count():,} tickets, {Ticket.objects.filter(resolved_at__isnull=True).count():,} not done")
    queries = []
    for who, user in (("administrator", admin), ("engineer", engineers[0])):
        client = Client()
        client.force_login(user)
        for label, url in pages:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            for q in captured:
                if "resolved_at" in q["sql"].split(" FROM ", 1)[-1]:
                    queries.append((f"{who}, {label}", q["sql"]))
    seen, unique = set(), []
    for label, sql in queries:
        if sql not in seen:
            seen.add(sql)
            unique.append((label, sql))
    results = {}
    for name, ddl in (("full", FULL), ("partial", PARTIAL)):
        use_index(ddl)
        results[name] = [plan(sql, None, args.runs) for _, sql in unique]
    use_index(FULL)
    for (label, sql), full, partial in zip(unique, results["full"], results["partial"], strict=True):
        print(f"\n{label}: {sql[:160]}…")
        print(f"  full index:    {full[0]:8.1f} ms  uses {sorted(full[1])}")
        print(f"  partial index: {partial[0]:8.1f} ms  uses {sorted(partial[1])}  ×{partial[0] / full[0]:.2f}")
        if "sd_ticket_resolved" in full[1] and "sd_ticket_resolved" not in partial[1]:
            print("  the partial index no longer serves this query; its plan:\n        " + partial[2])


if __name__ == "__main__":
    arguments = boardkit.arguments(__doc__)
    boardkit.run(arguments, lambda: body(arguments))
