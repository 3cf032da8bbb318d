"""How long one clock tick takes when a million actions wait, next to when a thousand do.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/clock.py

Works in a throwaway database (``bench_clock``, created from the migrations and dropped at the
end), so it never touches the data behind DATABASE_URL. Each size is timed REPEAT times: the
1,000 due rows are put back to pending and vacuumed between runs, and the fastest run is
reported: on a shared machine it is the one other processes disturbed least.
"""

import os
import sys
import time
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

from admin24 import timers  # noqa: E402
from admin24.models import Department, ScheduledAction  # noqa: E402

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


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/clock.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "bench_clock"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
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
        print(
            f"  (filling {BIG:,} rows took {filled - started:.1f} s; whole run {time.perf_counter() - started:.1f} s)"
        )
        print(f"\nClaim query plan with {DUE:,} pending:\n{small_plan}")
        print(f"\nClaim query plan with {BIG:,} pending:\n{big_plan}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
