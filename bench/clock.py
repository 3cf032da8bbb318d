"""How long one clock tick takes when a million actions wait, next to when a thousand do; and how
many actions per second each real handler runs, next to a no-op handler in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/clock.py
    DATABASE_URL=… .venv/bin/python bench/clock.py --only handlers --actions 1000

Handlers: for each registered handler (but the ticket follow-up, which bench/follow_up.py
measures), ``--actions`` targets in the state the handler expects (deals, tickets, tasks, leads,
contracts written in bulk; managers in departments whose heads supervise them), one due action
each, run by ``run_due(batch=500)`` as the beat task runs a tick's batches — timed until those
actions are done (what they schedule for now, such as a new task's notice, is other handlers'
work, drained untimed afterwards); the figure is the best of ``--repeat`` such runs, each on
fresh targets, as actions per second and as a ratio to the no-op handler's rate (``bench.noop``,
the clock's own per-row cost) measured just before. ``--profile`` prints where the time went.

Works in a throwaway database (``<DATABASE_URL's name>_bench_clock``, created from the migrations
and dropped at the end), so it never touches the data behind DATABASE_URL. Each size is timed REPEAT times: the
1,000 due rows are put back to pending and vacuumed between runs, and the fastest run is
reported: on a shared machine it is the one other processes disturbed least.
"""

import argparse
import cProfile
import datetime
import os
import pstats
import sys
import time
from collections import Counter
from decimal import Decimal
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from admin24 import timers, worktime  # noqa: E402
from admin24.models import Department, ScheduledAction, User  # noqa: E402

BIG = 1_000_000
DUE = 1_000
REPEAT = 5
ACTION = "bench.noop"


@timers.handler(ACTION)
def noop(target, action):
    """Nothing: the figure is the clock's own cost (claim, stale check, bookkeeping)."""


def fill(total: int, targets: list[int]) -> None:
    """`total` pending rows; the first DUE are due an hour ago, the rest spread over a year from tomorrow."""
    ScheduledAction.objects.all().delete()
    type_id = ContentType.objects.get_for_model(Department).pk
    first_target, target_count = targets[0], len(targets)
    with connection.cursor() as cursor:
        # Server-side generation: a million rows in seconds, without a round trip per row.
        cursor.execute(
            """
            INSERT INTO admin24_scheduledaction
                (target_type_id, target_id, action, payload, due_at, stage_token, status, attempts,
                 last_error, created_at)
            SELECT %s, %s + (n %% %s), %s, '{}'::jsonb,
                   CASE WHEN n <= %s THEN now() - interval '1 hour' + n * interval '1 ms'
                        ELSE now() + interval '1 day' + (n %% 525600) * interval '1 minute' END,
                   '', 'pending', 0, '', now()
            FROM generate_series(1, %s) AS n
            """,
            [type_id, first_target, target_count, ACTION, DUE, total],
        )
    vacuum()


def vacuum() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE admin24_scheduledaction")


def rewind(due_ids: list[int]) -> None:
    ScheduledAction.objects.filter(pk__in=due_ids).update(status="pending", finished_at=None)
    vacuum()


def time_ticks() -> tuple[float, float, str]:
    due_ids = list(
        ScheduledAction.objects.filter(status="pending", due_at__lte=timezone.now()).values_list("pk", flat=True)
    )
    assert len(due_ids) == DUE, len(due_ids)
    times = []
    for _ in range(REPEAT):
        rewind(due_ids)
        started = time.perf_counter()
        ran = timers.run_due(batch=DUE)
        times.append(time.perf_counter() - started)
        assert ran == DUE, ran
        assert not ScheduledAction.objects.filter(pk__in=due_ids, status="pending").exists()
    rewind(due_ids)
    claim = claim_sql()
    return min(times), time_claim(claim), explain(claim)


def claim_sql() -> str:
    """The claim query exactly as a real tick sends it."""
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        timers.run_due(batch=DUE)
        transaction.set_rollback(True)
    return next(q["sql"] for q in queries if "SKIP LOCKED" in q["sql"])


def time_claim(sql: str) -> float:
    """The claim alone, the one part whose cost could grow with the table: best of 20, rolled back."""
    times = []
    for _ in range(20):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql)
            assert len(cursor.fetchall()) == DUE
            times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return min(times)


