"""Lead board latency and query count at 10,000 and 100,000 leads (DESIGN.md "Benchmarks").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24 .venv/bin/python bench/board.py [--sizes 10000 100000]

It creates a throw-away test database next to the one named (``test_<name>``, dropped at the
end), fills it with bulk_create, and renders pages through Django's test client as a sales
manager (access "own") and as an administrator (access "all"). Figures are p50 over --runs
requests after two warm-up ones, and the number of SQL queries. The baseline, measured in the
same run, is a minimal signed-in view rendering a 50-row table of leads, so the board's cost
reads as a ratio that does not depend on the machine.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "admin24.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from admin24.models import Department, User  # noqa: E402
from admin24.roles import Role  # noqa: E402
from crm.models import Company, Lead, LeadSource, LeadStage, Task  # noqa: E402

TABLE = engines["django"].from_string(
    "<table>{% for lead in leads %}<tr><td>{{ lead.title }}</td><td>{{ lead.get_stage_display }}</td>"
    "<td>{{ lead.responsible }}</td><td>{{ lead.created_at }}</td></tr>{% endfor %}</table>"
)


@login_required
def baseline(request):
    leads = Lead.objects.select_related("responsible").order_by("-created_at")[:50]
    return HttpResponse(TABLE.render({"leads": leads}, request))


urlpatterns = [path("bench/baseline/", baseline), path("", include("admin24.urls"))]

# Stage mix of a lead pipeline after a year: most leads closed, a few hundred in work.
STAGE_WEIGHTS = {
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
ACTIVE = {LeadStage.NEW, LeadStage.IN_PROGRESS, LeadStage.NO_ANSWER}
MANAGERS = 20
BATCH = 5000


def make_people():
    department = Department.objects.create(name="Отдел продаж (бенчмарк)")
    admin = User.objects.create(username="bench-admin", last_name="Админов", first_name="Андрей")
    admin.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))
    managers = []
    for i in range(MANAGERS):
        user = User.objects.create(
            username=f"bench-manager{i}", last_name=f"Менеджеров{i}", first_name="Михаил", department=department
        )
        user.groups.add(Group.objects.get(name=Role.SALES_MANAGER))
        managers.append(user)
    return admin, managers


def fill(total: int, managers, companies) -> None:
    """Add leads (and an open call task for each lead in work) until there are ``total``."""
    rng = random.Random(total)
    stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    now = timezone.now()
    have = Lead.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        leads = Lead.objects.bulk_create(
            Lead(
                title=f"Заявка №{have + i}",
                stage=rng.choices(stages, weights)[0],
                source=rng.choice(LeadSource.values),
                responsible=rng.choice(managers),
                company=rng.choice(companies) if i % 3 == 0 else None,
                company_name=f"ООО «Клиент {have + i}»",
                contact_name="Клиентов Кирилл",
                email=f"client{have + i}@example.org",
                created_at=now - datetime.timedelta(minutes=have + i),
            )
            for i in range(size)
        )
        Task.objects.bulk_create(
            Task(
                title="Позвонить клиенту",
                kind=Task.Kind.CALL,
                lead=lead,
                responsible=lead.responsible,
                deadline=now + datetime.timedelta(hours=rng.randint(-48, 96)),
            )
            for lead in leads
            if lead.stage in ACTIVE
        )
        have += size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Client, url: str, runs: int) -> tuple[float, int, float, str]:
    """p50 ms, the number of queries, their total ms, and the slowest one (for --explain)."""
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Read now: the next request clears the connection's log.
    query_count = len(queries)
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    slowest = max(queries, key=lambda q: float(q["time"]))["sql"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, query_count, sql_ms, slowest


def count_ms(runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM crm_lead")
            cursor.fetchone()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print the plan of each page's slowest query")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures the production database.")

    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    # Pages render {% static %}; the manifest storage would need a collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        admin, managers = make_people()
        companies = Company.objects.bulk_create(Company(name=f"ООО «Компания {i}»") for i in range(500))
        pages = [
            ("baseline: 50-row table", "/bench/baseline/"),
            ("board (in work)", "/crm/leads/"),
            ("board (all stages)", "/crm/leads/?closed=1"),
            ("board, search", "/crm/leads/?closed=1&q=%D0%9A%D0%BB%D0%B8%D0%B5%D0%BD%D1%82%201"),
            ("list, page 1", "/crm/leads/list/?closed=1"),
        ]
        print(f"PostgreSQL {connection.pg_version}, {args.runs} requests per figure, p50 in ms (queries)")
        for size in sorted(args.sizes):
            fill(size, managers, companies)
            print(f"\n{size:,} leads; SELECT count(*) p50 {count_ms(args.runs):.2f} ms")
            for role, user in (("manager", managers[0]), ("administrator", admin)):
                client = Client()
                client.force_login(user)
                results = [(label, *measure(client, url, args.runs)) for label, url in pages]
                floor = results[0][1]
                for label, ms, queries, sql_ms, slowest in results:
                    print(
                        f"  {role:13} {label:24} {ms:8.1f} ms  ×{ms / floor:5.1f}  "
                        f"({queries} queries, {sql_ms:.1f} ms in SQL)"
                    )
                    if args.explain:
                        with connection.cursor() as cursor:
                            cursor.execute("EXPLAIN ANALYZE " + slowest)
                            plan = "\n      ".join(row[0] for row in cursor.fetchall())
                        print(f"    slowest query: {slowest[:300]}…\n      {plan}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
