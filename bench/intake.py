"""Public form intake throughput against a bare-Django floor, through gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/intake.py [--seconds 10] [--connections 8] [--rounds 4]

It creates a throw-away database ``bench_intake`` on the server of DATABASE_URL (dropped at the
end), migrates it, and starts gunicorn (4 sync workers, the app's settings plus
``bench/intake_settings.py``: the floor view's URL and rate limits raised). ``wrk`` then posts
for --seconds at a time, alternately:

* the floor: ``/bench/floor/``, a view that validates a 4-field Django form and inserts one row;
* the intake: the real public form (``/desk/form/<key>/``), every request a complete valid
  submission — service, name, email, phone, company, subject, description, both consents, the
  empty honeypot and a signed render stamp taken before the run (older than the minimum fill
  time, so it passes the too-fast check). Emails cycle through a pool of 50 clients: the first
  50 create CRM contacts, later ones find them, as returning clients do.

Each round runs the floor and then the intake, so the two of a round share the machine's load
of that moment (other work on a shared machine swings it by half). Every posted request must be
answered 201 (floor) or 302 to the confirmation (intake), and the rows in the database must
match the number of answers, or the script fails. The intake leaves the rest of each ticket's
work to the clock: after the rounds the script runs those follow-ups in one process, as one
worker would, times them and checks that every ticket got its contact and exactly one
confirmation email. It prints the requests per second of each (the best of --rounds), the
median of the rounds' ratios, and the SQL queries of one intake request and of its follow-up
(captured in-process through Django's test client on the same database).

``--worker``: the fully processed rate. One Celery worker (one process, the clock's queue) runs
beside gunicorn during the rounds, as in production; the intakes kick it after commit. Each
intake run then also counts the follow-ups done while it ran (contact linked, SLA timers,
confirmation in the outbox) per second, and waits for the backlog to drain before the next run,
so that the floor's run is not disturbed by it. The ratio printed is to the floor's run.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "bench_intake"
DESCRIPTION = "Принтер в бухгалтерии не печатает с утра."
WORKERS = 4
EMAIL_POOL = 50

# Every post differs (its description ends in the run's start second, wrk's thread and the post's
# number): the intake takes the same post sent twice as one, while the emails and names repeat as
# returning clients' do.
LUA = """
local threads = 0
setup = function(thread)
  thread:set("thread_id", os.time() .. "-" .. threads)
  threads = threads + 1
end
counter = 0
request = function()
  counter = counter + 1
  local n = counter %% %(pool)d
  local text = "&description=%(description)s+" .. thread_id .. "-" .. counter
  local body = "%(prefix)s" .. "&email=client" .. n .. "%%40bench.example" .. "&name=Client+" .. n .. text
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + name))


