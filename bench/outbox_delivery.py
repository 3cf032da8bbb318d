"""What a delivery task costs an email now that rows are rendered when sent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/a24_x .venv/bin/python bench/outbox_delivery.py [--emails 200]

Writes ``--emails`` clock-style staff notices (``notify_staff_many``: a task notice with nested
messages and a deadline, readers in Russian and English in two time zones), then delivers them
as the workers do, ``outbox_deliver_many`` in tasks of 20, to Django's in-memory mail backend:
once with the rows as written (rendered by each task, ``render_many``) and, as the baseline in
the same run, once with the same rows already holding their parts (as rows written before
rendering moved to the delivery: only the sending). Prints ms per email of each and the ratio,
and the best of five renderings alone (``render_many`` of each task's rows), the noise-free part.
Works in a throwaway database (``<DATABASE_URL's name>_bench_delivery``), dropped at the end.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from admin24.messages import Message  # noqa: E402

BATCH = 20


def written(count: int) -> list[int]:
    from admin24.models import User
    from crm.models import Deal
    from notifications import services
    from notifications.models import OutboxMessage

    people = [
        User.objects.create_user(
            username=f"bench{n}", email=f"bench{n}@example.ru", last_name=f"Инженер {n}",
            language=("ru", "en")[n % 2], time_zone=("Europe/Moscow", "Asia/Vladivostok")[n % 4 // 2],
        )
        for n in range(count)
    ]  # fmt: skip
    deals = Deal.objects.bulk_create(Deal(title=f"Сделка «{n}» & Co") for n in range(count))
    due = timezone.now() + datetime.timedelta(days=1)
    notices = []
    for n, (user, deal) in enumerate(zip(people, deals, strict=True)):
        task = f"Позвонить клиенту {n}"
        card = Message("crm.task.notice.on.deal", title=deal.title)
        notices.append(services.StaffNotice(
            target=deal, to=user, title=Message("crm.task.notice.new", task=task),
            text=Message("crm.task.notice.new.text", task=task, card=card), key=f"bench:{n}",
            due=due + datetime.timedelta(minutes=n), template="crm/task",
        ))  # fmt: skip
    with transaction.atomic():
        services.notify_staff_many(notices)
    return list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))


def deliver(ids: list[int]) -> float:
    from notifications import services

    mail.outbox = []
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        services.outbox_deliver_many(message_ids=ids[start : start + BATCH])
    spent = time.perf_counter() - started
    assert len(mail.outbox) == len(ids), len(mail.outbox)
    return spent


def render_only(ids: list[int]) -> float:
    """The best of five renderings of every batch's rows (``render_many`` per task), nothing sent."""
    from notifications import services
    from notifications.models import OutboxMessage

    batches = [
        list(OutboxMessage.objects.filter(pk__in=ids[start : start + BATCH])) for start in range(0, len(ids), BATCH)
    ]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for rows in batches:
            services._renderings(rows)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=200)
    args = parser.parse_args()
    setup_test_environment()  # the in-memory mail backend
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    name = settings.DATABASES["default"]["NAME"] + "_bench_delivery"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        from notifications.models import OutboxMessage

        ids = written(args.emails)
        rendered = render_only(ids)
        rendering = deliver(ids)
        # The same rows holding what went out, pending again: the delivery only sends them.
        OutboxMessage.objects.filter(pk__in=ids).update(status="pending", attempts=0, next_attempt_at=timezone.now())
        sending = deliver(ids)
        per = 1000 / len(ids)
        print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
        print(f"{len(ids)} emails, tasks of {BATCH}")
        print(f"  parts stored, only sent (baseline)   {sending * per:6.2f} ms an email  ×1.00")
        print(f"  rendered by the task, then sent      {rendering * per:6.2f} ms an email  ×{rendering / sending:.2f}")
        print(f"  the rendering alone (best of 5)      {rendered * per:6.2f} ms an email")
    finally:
        connection.close()
        settings.DATABASES["default"]["NAME"] = name.removesuffix("_bench_delivery")
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
