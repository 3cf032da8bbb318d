"""What the board benchmarks (bench/board.py, bench/ticket_board.py) share.

A throw-away ``test_<name>`` database next to the one DATABASE_URL names (kept with --keepdb,
so a second run skips the filling), signed-in requests through Django's test client, and a
report: p50 over --runs requests after two warm-up ones, the SQL queries of one request and the
time they took. Each page is also given as a ratio to a baseline measured in the same run — a
minimal signed-in view rendering a 50-row table — so the figures do not depend on the machine —
and with the CPU time a request took in this process and its PostgreSQL backend, which other
processes on a shared machine barely move (``backend_cpu``).
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import include, path  # noqa: E402

from admin24.models import Department, User  # noqa: E402
from admin24.roles import Role  # noqa: E402
from crm.models import Company, Contact  # noqa: E402
from servicedesk.models import Service  # noqa: E402

TABLE = engines["django"].from_string(
    "<table>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>"
)
# The baseline's rows: set by the script before run(); an iterable of 50 tuples of cells.
baseline_rows: Callable[[], Iterable[tuple]] = list


@login_required
def baseline(request):
    return HttpResponse(TABLE.render({"rows": baseline_rows()}, request))


urlpatterns = [path("bench/baseline/", baseline), path("", include("config.urls"))]


def arguments(doc: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print the plan of each page's slowest query")
    parser.add_argument("--keepdb", action="store_true", help="keep the filled database for the next run")
    return parser.parse_args()


def staff(role: str, count: int, *, username: str, last_name: str, first_name: str, department: str) -> list:
    """``count`` users with ``role`` in one department (reused when --keepdb kept them)."""
    group = Group.objects.get(name=role)
    dept, _ = Department.objects.get_or_create(name=department)
    users = []
    for i in range(count):
        user, created = User.objects.get_or_create(
            username=f"{username}{i}",
            defaults={"last_name": f"{last_name}{i}", "first_name": first_name, "department": dept},
        )
        if created:
            user.groups.add(group)
        users.append(user)
    return users


def bench_admin() -> User:
    """The administrator every board and report benchmark signs in as."""
    return staff(
        Role.ADMINISTRATOR, 1, username="bench-admin", last_name="Админов", first_name="Андрей", department="Дирекция"
    )[0]


def bench_companies() -> list:
    """500 client companies, reused when --keepdb kept them."""
    return list(Company.objects.order_by("pk")[:500]) or Company.objects.bulk_create(
        Company(name=f"ООО «Компания {i}»") for i in range(500)
    )


@dataclass
class SalesPeople:
    admin: User
    managers: list
    companies: list
    contacts: list


def sales_managers() -> list:
    """The 20 sales managers of the CRM benchmarks, in their own department."""
    return staff(
        Role.SALES_MANAGER,
        20,
        username="bench-manager",
        last_name="Менеджеров",
        first_name="Михаил",
        department="Отдел продаж (бенчмарк)",
    )


def sales_people() -> SalesPeople:
    """The administrator, 20 sales managers, 500 companies and a contact in each that the CRM
    benchmarks (bench/board.py, bench/billing.py) fill leads and deals for."""
    admin = bench_admin()
    managers = sales_managers()
    companies = bench_companies()
    contacts = list(Contact.objects.order_by("pk")[:500]) or Contact.objects.bulk_create(
        Contact(full_name=f"Клиентов Кирилл {i}", company=companies[i]) for i in range(500)
    )
    return SalesPeople(admin, managers, companies, contacts)


@dataclass
class DeskPeople:
    admin: User
    engineers: list
    companies: list
    services: list


def desk_people() -> DeskPeople:
    """The administrator, 15 engineers, 500 companies and 8 services that the ticket benchmarks
    (bench/reports.py, bench/resolved_index.py) fill tickets for; reused when --keepdb kept them."""
    admin = bench_admin()
    engineers = staff(
        Role.SUPPORT_ENGINEER,
        15,
        username="bench-engineer",
        last_name="Инженеров",
        first_name="Игорь",
        department="Поддержка (бенчмарк)",
    )
    companies = bench_companies()
    services = list(Service.objects.all()) or Service.objects.bulk_create(
        Service(name=f"Услуга {i}", responsible=engineers[i % len(engineers)]) for i in range(8)
    )
    return DeskPeople(admin, engineers, companies, services)


@dataclass
class Figure:
    ms: float
    queries: int
    sql_ms: float
    slowest: str
    cpu_ms: float = 0.0  # CPU time per request (p50): this process plus its PostgreSQL backend
    db_cpu_ms: float = 0.0  # the backend's share


def backend_cpu() -> Callable[[], float]:
    """The CPU seconds the connection's PostgreSQL backend has used so far (``/proc/<pid>/schedstat``,
    nanoseconds on the CPU), or a function of 0.0 when the server is not on this machine. CPU time
    barely moves with what other processes run, where the wall-clock p50 doubles at a load of 5 on
    2 cores: it is the figure to compare runs by on a shared machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")
    if not stat.exists():
        return lambda: 0.0
    return lambda: int(stat.read_text().split()[0]) / 1e9


def measure(client: Client, url: str, runs: int) -> Figure:
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Read now: the next request clears the connection's log.
    figure = Figure(0, len(queries), sum(float(q["time"]) for q in queries) * 1000, "")
    figure.slowest = max(queries, key=lambda q: float(q["time"]))["sql"]
    database = backend_cpu()
    times, cpu, db_cpu = [], [], []
    for _ in range(runs):
        start, start_cpu, start_db = time.perf_counter(), time.process_time(), database()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
        db_cpu.append(database() - start_db)
        cpu.append(time.process_time() - start_cpu + db_cpu[-1])
    figure.ms = statistics.median(times) * 1000
    figure.cpu_ms, figure.db_cpu_ms = statistics.median(cpu) * 1000, statistics.median(db_cpu) * 1000
    return figure


def report(args, who: str, user, pages: list[tuple[str, str]]) -> list[tuple[str, Figure]]:
    """Measure ``pages`` (label, url) as ``user``; the first page is the baseline. Returns the figures."""
    client = Client()
    client.force_login(user)
    results = [(label, measure(client, url, args.runs)) for label, url in pages]
    floor = results[0][1].ms
    for label, figure in results:
        print(
            f"  {who:13} {label:26} {figure.ms:8.1f} ms  ×{figure.ms / floor:5.1f}  "
            f"({figure.queries} queries, {figure.sql_ms:.1f} ms in SQL; "
            f"CPU {figure.cpu_ms:.0f} ms, {figure.db_cpu_ms:.0f} of it PostgreSQL's)"
        )
        if args.explain:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + figure.slowest)
                plan = "\n      ".join(row[0] for row in cursor.fetchall())
            print(f"    slowest query: {figure.slowest[:300]}…\n      {plan}")
    return results


def run(args, body: Callable[[], None]) -> None:
    """Run ``body`` against a fresh (or kept) test database built from the migrations."""
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures the production database.")
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    # Pages render {% static %}; the manifest storage would need a collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=args.keepdb)
    try:
        print(f"PostgreSQL {connection.pg_version}, {args.runs} requests per figure, p50 in ms")
        body()
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def analyze() -> None:
    """What autovacuum does to a table that has been in use a while: planner statistics, and
    the visibility map that lets counts be read from an index alone."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