def admin_sql(base: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(database_url(base, "postgres").replace("postgres://", "postgresql://"), autocommit=True) as c:
        c.execute(statement)


def free_port() -> int:
    # Other work on the machine may hold any fixed port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout} s: {last}")


def run_wrk(url: str, lua: str, *, seconds: int, connections: int) -> tuple[float, int, int]:
    """Requests/second, requests answered, non-2xx/3xx answers."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE)
    print(f"    {rate:8.1f} req/s, {total} requests, p50 {p50.group(1) if p50 else '?'}")
    return rate, total, int(bad.group(1)) if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--worker", action="store_true", help="run one Celery worker beside gunicorn")
    parser.add_argument("--database", default=BENCH_DB, help="the throw-away database's name (two runs at once)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")

    var_dir = tempfile.mkdtemp(prefix="bench-intake-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(base, args.database),
        "DJANGO_SETTINGS_MODULE": "bench.intake_settings",
        "VAR_DIR": var_dir,
        "DEBUG": "false",
        "SECRET_KEY": "bench-intake-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    admin_sql(base, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    admin_sql(base, f"CREATE DATABASE {args.database}")
    server = worker = None
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        import django

        django.setup()
        form_path, prefix = prepare()
        print_query_count(form_path, prefix)

        port = free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi:application",
                f"--workers={WORKERS}",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        if args.worker:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Qcelery", "-c1", "-Psolo", "-lWARNING"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        origin = f"http://127.0.0.1:{port}"
        wait_until_up(origin + form_path)
        # The stamp must be older than the minimum fill time before the first post.
        time.sleep(min_fill_seconds() + 1)

        floor_lua = LUA % {
            "pool": EMAIL_POOL,
            "prefix": "subject=Printer",
            "description": "Does+not+print",
            "path": "/bench/floor/",
        }
        intake_lua = LUA % {"pool": EMAIL_POOL, "prefix": prefix, "description": quote(DESCRIPTION), "path": form_path}
        floor_rates, intake_rates, processed_rates, answered = [], [], [], {"floor": 0, "intake": 0}
        print(f"gunicorn {WORKERS} workers, wrk {args.connections} connections, {args.seconds} s per run")
        print("load average at the start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        # Every worker loads templates, the working calendar and its connections on its first requests.
        for kind, url, lua in (
            ("floor", origin + "/bench/floor/", floor_lua),
            ("intake", origin + form_path, intake_lua),
        ):
            print(f"  warm-up, {kind}:")
            _rate, total, _bad = run_wrk(url, lua, seconds=args.seconds, connections=args.connections)
            answered[kind] += total
        for round_number in range(1, args.rounds + 1):
            for kind, url, lua, rates in (
                ("floor", origin + "/bench/floor/", floor_lua, floor_rates),
                ("intake", origin + form_path, intake_lua, intake_rates),
            ):
                print(f"  round {round_number}, {kind}:")
                done_before, started = follow_ups_done(), time.perf_counter()
                cpu_before = cpu_sample(server.pid, args.database)
                rate, total, bad = run_wrk(url, lua, seconds=args.seconds, connections=args.connections)
                print_cpu_per_request(cpu_before, cpu_sample(server.pid, args.database), total)
                if bad:
                    raise SystemExit(f"{bad} {kind} requests were not accepted: the run is not valid")
                rates.append(rate)
                answered[kind] += total
                if worker is not None and kind == "intake":
                    processed_rates.append((follow_ups_done() - done_before) / (time.perf_counter() - started))
                    drained = wait_for_backlog()
                    print(f"    fully processed while it ran: {processed_rates[-1]:8.1f}/s, rest {drained:.1f} s after")
            print(f"  round {round_number}: ratio {intake_rates[-1] / floor_rates[-1]:.2f}")
        print("load average at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        check_rows(answered, in_flight=args.connections * (args.rounds + 1))
        run_follow_ups()
        best_floor, best_intake = max(floor_rates), max(intake_rates)
        ratios = sorted(i / f for f, i in zip(floor_rates, intake_rates, strict=True))
        print()
        print(f"floor (validate 4 fields + INSERT): {best_floor:8.1f} req/s (best round)")
        print(f"public form intake (ticket):        {best_intake:8.1f} req/s (best round)")
        print(f"ratio of the best rounds:           {best_intake / best_floor:8.2f}")
        print(f"median ratio of the rounds:         {statistics.median(ratios):8.2f}")
        if processed_rates:
            print(f"tickets fully processed, one worker: {max(processed_rates):8.1f}/s (best round), "
                  f"ratio to the floor {max(processed_rates) / best_floor:.2f}")  # fmt: skip
    finally:
        for process in (server, worker):
            if process is not None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        purge_broker()
        admin_sql(base, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)


def _process_cpu(pid: int) -> float:
    """Seconds of CPU the process ``pid`` has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_sample(server_pid: int, database: str) -> dict:
    """CPU seconds used so far by each part of the run: the gunicorn workers, the PostgreSQL
    backends of the bench's database, the Redis server (all its clients: other work counts too)
    and the load generator (finished child processes: wrk)."""
    import resource

    from django.core.cache import cache
    from django.db import connection

    try:
        children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    except OSError:
        children = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        backends = [row[0] for row in cursor.fetchall()]
    redis_cpu = cache._cache.get_client().info("cpu")
    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "web": sum(_process_cpu(int(pid)) for pid in [server_pid, *children]),
        "PostgreSQL": {pid: _process_cpu(pid) for pid in backends},
        "Redis": redis_cpu["used_cpu_user"] + redis_cpu["used_cpu_sys"],
        "wrk": finished.ru_utime + finished.ru_stime,
    }


