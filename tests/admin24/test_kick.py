"""admin24.tasks.Kick: a burst of writes publishes one task, due a second later (time travel, no sleeping)."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from admin24.tasks import Kick
from config.celery import app

START = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


@pytest.fixture
def broker():
    """Publishing goes to an in-memory broker no worker reads; yields the tasks waiting in it."""
    names = ("broker_url", "broker_transport", "broker_transport_options", "task_always_eager")
    saved = {name: app.conf[name] for name in names}

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(
        broker_url="memory://", broker_transport="memory", broker_transport_options={}, task_always_eager=False
    )
    reset_pools()

    def waiting():
        """The (task name, ETA) of each published task, taken off the queue."""
        found = []
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue(app.conf.task_default_queue)
            while queue.qsize():
                message = queue.get(timeout=1)
                found.append((message.headers["task"], datetime.fromisoformat(message.headers["eta"])))
                message.ack()
            queue.close()
        return found

    yield waiting
    app.conf.update(saved)
    reset_pools()


def test_a_burst_publishes_one_task_due_a_second_later_and_the_next_second_another(broker):
    kick = Kick("admin24.ping", fallback="the beat will")
    with time_machine.travel(START, tick=False) as clock:
        assert kick("a") is True
        clock.shift(timedelta(milliseconds=400))
        assert kick("b") is False
        clock.shift(timedelta(milliseconds=599))  # 0.999 s after the publish
        assert kick("c") is False
        assert broker() == [("admin24.ping", START + timedelta(seconds=1))]  # due when the burst is stored
        clock.shift(timedelta(milliseconds=1))  # 1 s after: a new burst
        assert kick("d") is True
        assert broker() == [("admin24.ping", START + timedelta(seconds=2))]


def test_a_clock_set_back_does_not_stop_the_kicks(broker):
    kick = Kick("admin24.ping", fallback="the beat will")
    with time_machine.travel(START, tick=False) as clock:
        assert kick("a") is True
        clock.move_to(START - timedelta(hours=1))
        assert kick("b") is True  # not an hour without a worker told
    assert len(broker()) == 2


def test_each_kick_has_its_own_second(broker):
    mail, tickets = Kick("admin24.ping", fallback="-"), Kick("admin24.run_due_actions", fallback="-")
    with time_machine.travel(START, tick=False):
        assert mail("a") is True and tickets() is True
    assert sorted(name for name, _eta in broker()) == ["admin24.ping", "admin24.run_due_actions"]


def test_an_eager_celery_runs_every_kick(broker, caplog):
    # Inline tasks are not due later: a skipped kick would leave its work undone.
    app.conf.task_always_eager = True
    kick = Kick("admin24.ping", fallback="-")
    caplog.set_level(logging.INFO, logger="celery.app.trace")
    with time_machine.travel(START, tick=False):
        assert kick("a") is True and kick("b") is True
    assert caplog.text.count("admin24.ping") == 2
    assert broker() == []


def test_a_broker_that_is_down_is_logged_with_what_does_the_work_instead(broker_down, caplog):
    caplog.set_level(logging.WARNING)
    kick = Kick("admin24.ping", fallback="the clock's beat will run them")
    assert kick("a") is True  # tried: no exception reaches the request that wrote
    assert "could not queue admin24.ping; the clock's beat will run them" in caplog.text
