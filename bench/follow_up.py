"""How many accepted tickets' follow-ups one process drains per second, next to a no-op handler.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/follow_up.py \\
        [--tickets 1000] [--rounds 3] [--profile]

Works in a throw-away database (``--database``, by default the name of DATABASE_URL's database
followed by ``_bench``; created from the migrations and dropped at the end). Each round accepts
``--tickets`` tickets as the public form does (``accept_ticket``): two in five from new clients
with a new company, one in five from returning clients, one in five from new clients sharing a
known client's phone (the duplicate check), one in five without an email. Then it runs the clock
as one worker does (the tick, ``run_due_until_idle(batch=100)``, until nothing is left) and checks that every ticket
with an email got its contact and one confirmation. The
baseline, in the same round: as many no-op actions aimed at the same tickets, drained the same
way — the clock's own cost. It prints the rate of each, their ratio, the SQL queries of one
batch of 100 follow-ups and the load average; ``--profile`` adds the top of a cProfile of one
round's follow-ups.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from admin24 import timers  # noqa: E402
from admin24.models import ScheduledAction, User  # noqa: E402
from crm.models import Contact, ContactEmail, ContactPhone  # noqa: E402
from notifications.models import OutboxMessage  # noqa: E402
from servicedesk import services  # noqa: E402
from servicedesk.models import Service, Ticket  # noqa: E402

NOOP = "bench.follow_up.noop"
BATCH = 100


@timers.handler(NOOP)
def noop(target, action):
    """Nothing: the clock's own cost per action."""


def accept_round(service, count: int, name: str) -> list[int]:
    ids = []
    for n in range(count):
        kind = n % 5
        if kind in (0, 1):
            fields = {"email": f"{name}-{n}@new.example", "company": f"ООО «{name} {n}»", "phone": "+7 999 000-00-01"}
        elif kind == 2:
            fields = {"email": f"known-{n % 50}@client.example"}
        elif kind == 3:
            fields = {"email": f"{name}-{n}@shared.example", "phone": "+7 999 555-00-00"}
        else:
            fields = {"email": ""}
        ticket = services.accept_ticket(subject="Не печатает принтер", service=service, name="Клиент", **fields)
        ids.append(ticket.pk)
    return ids


def drain() -> tuple[int, float]:
    started, ran = time.perf_counter(), 0
    while taken := timers.run_due_until_idle(batch=BATCH):
        ran += taken
    return ran, time.perf_counter() - started


def check(ids: list[int]) -> None:
    tickets = Ticket.objects.filter(pk__in=ids).exclude(client_email="")
    unlinked = tickets.filter(contact__isnull=True).count()
    confirmed = OutboxMessage.objects.filter(template="servicedesk/ticket_received", target_id__in=ids).count()
    if unlinked or confirmed != tickets.count():
        raise SystemExit(f"follow-ups incomplete: {unlinked} unlinked, {confirmed} of {tickets.count()} confirmed")


def noop_rate(ids: list[int]) -> float:
    ticket_type = ContentType.objects.get_for_model(Ticket)
    tokens = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "status"))
    entries = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "stage_entry_count"))
    ScheduledAction.objects.bulk_create(
        ScheduledAction(
            target_type=ticket_type,
            target_id=pk,
            action=NOOP,
            due_at=timezone.now(),
            stage_token=f"{tokens[pk]}:{entries[pk]}",
        )
        for pk in ids
    )
    ran, elapsed = drain()
    assert ran == len(ids), ran
    return ran / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--database", help="the throw-away database's name (two runs at once)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/follow_up.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    name = args.database or f"{settings.DATABASES['default']['NAME']}_bench"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        engineer = User.objects.create(username="bench-support", last_name="Поддержкин", first_name="Сергей")
        service = Service.objects.create(name="Обслуживание компьютеров", responsible=engineer)
        for n in range(50):
            contact = Contact.objects.create(full_name=f"Клиент {n}")
            ContactEmail.objects.create(contact=contact, email=f"known-{n}@client.example")
            ContactPhone.objects.create(contact=contact, phone="+7 999 555-00-00")
        accept_round(service, BATCH, "warm")
        drain()
        accept_round(service, BATCH, "count")
        with CaptureQueriesContext(connection) as queries:
            timers.run_due_until_idle(batch=BATCH)
        load = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
        print(f"PostgreSQL {connection.pg_version // 10000}, load average {load}")
        print(f"SQL queries of one batch of {BATCH} follow-ups: {len(queries)} ({len(queries) / BATCH:.2f} per ticket)")
        for query in queries.captured_queries:
            print("    " + " ".join(query["sql"].split())[:100])
        for round_number in range(1, args.rounds + 1):
            ids = accept_round(service, args.tickets, f"r{round_number}")
            profile = cProfile.Profile() if args.profile and round_number == args.rounds else None
            if profile:
                profile.enable()
            ran, elapsed = drain()
            if profile:
                profile.disable()
            assert ran == len(ids), ran
            check(ids)
            rate = ran / elapsed
            baseline = noop_rate(ids)
            print(
                f"  round {round_number}: follow-ups {rate:7.0f}/s, no-op baseline {baseline:7.0f}/s, "
                f"ratio {rate / baseline:.2f} (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        if args.profile:
            print("\nWhere one round's follow-ups spend their time (cumulative, top 30):")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
            print("\nBy own time (top 30):")
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
