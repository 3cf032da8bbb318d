"""Issue 17's Service Desk rows at a million tickets: "my tickets", the overdue filter, the CSV
export of 100,000 tickets and the SLA breach handler's rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/a24_speed .venv/bin/python bench/desk_speed.py \\
        --sizes 1000000 --runs 5 --keepdb

A throw-away ``test_<name>`` database (``bench/boardkit.py``), the tickets written by one
``INSERT … SELECT generate_series`` (96 % done, 4 % open and created in the last 17 hours, 15
engineers), then ``VACUUM ANALYZE``. Each figure is given as a ratio to a baseline measured in
the same run:

* pages: p50 of ``--runs`` signed-in requests, over the boards' 50-row table view;
* CSV: the export of 100,000 tickets through the ticket board's ``csv_lines`` (PostgreSQL's
  ``COPY … TO STDOUT``), over its Python path (``python_csv_lines``, ``values_list``) and over the
  generic per-field export (``csv_rows``, what it was first) of the same rows;
* clock: reaction breaches per second in ``run_due(batch=500)`` ticks, over a no-op handler's.
"""

import resource
import time
from collections import Counter

import boardkit
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from admin24 import timers
from admin24.boards.export import csv_rows
from admin24.models import ScheduledAction
from admin24.roles import Role
from servicedesk.boards import ticket_board
from servicedesk.models import Service, Ticket
from servicedesk.services import REACTION_BREACH

NOOP = "bench.desk.noop"
BREACHES = 2000


@timers.handler(NOOP)
def noop(target, action):
    """The clock's own cost per action."""


