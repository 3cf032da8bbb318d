"""A batch's outbox rows (``notify_many``) are delivered by one task per 20 rows, not one broker
round trip per row; a crash between the commit and the publish is still covered by the sweeper."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.signals import task_prerun
from django.core import mail
from django.db import transaction

from notifications import services
from notifications.models import OutboxMessage
from notifications.services import Notice, notify_many

pytestmark = pytest.mark.django_db

CURRENT_TIME = dt.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture
def tasks_run():
    """The (name, arguments) of every task a worker (here: the eager path) runs, in order."""
    ran = []

    def record(sender=None, args=None, **_kwargs):
        ran.append((sender.name, args[0] if args else None))

    task_prerun.connect(record, weak=False)
    yield ran
    task_prerun.disconnect(record)


def reminders(count: int) -> list[Notice]:
    context = {"title": "Позвонить клиенту", "text": "Клиент ждёт звонка.", "link": "/crm/deals/7/"}
    return [Notice(f"client-{n}@example.ru", "reminder", context, key=f"batch:{n}") for n in range(count)]


def test_a_batch_of_45_rows_is_delivered_by_three_tasks_after_commit(tasks_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_many(reminders(45))
        assert tasks_run == []  # nothing before the commit
    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    assert tasks_run == [
        ("notifications.deliver_many", ids[:20]),
        ("notifications.deliver_many", ids[20:40]),
        ("notifications.deliver_many", ids[40:]),
    ]
    assert sorted(email.to[0] for email in mail.outbox) == sorted(f"client-{n}@example.ru" for n in range(45))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}


def test_a_task_near_its_time_limit_leaves_the_rest_of_its_rows_to_a_task_of_their_own(
    settings, tasks_run, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # every send takes "too long": one row a task
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(reminders(3))
    a, b, c = OutboxMessage.objects.order_by("pk").values_list("pk", flat=True)
    assert tasks_run == [
        ("notifications.deliver_many", [a, b, c]),
        ("notifications.deliver_many", [b, c]),
        ("notifications.deliver_many", [c]),
    ]
    assert len(mail.outbox) == 3


@time_machine.travel(CURRENT_TIME, tick=False)
def test_rows_whose_publish_was_lost_are_delivered_once_by_the_sweeper(
    broker_down, tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_many(reminders(25))
    # Committed; the publish failed, as if the process had died right after the commit.
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.PENDING}
    assert mail.outbox == []
    broker_down()  # the broker is back
    with time_machine.travel(CURRENT_TIME + dt.timedelta(seconds=30), tick=False):
        assert services.outbox_sweep() == 0  # too fresh: its own task may still come
    with time_machine.travel(CURRENT_TIME + dt.timedelta(minutes=1), tick=False):
        assert services.outbox_sweep() == 25
        assert services.outbox_sweep() == 0
    assert len(mail.outbox) == 25
    assert {name for name, _ids in tasks_run} == {"notifications.deliver"}
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}
