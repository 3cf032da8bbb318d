"""Inbound email throughput against a floor, in one process on PostgreSQL (issue 14 §8).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/email_ingest.py [--count 1000]

It creates a throw-away database ``<name>_bench_email`` (``<name>`` is DATABASE_URL's database,
so two people's runs never share one) on the server of DATABASE_URL (dropped at the end),
migrates it, makes 50 tickets with one outbound email each, and builds ``--count`` mixed messages:
40 % client replies threaded by In-Reply-To (with quoted history, windows-1251 and KOI8-R
bodies), 30 % new emails opening tickets, 20 % auto-replies, 10 % bounces of our emails.

* the floor: ``email.message_from_bytes`` of each message and one INSERT of its Message-ID,
  sender and subject, each in its own transaction (autocommit) — the least any ingest can do;
* the worker: what the IMAP poller and the worker's task do with a mailbox's new mail, less the
  IMAP commands: the messages in the poller's bursts (``store.bursts``: 100 messages or 50 MB),
  each burst stored by ``ingest_many(burst, source="imap")`` (the raw files, one INSERT and one
  Celery publish, at most one a second, to the settings' broker: Redis at REDIS_URL, where no
  worker takes it) and its last UID remembered (one UPDATE), then ``process_waiting()``, what the
  task does: claim the stored messages in batches of ``--batch`` and decide each batch together
  (parse, classify, thread, write the comments / tickets / outbox changes);
* the pipe: ``ingest(raw, source="pipe", process_now=True)`` for each, as ``manage.py
  ingest_email`` does: store, then process the message as a batch of one before returning.

The floor and the two paths alternate for --rounds (fresh messages each round), so all share the
machine's load of the moment; it prints messages per second of each (best round), the median
ratio to the floor and the queries per message. ``--profile worker`` (or ``processing``: only
``process_waiting``) prints cProfile's figures for the worker's last round. New tickets' follow-ups (contact, SLA clock,
confirmation) run later on the clock, as in production, and are not counted.
"""

