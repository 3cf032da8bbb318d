"""The notification list (``/notifications/``) rendered on read (issue 13 §1).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/a24_notices DEBUG=1 .venv/bin/python bench/notification_list.py \
        [--runs 30]

A full page (20 rows) of notices kept as what happened (template and parameters, rendered in the
reader's language on every read: a task notice with a nested message, a stage and a deadline)
against a page of rows whose parameters are plain texts (how migration 0006 of notifications
left the rows written before parameters were kept: a reminder's title and text), signed in
through Django's test client, in English. Prints each page's p50 over --runs requests after two
warm-up ones, its SQL query count, and the ratio to the text rows measured in the same run.
Writes to the database DATABASE_URL names (two users of its own, replaced on every run).
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import translation  # noqa: E402

from admin24.models import User  # noqa: E402
from crm.models import Lead, LeadStage  # noqa: E402
from crm.texts import say  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.services import notify  # noqa: E402

ROWS = 20
DUE = datetime.datetime(2026, 11, 3, 9, 30, tzinfo=datetime.UTC)


def reader(username: str) -> User:
    User.objects.filter(username=username).delete()
    return User.objects.create_user(username=username, first_name="Kate", language="ru")


def fill(keyed: User, typed: User) -> None:
    lead = Lead.objects.create(title="Ромашка", contact_name="Сидоров", email="bench@example.org")
    with translation.override("ru"):
        for number in range(ROWS):
            # notify_staff's in-app row, without the email (nothing is published to a broker).
            context = {
                "title": say("crm.lead.closed.title", title=f"{lead.title} {number}"),
                "text": say(
                    "crm.lead.closed.text",
                    title=lead.title,
                    stage=LeadStage.UNREACHABLE,
                    reason=say("crm.lead.closed_tasks"),
                ),
                "due": DUE,
                "link": lead.get_absolute_url(),
            }
            notify(keyed, "reminder", context, channels=(), key=None, target=lead)
    with translation.override("ru"):
        told = [(n, n.shown_title, n.shown_body) for n in Notification.objects.filter(recipient=keyed)]
    Notification.objects.bulk_create(
        Notification(recipient=typed, template="reminder", context={"title": title, "text": body}, link=n.link)
        for n, title, body in told
    )
    lead.delete()


def measure(user: User, runs: int) -> tuple[float, int]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    for _ in range(2):
        assert client.get("/notifications/").status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get("/notifications/")
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        client.get("/notifications/")
    return statistics.median(times), len(captured)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    keyed, typed = reader("bench_notices_keyed"), reader("bench_notices_typed")
    fill(keyed, typed)
    base, base_queries = measure(typed, args.runs)
    shown, shown_queries = measure(keyed, args.runs)
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{ROWS} rows of texts (baseline):      p50 {base * 1000:.1f} ms, {base_queries} queries, × 1.00")
    print(
        f"{ROWS} rows rendered on read (en):   p50 {shown * 1000:.1f} ms, {shown_queries} queries, × {shown / base:.2f}"
    )
    User.objects.filter(pk__in=[keyed.pk, typed.pk]).delete()


if __name__ == "__main__":
    main()
