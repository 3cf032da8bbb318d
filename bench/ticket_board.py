"""Ticket board latency and query count at 10,000 and 100,000 tickets (DESIGN.md "Benchmarks").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/admin24 .venv/bin/python bench/ticket_board.py \
        [--sizes 10000 100000] [--runs 20]

It creates a throw-away test database next to the one named (``test_<name>``, dropped at the
end), fills it with bulk_create and renders pages through Django's test client as a support
engineer (reads every ticket). Figures are p50 over --runs requests after two warm-up ones, and
the number of SQL queries. The baseline, measured in the same run, is a minimal signed-in view
rendering a 50-row table of tickets, so the board's cost reads as a ratio that does not depend
on the machine.
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
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from admin24.models import Department, User  # noqa: E402
from admin24.roles import Role  # noqa: E402
from crm.models import Company  # noqa: E402
from servicedesk.models import Service, Ticket, TicketSource, TicketStatus  # noqa: E402

TABLE = engines["django"].from_string(
    "<table>{% for t in tickets %}<tr><td>{{ t.display_number }}</td><td>{{ t.subject }}</td>"
    "<td>{{ t.get_status_display }}</td><td>{{ t.assignee }}</td><td>{{ t.created_at }}</td></tr>{% endfor %}</table>"
)


@login_required
def baseline(request):
    tickets = Ticket.objects.select_related("assignee").order_by("-created_at")[:50]
    return HttpResponse(TABLE.render({"tickets": tickets}, request))


urlpatterns = [path("bench/baseline/", baseline), path("", include("admin24.urls"))]

# A desk after a year or two: nearly everything done, a few hundred tickets in work.
STATUS_WEIGHTS = {TicketStatus.NEW: 1, TicketStatus.IN_PROGRESS: 2, TicketStatus.DEFERRED: 1, TicketStatus.DONE: 96}
ENGINEERS = 15
BATCH = 5000


def make_people():
    department = Department.objects.create(name="Служба поддержки (бенчмарк)")
    engineers = []
    for i in range(ENGINEERS):
        user = User.objects.create(
            username=f"bench-engineer{i}", last_name=f"Инженеров{i}", first_name="Игорь", department=department
        )
        user.groups.add(Group.objects.get(name=Role.SUPPORT_ENGINEER))
        engineers.append(user)
    return engineers


def fill(total: int, engineers, services, companies) -> None:
    """Add tickets until there are ``total``; tickets in work have deadlines around now, some past."""
    rng = random.Random(total)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    now = timezone.now()
    have = Ticket.objects.count()
    while have < total:
        size = min(BATCH, total - have)
        rows = []
        for i in range(size):
            number = have + i + 1
            status = rng.choices(statuses, weights)[0]
            created = now - datetime.timedelta(minutes=7 * number)
            due = now + datetime.timedelta(hours=rng.randint(-24, 72)) if status != TicketStatus.DONE else created
            company = rng.choice(companies) if i % 2 == 0 else None
            rows.append(
                Ticket(
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
            )
        Ticket.objects.bulk_create(rows)
        have += size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Client, url: str, runs: int) -> tuple[float, int]:
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    query_count = len(queries)  # read now: the next request clears the connection's log
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, query_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
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
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        engineers = make_people()
        services = Service.objects.bulk_create(Service(name=f"Услуга {i}", responsible=engineers[i]) for i in range(8))
        companies = Company.objects.bulk_create(Company(name=f"ООО «Компания {i}»") for i in range(500))
        search = "%D0%9A%D0%BE%D0%BC%D0%BF%D0%B0%D0%BD%D0%B8%D1%8F%2017"  # "Компания 17"
        pages = [
            ("baseline: 50-row table", "/bench/baseline/"),
            ("board (in work)", "/servicedesk/"),
            ("board (all statuses)", "/servicedesk/?status=all"),
            ("board, search", f"/servicedesk/?status=all&q={search}"),
            ("board, overdue", "/servicedesk/?status=all&overdue=1"),
            ("board, mine", "/servicedesk/?scope=mine"),
            ("list, page 1", "/servicedesk/list/?status=all"),
            ("my tickets", "/servicedesk/my/"),
        ]
        print(f"PostgreSQL {connection.pg_version}, {args.runs} requests per figure, p50 in ms (queries)")
        for size in sorted(args.sizes):
            fill(size, engineers, services, companies)
            in_work = Ticket.objects.filter(status__in=[TicketStatus.NEW, TicketStatus.IN_PROGRESS]).count()
            print(f"\n{size:,} tickets, {in_work:,} in work")
            client = Client()
            client.force_login(engineers[0])
            results = [(label, *measure(client, url, args.runs)) for label, url in pages]
            floor = results[0][1]
            for label, ms, queries in results:
                print(f"  {label:24} {ms:8.1f} ms  ×{ms / floor:5.1f}  ({queries} queries)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