def fill(size: int, engineers: list) -> None:
    if Ticket.objects.count() >= size:
        return
    Ticket.objects.all().delete()
    service = Service.objects.create(name="Обслуживание")
    ids = "{" + ",".join(str(user.pk) for user in engineers) + "}"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicedesk_ticket (
                search_text, number, service_id, subject, description, client_name, client_email,
                client_email_normalized, client_phone, client_company, assignee_id, status,
                stage_entry_count, stage_changed_at, closing_reason, closing_reason_message, reaction_due_at,
                resolution_due_at,
                first_reaction_at, resolved_at, reaction_breached, resolution_breached,
                reaction_work_seconds, resolution_work_seconds, source, client_token, created_at, updated_at)
            SELECT lower('#' || i || ' заявка ' || i || ' клиент ' || i), i, %s, 'Заявка ' || i, '',
                'Клиент ' || i, 'c' || (i %% 5000) || '@client.ru', 'c' || (i %% 5000) || '@client.ru', '',
                'ООО «Компания ' || (i %% 500) || '»', (%s::int[])[1 + i %% 15], st, 1, created, '', '{}',
                created + interval '2 hours', created + interval '8 hours',
                CASE WHEN st = 'done' THEN created + interval '1 hour' END,
                CASE WHEN st = 'done' THEN created + interval '4 hours' END, false, false,
                NULL, NULL, 'form', md5(i::text), created, created
            FROM (
                SELECT i,
                    CASE WHEN i %% 100 < 96 THEN 'done' WHEN i %% 100 = 96 THEN 'new'
                         WHEN i %% 100 = 99 THEN 'deferred' ELSE 'in_progress' END AS st,
                    CASE WHEN i %% 100 < 96 THEN now() - (i * interval '30 seconds')
                         ELSE now() - ((i %% 1000) * interval '1 minute') END AS created
                FROM generate_series(1, %s) AS i
            ) AS rows
            """,
            [service.pk, ids, size],
        )
        cursor.execute("SELECT setval('servicedesk_ticket_number_seq', %s)", [size])
    boardkit.analyze()


def csv_figures(runs: int) -> None:
    rows = Ticket.objects.order_by("-created_at", "-id")
    last = rows.values_list("created_at", flat=True)[99_999]
    hundred_k = rows.filter(created_at__gte=last)

    def timed(lines) -> tuple[float, int, int]:
        # Resident memory: the peak of the process grows only if an export holds its rows.
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        count = sum(chunk.count(b"\n" if isinstance(chunk, bytes) else "\n") for chunk in lines)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        return time.perf_counter() - started, count, grown * 1024

    with transaction.atomic():  # a server-side cursor, as under the view's streaming response
        copy = min(timed(ticket_board.csv_lines(hundred_k)) for _ in range(runs))
        python = min(timed(ticket_board.python_csv_lines(hundred_k)) for _ in range(runs))
        old = timed(csv_rows(ticket_board.csv_fields, ticket_board.with_card_fields(hundred_k)))
    print(
        f"  CSV of {copy[1] - 1:,} tickets: COPY {copy[0]:.2f} s (peak RSS +{copy[2] / 1e6:.1f} MB), "
        f"values_list baseline {python[0]:.2f} s (+{python[2] / 1e6:.1f} MB): ×{copy[0] / python[0]:.2f}; "
        f"per-field export {old[0]:.2f} s (+{old[2] / 1e6:.1f} MB): ×{copy[0] / old[0]:.2f}",
        flush=True,
    )


def clock_figures() -> None:
    open_tickets = list(Ticket.objects.exclude(status="done").order_by("pk").values_list("pk", flat=True)[:BREACHES])
    now = timezone.now()
    with transaction.atomic():
        Ticket.objects.filter(pk__in=open_tickets).update(reaction_breached=False, first_reaction_at=None)
    rates = {}
    for action, model in ((NOOP, Ticket), (REACTION_BREACH, Ticket)):
        target_type = ContentType.objects.get_for_model(model)
        tokens = dict(Ticket.objects.filter(pk__in=open_tickets).values_list("pk", "status"))
        ScheduledAction.objects.bulk_create(
            ScheduledAction(
                target_type=target_type, target_id=pk, action=action, due_at=now, stage_token=f"{tokens[pk]}:1"
            )
            for pk in open_tickets
        )
        started = time.perf_counter()
        ran = 0
        while True:
            taken = timers.run_due(now, batch=500)
            ran += taken
            if not taken:
                break
        rates[action] = ran / (time.perf_counter() - started)
        assert ran == len(open_tickets), (action, ran)
    breached = Ticket.objects.filter(pk__in=open_tickets, reaction_breached=True).count()
    print(
        f"  clock, {len(open_tickets):,} actions: reaction breach {rates[REACTION_BREACH]:.0f}/s "
        f"({breached:,} flagged), no-op baseline {rates[NOOP]:.0f}/s: ×{rates[REACTION_BREACH] / rates[NOOP]:.2f}",
        flush=True,
    )


def main() -> None:
    args = boardkit.arguments(__doc__)

    def body():
        engineers = boardkit.staff(
            Role.SUPPORT_ENGINEER, 15, username="eng", last_name="Инженер", first_name="Иван", department="Поддержка"
        )
        boardkit.baseline_rows = lambda: Ticket.objects.values_list("number", "subject", "status")[:50]
        for size in args.sizes:
            started = time.perf_counter()
            fill(size, engineers)
            print(f"{Ticket.objects.count():,} tickets (filled in {time.perf_counter() - started:.0f} s)")
            # "My tickets" as the engineer with the most open tickets (the fill leaves a few with none).
            counts = Counter(Ticket.objects.open().values_list("assignee_id", flat=True))
            busiest = max(engineers, key=lambda user: counts[user.pk])
            print(f"  {busiest.username}: {counts[busiest.pk]:,} open tickets")
            boardkit.report(
                args,
                "engineer",
                busiest,
                [
                    ("baseline: 50-row table", "/bench/baseline/"),
                    ("my tickets", "/servicedesk/my/"),
                    ("board, overdue", "/servicedesk/?status=all&overdue=1"),
                    ("board, all statuses", "/servicedesk/?status=all"),
                    ("list, all statuses", "/servicedesk/list/?status=all"),
                ],
            )
            csv_figures(1)
            clock_figures()

    boardkit.run(args, body)


if __name__ == "__main__":
    main()