def explain(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


# --- each real handler's rate -------------------------------------------------------------------


class Staff:
    """Managers in departments whose heads supervise them, as the reminders' recipients."""

    def __init__(self, count: int = 40):
        self.heads = [
            User.objects.create(username=f"bench-head{n}", email=f"head{n}@bench.example", last_name=f"Head{n}")
            for n in range(count // 4)
        ]
        departments = [
            Department.objects.create(name=f"bench sales {n}", head=head) for n, head in enumerate(self.heads)
        ]
        for head, department in zip(self.heads, departments, strict=True):
            head.department = department
            head.save(update_fields=["department"])
        self.managers = [
            User.objects.create(username=f"bench-manager{n}", email=f"m{n}@bench.example", last_name=f"Manager{n}",
                                department=departments[n % len(departments)])
            for n in range(count)
        ]  # fmt: skip

    def manager(self, n: int):
        return self.managers[n % len(self.managers)]


def _deals(staff, n: int, **fields):
    from crm.models import Company, Deal

    company = Company.objects.create(name="ООО «Бенч»")
    return Deal.objects.bulk_create(
        Deal(title=f"Сделка {i}", responsible=staff.manager(i), company=company, amount=Decimal("15000"),
             period_start=datetime.date(2027, 2, 1), period_end=datetime.date(2027, 2, 28), **fields)
        for i in range(n)
    )  # fmt: skip


def _tickets(staff, n: int, *, due_in=datetime.timedelta(hours=-3), **fields):
    from servicedesk.models import Service, Ticket

    service = Service.objects.get_or_create(name="Бенч")[0]
    start = (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    due = timezone.now() + due_in
    return Ticket.objects.bulk_create(
        Ticket(number=start + i, service=service, subject=f"Заявка {i}", client_email=f"c{i}@client.example",
               assignee=staff.manager(i), reaction_due_at=due, resolution_due_at=due, **fields)
        for i in range(n)
    )  # fmt: skip


def case_feedback(staff, n):
    from crm.models import ContractStage, DealPipeline
    from crm.pipelines.contract import FEEDBACK_REMINDER

    deals = _deals(staff, n, pipeline=DealPipeline.CONTRACT, stage=ContractStage.FEEDBACK)
    return [(d, FEEDBACK_REMINDER, {"to": "supervisor" if i % 2 else "manager"}) for i, d in enumerate(deals)]


def case_payment(staff, n):
    from crm.models import ContractStage, DealPipeline
    from crm.pipelines.contract import PAYMENT_REMINDER

    deals = _deals(staff, n, pipeline=DealPipeline.CONTRACT, stage=ContractStage.AWAITING_PAYMENT)
    return [(d, PAYMENT_REMINDER, {"number": 1}) for d in deals]


def case_unpaid(staff, n):
    from crm.models import DealPipeline, RegularStage
    from crm.pipelines.regular import UNPAID_REMINDER

    deals = _deals(staff, n, pipeline=DealPipeline.REGULAR, stage=RegularStage.INVOICE_SENT)
    return [(d, UNPAID_REMINDER, {"days": 10}) for d in deals]


def case_closing_docs(staff, n):
    from crm.models import DealPipeline, RegularStage
    from crm.pipelines.regular import CLOSING_DOCS_REMINDER

    deals = _deals(staff, n, pipeline=DealPipeline.REGULAR, stage=RegularStage.CLOSING_DOCS)
    return [(d, CLOSING_DOCS_REMINDER, {"days": 20, "to": "supervisor"} if i % 2 else {"days": 5})
            for i, d in enumerate(deals)]  # fmt: skip


def case_act_forming(staff, n):
    from crm.models import DealPipeline, RegularStage
    from crm.pipelines.regular import ACT_FORMING_PAUSE

    deals = _deals(staff, n, pipeline=DealPipeline.REGULAR, stage=RegularStage.INVOICE_PAID, invoice_paid=True)
    return [(d, ACT_FORMING_PAUSE, None) for d in deals]


def case_reaction(staff, n):
    from servicedesk.services import REACTION_BREACH

    return [(t, REACTION_BREACH, None) for t in _tickets(staff, n, status="new")]


def case_resolution(staff, n):
    from servicedesk.services import RESOLUTION_BREACH

    return [(t, RESOLUTION_BREACH, None) for t in _tickets(staff, n, status="in_progress")]


def case_deferred(staff, n):
    from servicedesk.pipeline import DEFERRED_RETURN

    past = timezone.now() - datetime.timedelta(minutes=5)
    # Its deadlines ahead: back in work, it waits for them (the breaches are measured above).
    tickets = _tickets(staff, n, due_in=datetime.timedelta(days=1), status="deferred", deferred_until=past,
                       first_reaction_at=past)  # fmt: skip
    return [(t, DEFERRED_RETURN, None) for t in tickets]


def _tasks(staff, n, **fields):
    from crm.models import Task

    return Task.objects.bulk_create(Task(title=f"Задача {i}", responsible=staff.manager(i), **fields) for i in range(n))


def case_task_assigned(staff, n):
    from crm.services.task_notices import ASSIGNED

    return [(t, ASSIGNED, {"to": t.responsible_id, "by": None}) for t in _tasks(staff, n)]


def case_task_overdue(staff, n):
    from crm.services.task_notices import OVERDUE

    deadline = timezone.now() - datetime.timedelta(minutes=5)
    return [(t, OVERDUE, {"deadline": deadline.isoformat()}) for t in _tasks(staff, n, deadline=deadline)]


def case_callback(staff, n):
    from crm.models import Lead, LeadStage
    from crm.pipelines.leads import CALLBACK_RETURN

    leads = Lead.objects.bulk_create(
        Lead(title=f"Заявка {i}", contact_name="Сидоров", email=f"l{i}@lead.example", stage=LeadStage.NO_ANSWER,
             responsible=staff.manager(i), failed_calls=1)
        for i in range(n)
    )  # fmt: skip
    return [(lead, CALLBACK_RETURN, None) for lead in leads]


def _contracts(staff, n: int, *, signed_on, ends_on):
    from crm.models import Company, Contract

    company = Company.objects.create(name="ООО «Бенч-договор»")
    start = Contract.objects.count()
    return Contract.objects.bulk_create(
        Contract(number=f"bench-{start + i}", company=company, responsible=staff.manager(i), signed_on=signed_on,
                 ends_on=ends_on, monthly_amount=Decimal("15000"))
        for i in range(n)
    )  # fmt: skip


def case_renewal(staff, n):
    """Contracts ending in ten days (their lead time is past): each gets its renewal deal."""
    from crm.models import ContractStage, DealPipeline
    from crm.services.renewal import RENEWAL_DUE

    ends_on = timezone.localdate() + datetime.timedelta(days=10)
    contracts = _contracts(staff, n, signed_on=ends_on - datetime.timedelta(days=364), ends_on=ends_on)
    _won_deals(staff, contracts, pipeline=DealPipeline.CONTRACT, stage=ContractStage.CLOSING_DOCS)
    return [(c, RENEWAL_DUE, {"ends_on": ends_on.isoformat()}) for c in contracts]


def case_next_period(staff, n):
    """Contracts that ended last month, their last month paid: this month's deal is due today."""
    from crm.models import DealPipeline, RegularStage
    from crm.services.billing import NEXT_PERIOD_DUE

    month = timezone.localdate().replace(day=1)
    last_end = month - datetime.timedelta(days=1)
    signed_on = last_end.replace(day=1, year=last_end.year - 1)
    contracts = _contracts(staff, n, signed_on=signed_on, ends_on=last_end)
    deals = _won_deals(staff, contracts, pipeline=DealPipeline.REGULAR, stage=RegularStage.CLOSING_DOCS,
                       period_start=last_end.replace(day=1), period_end=last_end, invoice_paid=True)  # fmt: skip
    return [(c, NEXT_PERIOD_DUE, {"after": d.pk}) for c, d in zip(contracts, deals, strict=True)]


def _won_deals(staff, contracts, **fields):
    from crm.models import Deal

    return Deal.objects.bulk_create(
        Deal(title=f"Договор {c.number}", responsible=c.responsible, company=c.company, contract=c,
             amount=Decimal("15000"), won_at=timezone.now() - datetime.timedelta(days=300), **fields)
        for c in contracts
    )  # fmt: skip


CASES = {
    "feedback reminder": case_feedback,
    "payment reminder": case_payment,
    "unpaid invoice reminder": case_unpaid,
    "closing documents reminder": case_closing_docs,
    "reaction breach": case_reaction,
    "resolution breach": case_resolution,
    "task assigned": case_task_assigned,
    "task overdue": case_task_overdue,
    "deferred ticket's return": case_deferred,
    "lead call-back return": case_callback,
    "act forming pause (→ closing documents)": case_act_forming,
    "renewal due (→ renewal deal)": case_renewal,
    "next period due (→ this month's deal)": case_next_period,
}


def case_noop(staff, n):
    departments = Department.objects.bulk_create(Department(name=f"noop {i}") for i in range(n))
    return [(d, ACTION, None) for d in departments]


def _counted(sent: Counter, execute, sql, params, many, context):
    sent["queries"] += 1
    return execute(sql, params, many, context)


def drain(case, staff, n: int, repeat: int, profile: bool = False) -> tuple[float, Counter, int]:
    """Best of ``repeat``: seconds to drain ``n`` due actions of ``case`` (fresh targets each time),
    the outcomes and the queries sent; with ``profile``, where the last drain's time went."""
    best, tally, queries = float("inf"), Counter(), 0
    for _ in range(repeat):
        planned = case(staff, n)
        timers.schedule_many(
            timers.Timer(target, action, timezone.now(), payload) for target, action, payload in planned
        )
        vacuum()
        now = timezone.now() + datetime.timedelta(seconds=1)
        tally, sent = Counter(), Counter()
        profiler = cProfile.Profile() if profile else None
        # Counted, not captured: CaptureQueriesContext keeps only the last 9,000.
        with connection.execute_wrapper(partial(_counted, sent)):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            # The batches that run this handler's own actions; what they schedule for now (the
            # new tasks' notices, the SLA checks of a ticket back in work) is other handlers' work.
            ran = 0
            while ran < len(planned):
                ran += timers.run_due(now, batch=500, tally=tally)
            if profiler:
                profiler.disable()
            best = min(best, time.perf_counter() - started)
        queries = sent["queries"]
        timers.run_due_until_idle(now, batch=500)
        # What the handlers scheduled for later (the next reminder, the new stage's waits) stays out of the next run.
        ScheduledAction.objects.filter(status="pending").update(status="cancelled")
    if profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return best, tally, queries


def handler_figures(n: int, repeat: int, only: list[str] | None, profile: bool = False) -> None:
    staff = Staff()
    worktime.current_calendar()
    drain(case_noop, staff, 50, 1)  # warm-up: caches, content types, templates
    base, _tally, base_queries = drain(case_noop, staff, n, repeat)
    base_rate = n / base
    print(f"PostgreSQL {connection.pg_version // 10000}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Each handler: {n:,} due actions run by run_due(batch=500) until done, best of {repeat}")
    print(f"  {'no-op handler (baseline)':42} {base_rate:8.0f}/s  ×1.00  {base_queries:5} queries")
    for name, case in CASES.items():
        if only and not any(word in name for word in only):
            continue
        drain(case, staff, 20, 1)  # warm-up of this handler's templates and caches
        best, tally, queries = drain(case, staff, n, repeat, profile)
        rate = n / best
        outcomes = ", ".join(f"{o} {c}" for (a, o), c in sorted(tally.items()) if o != "done")
        print(f"  {name:42} {rate:8.0f}/s  ×{rate / base_rate:.2f}  {queries:5} queries"
              + (f"  (not done: {outcomes})" if outcomes else ""))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["claim", "handlers"], help="one part only (default: both)")
    parser.add_argument("--actions", type=int, default=1000, help="due actions per handler run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--handler", nargs="*", help="only the handlers whose names contain these words")
    parser.add_argument("--profile", action="store_true", help="print where the time of each handler's run goes")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/clock.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    # Named after DATABASE_URL's database, so that sessions sharing the server never drop each other's.
    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench_clock"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if args.only in (None, "claim"):
            claim_figures()
        if args.only in (None, "handlers"):
            ScheduledAction.objects.all().delete()
            handler_figures(args.actions, args.repeat, args.handler, args.profile)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def claim_figures() -> None:
    started = time.perf_counter()
    targets = [d.pk for d in Department.objects.bulk_create(Department(name=f"bench {n}") for n in range(DUE))]

    fill(DUE, targets)
    small, small_claim, small_plan = time_ticks()

    fill(BIG, targets)
    filled = time.perf_counter()
    big, big_claim, big_plan = time_ticks()

    print(f"PostgreSQL {connection.pg_version // 10000}, load average {os.getloadavg()[0]:.1f}")
    print(f"One run_due(batch={DUE}) tick (best of {REPEAT}) and its claim query alone (best of 20):")
    print(f"  {DUE:>9,} pending, {DUE:,} due: tick {small * 1000:8.1f} ms, claim {small_claim * 1000:6.2f} ms")
    print(f"  {BIG:>9,} pending, {DUE:,} due: tick {big * 1000:8.1f} ms, claim {big_claim * 1000:6.2f} ms")
    print(f"  ratio (1M / 1k): tick {big / small:.2f}, claim {big_claim / small_claim:.2f}")
    print(f"  (filling {BIG:,} rows took {filled - started:.1f} s; whole run {time.perf_counter() - started:.1f} s)")
    print(f"\nClaim query plan with {DUE:,} pending:\n{small_plan}")
    print(f"\nClaim query plan with {BIG:,} pending:\n{big_plan}")
    ScheduledAction.objects.all().delete()
    Department.objects.filter(pk__in=targets).delete()


if __name__ == "__main__":
    main()