def print_cpu_per_request(before: dict, after: dict, requests: int) -> None:
    """Under saturation the rate is the machine's CPU over these (plus the kernel's networking).
    PostgreSQL's is summed by backend: one that a worker opened meanwhile counts from zero, one
    that closed meanwhile (CONN_MAX_AGE) is missing from the figure."""
    used = {name: after[name] - before[name] for name in after if name != "PostgreSQL"}
    pg_before = before["PostgreSQL"]
    used["PostgreSQL"] = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in after["PostgreSQL"].items())
    parts = {name: used[name] / max(requests, 1) * 1000 for name in ("web", "PostgreSQL", "Redis", "wrk")}
    print("    CPU per request: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in parts.items()))


def min_fill_seconds() -> int:
    from django.conf import settings

    return settings.SERVICEDESK_FORM_MIN_SECONDS


def prepare() -> tuple[str, str]:
    """The desk, a service with its responsible, the floor's table; the form path and the fixed fields."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from admin24.models import User
    from admin24.roles import Role
    from bench.intake_urls import FLOOR_TABLE
    from servicedesk.intake import guards
    from servicedesk.links import form_path
    from servicedesk.models import DeskSettings, Service

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, name varchar(300), email varchar(254), "
            "subject varchar(300), description text, created_at timestamptz)"
        )
    engineer = User.objects.create(username="bench-support", last_name="Поддержкин", first_name="Сергей")
    engineer.groups.add(Group.objects.get(name=Role.SUPPORT_ENGINEER))
    service = Service.objects.create(name="Обслуживание компьютеров", responsible=engineer)
    desk = DeskSettings.load()
    fields = {
        "service": str(service.pk),
        "phone": "+7 999 123-45-67",
        "company": "ООО Бенчмарк",
        "subject": "Не печатает принтер",
        "consent_desk": "on",
        "consent_company": "on",
        "website": "",
        "rendered": guards.render_stamp(),
    }
    prefix = "&".join(f"{key}={quote(value)}" for key, value in fields.items())
    return form_path(desk), prefix


def print_query_count(path: str, prefix: str) -> None:
    """The SQL queries of one intake request, and of its follow-up, for a new and a returning client."""
    from urllib.parse import parse_qsl

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from admin24 import timers

    data = {**dict(parse_qsl(prefix)), "rendered": _old_stamp()}
    client = Client()
    for sent, (label, email) in enumerate(
        (
            (
                "a new client, the process's first request (it loads the settings and the calendar)",
                "first@bench.example",
            ),
            ("a returning client", "first@bench.example"),
        )
    ):
        post = {**data, "email": email, "name": "Client", "description": f"{DESCRIPTION} {sent}"}  # not the same post
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post(path, post)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 302:
            raise SystemExit(f"the in-process intake answered {response.status_code}: {response.content[:500]!r}")
        print(f"SQL queries per intake request, {label}: {len(queries)} ({elapsed:.1f} ms in-process)")
        for query in queries.captured_queries:
            print("    " + query["sql"][:110])
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            timers.run_due_until_idle()
            elapsed = (time.perf_counter() - started) * 1000
        print(f"  and of its follow-up (the clock's tick, after the answer): {len(queries)} ({elapsed:.1f} ms)")


def run_follow_ups() -> None:
    """The work the intakes left to the clock, run here in one process as one worker would, and checked:
    every ticket linked to its contact and confirmed by exactly one email."""
    from django.db.models import Count

    from admin24 import timers
    from notifications.models import OutboxMessage
    from servicedesk.models import Ticket

    started, ran = time.perf_counter(), 0
    while batch := timers.run_due_until_idle(batch=100):
        ran += batch
    elapsed = time.perf_counter() - started
    print(f"follow-ups run afterwards in one process: {ran} in {elapsed:.1f} s ({ran / elapsed:.0f}/s)")
    # A request still in flight when wrk stopped may commit a ticket meanwhile: check a fixed set.
    tickets = Ticket.objects.filter(pk__in=list(Ticket.objects.values_list("pk", flat=True)))
    unlinked = tickets.filter(contact__isnull=True).count()
    confirmations = (
        OutboxMessage.objects.filter(template="servicedesk/ticket_received", target_id__in=tickets.values("pk"))
        .values("target_id")
        .annotate(n=Count("id"))
    )
    counts = [row["n"] for row in confirmations]
    if unlinked or len(counts) != tickets.count() or set(counts) != {1}:
        raise SystemExit(
            f"follow-ups incomplete: {unlinked} tickets without contact, {len(counts)} of {tickets.count()} "
            f"tickets confirmed, emails per ticket {sorted(set(counts))}"
        )
    print(f"checked: all {len(counts)} tickets linked to their contact and confirmed by exactly one email")


def follow_ups_done() -> int:
    """Tickets whose follow-up is done: not marked for it, nor handed to the clock as an action still pending."""
    from admin24.models import ScheduledAction
    from servicedesk.models import Ticket
    from servicedesk.services import FOLLOW_UP

    pending = ScheduledAction.objects.filter(action=FOLLOW_UP, status="pending").values("target_id")
    return Ticket.objects.filter(follow_up_pending=False).exclude(pk__in=pending).count()


def wait_for_backlog(timeout: float = 120) -> float:
    """Seconds until the worker has done every follow-up due (the kick's countdown included)."""
    from admin24.models import ScheduledAction
    from servicedesk.models import Ticket
    from servicedesk.services import FOLLOW_UP

    started = time.perf_counter()
    while (
        Ticket.objects.filter(follow_up_pending=True).exists()
        or ScheduledAction.objects.filter(action=FOLLOW_UP, status="pending").exists()
    ):
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"the worker left follow-ups pending for over {timeout} s")
        time.sleep(0.2)
    return time.perf_counter() - started


def _old_stamp() -> str:
    from django.core import signing

    from servicedesk.intake import guards

    return signing.Signer(salt=guards.STAMP_SALT).sign(str(int(time.time()) - 3600))


def check_rows(answered: dict[str, int], *, in_flight: int) -> None:
    """Every answered request made its row; requests cut off when a run ended may have too."""
    from django.db import connection

    from bench.intake_urls import FLOOR_TABLE
    from servicedesk.models import Ticket

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")  # noqa: S608
        floor_rows = cursor.fetchone()[0]
    tickets = Ticket.objects.filter(client_email__endswith="@bench.example").exclude(client_email="first@bench.example")
    tickets_made = tickets.count()
    if not (
        answered["floor"] <= floor_rows <= answered["floor"] + in_flight
        and answered["intake"] <= tickets_made <= answered["intake"] + in_flight
    ):
        raise SystemExit(
            f"rows do not match answers: floor {floor_rows} rows / {answered['floor']} answers, "
            f"tickets {tickets_made} / {answered['intake']}"
        )
    print(f"checked: {floor_rows} floor rows and {tickets_made} tickets for {answered} answered requests")


def purge_broker() -> None:
    """Drop the delivery tasks the intakes queued (no worker ran during the bench)."""
    try:
        from config.celery import app

        app.control.purge()
    except Exception as exc:  # the bench's figures are already printed; a leftover queue is only noise
        print(f"(could not purge the broker: {exc})")


if __name__ == "__main__":
    main()