import argparse
import os
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _database_urls() -> tuple[str, str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL server")
    parts = urlsplit(url)
    name = f"{parts.path.strip('/') or 'postgres'}_bench_email"
    return url, urlunsplit(parts._replace(path=f"/{name}")), name


def _messages(round_no: int, count: int, tickets, outbox_ids) -> list[bytes]:
    out = []
    for n in range(count):
        kind = n % 10
        message = EmailMessage()
        message["Message-ID"] = f"<bench-{round_no}-{n}@client.example>"
        if kind < 4:
            ticket = tickets[n % len(tickets)]
            message["From"] = f"Клиент <{ticket.client_email}>"
            message["To"] = "support@example.ru"
            message["Subject"] = f"Re: [#{ticket.number}] {ticket.subject}"
            message["In-Reply-To"] = outbox_ids[ticket.pk]
            charset = ("utf-8", "windows-1251", "koi8-r")[n % 3]
            body = f"Ответ {n}: всё ещё не работает.\n\n01.12.2026 10:05, Поддержка пишет:\n> старый текст\n"
            message.set_content(body, charset=charset)
        elif kind < 7:
            message["From"] = f"Новый клиент <new{round_no}-{n}@new.example>"
            message["To"] = "support@example.ru"
            message["Subject"] = f"Новая проблема {n}"
            message.set_content("Здравствуйте! Не открывается 1С.\n\n-- \nС уважением, Иван")
        elif kind < 9:
            message["From"] = f"away{n}@client.example"
            message["Subject"] = "Автоответ: в отпуске"
            message["Auto-Submitted"] = "auto-replied"
            message.set_content("Я в отпуске до понедельника.")
        else:
            ticket = tickets[n % len(tickets)]
            message["From"] = "MAILER-DAEMON@mx.example"
            message["Subject"] = "Undelivered Mail Returned to Sender"
            original = EmailMessage()
            original["Message-ID"] = outbox_ids[ticket.pk]
            original.set_content("x")
            message.set_content("550 5.1.1 User unknown")
            message.add_attachment(original)
        out.append(message.as_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--profile", choices=["worker", "processing"], help="cProfile the worker's last round")
    args = parser.parse_args()
    server_url, bench_url, bench_db = _database_urls()

    import psycopg

    admin = psycopg.connect(server_url.replace("postgres://", "postgresql://", 1), autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {bench_db}")
    admin.execute(f"CREATE DATABASE {bench_db}")
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench-email"))
    try:
        _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(f"DROP DATABASE IF EXISTS {bench_db}")


def _run(args) -> None:
    import email

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from config.celery import app

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    from notifications.models import OutboxMessage
    from servicedesk import services
    from servicedesk.intake.email import ingest, ingest_many, process_waiting
    from servicedesk.intake.email.store import bursts
    from servicedesk.models import DeskSettings, InboundEmail

    tickets = [
        services.create_ticket(subject=f"Заявка {i}", name=f"Клиент {i}", email=f"client{i}@client.example")
        for i in range(50)
    ]
    outbox_ids = {
        row.target_id: row.message_id
        for row in OutboxMessage.objects.filter(target_id__in=[t.pk for t in tickets]).order_by("pk")
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial primary key, message_id text, sender text, subject text)"
        )

    results = {"floor": [], "worker": [], "pipe": []}
    queries = {}

    def floor(batch):
        with connection.cursor() as cursor:
            for raw in batch:
                message = email.message_from_bytes(raw)
                cursor.execute(
                    "INSERT INTO bench_floor (message_id, sender, subject) VALUES (%s, %s, %s)",
                    [str(message["Message-ID"]), str(message["From"]), str(message["Subject"])],
                )

    desk = DeskSettings.load()
    profiling = [None]  # --profile: (the profiler, whether it takes the storing too)

    def worker(batch):
        if profiling[0] and profiling[0][1]:
            profiling[0][0].enable()
        for uid, burst in enumerate(bursts(batch, len)):
            ingest_many(burst, source="imap")
            DeskSettings.objects.filter(pk=desk.pk).update(imap_last_uid=uid)
        if profiling[0]:
            profiling[0][0].enable()
        process_waiting(limit=args.batch)

    def pipe(batch):
        for raw in batch:
            ingest(raw, source="pipe", process_now=True)

    for round_no in range(args.rounds):
        for offset, (name, run) in enumerate((("floor", floor), ("worker", worker), ("pipe", pipe))):
            batch = _messages(round_no * 3 + offset, args.count, tickets, outbox_ids)
            counted = [0]

            def count(execute, sql, params, many, context, counted=counted):
                counted[0] += 1
                return execute(sql, params, many, context)

            profiler = None
            if args.profile and name == "worker" and round_no == args.rounds - 1:
                import cProfile

                profiler = cProfile.Profile()
                profiling[0] = (profiler, args.profile == "worker")
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                run(batch)
                rate = args.count / (time.perf_counter() - started)
            if profiler:
                import pstats

                profiler.disable()
                profiling[0] = None
                for order in ("tottime", "cumulative"):
                    pstats.Stats(profiler).strip_dirs().sort_stats(order).print_stats(35)
            results[name].append(rate)
            queries[name] = counted[0] / args.count
        line = ", ".join(f"{name} {rates[-1]:,.0f} msg/s" for name, rates in results.items())
        line += f"; load average {os.getloadavg()[0]:.1f}"
        print(f"round {round_no + 1}: {line}")
    left = InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED).count()
    statuses = dict(
        InboundEmail.objects.values_list("status").annotate(n=django.db.models.Count("id")).values_list("status", "n")
    )
    print(f"rows by status: {statuses}; left received: {left}")
    if left or sum(statuses.values()) != args.count * args.rounds * 2:
        sys.exit("some messages were not stored or not processed")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, rates in results.items():
        ratio = statistics.median(r / f for r, f in zip(rates, results["floor"], strict=True))
        print(f"{name}: best {max(rates):,.0f} msg/s, median ratio to the floor {ratio:.3f}, "
              f"{queries[name]:.2f} queries per message")  # fmt: skip


if __name__ == "__main__":
    main()
