"""A real round-trip: Celery beat ticks the clock, a worker fires the action, the outbox sends one email."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from admin24.models import ScheduledAction
from notifications.models import Notification, OutboxMessage
from tests.factories import UserFactory
from tests.notifications.roundtrip_handlers import ACTION
from tests.told import titles

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,  # the worker and beat must share the test database
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def tick_the_clock_every_second():
    call_command("setup_periodic_tasks", stdout=open(os.devnull, "w"))  # noqa: SIM115
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="admin24.run_due_actions").update(interval=every_second)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_beat_and_a_worker_fire_a_scheduled_action_once_and_one_email_lands(tmp_path):
    mailbox = tmp_path / "mail"
    user = UserFactory(email="roundtrip@example.ru")
    tick_the_clock_every_second()
    queue = f"roundtrip-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_DELIVERY_QUEUE": f"{queue}-deliveries",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mailbox),
        "VAR_DIR": str(tmp_path / "var"),
        "CONN_MAX_AGE": "0",
    }
    for name in ("ANYMAIL_ESP", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [
                *celery,
                "worker",
                "-P",
                "solo",
                "-Q",
                f"{queue},{queue}-deliveries",
                "--include",
                "tests.notifications.roundtrip_handlers",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*celery, "beat", "-l", "INFO", "--pidfile", str(tmp_path / "beat.pid")],
            cwd=ROOT,
            env=env,
            stdout=logs["beat"],
            stderr=subprocess.STDOUT,
        ),
    ]
    from admin24 import timers

    action = timers.schedule(user, ACTION, at=timezone.now() + dt.timedelta(seconds=2))
    try:
        delivered = wait_for(
            lambda: (
                OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).exists()
                and mailbox.exists()
                and any(mailbox.iterdir())
            ),
            timeout=25,
        )
        # Long enough for several more ticks of the clock: none may fire the action again.
        time.sleep(3)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
    output = "\n".join(f"--- {name}\n{(tmp_path / f'{name}.log').read_text()[-3000:]}" for name in logs)
    assert delivered, output

    action.refresh_from_db()
    assert action.status == ScheduledAction.Status.DONE
    assert action.finished_at >= action.due_at
    assert action.attempts == 0
    (message,) = OutboxMessage.objects.all()
    assert message.status == OutboxMessage.Status.SENT
    assert titles(Notification.objects.filter(recipient=user)) == ["Round trip"]
    (email_file,) = list(mailbox.iterdir())
    email = message_from_bytes(email_file.read_bytes())
    assert email["To"] == "roundtrip@example.ru"
    assert email["Subject"] == "Round trip"
    assert email["Message-ID"] == message.message_id
