"""Issue 12 §5: an SMTP server that accepts and never answers costs one attempt EMAIL_TIMEOUT long,
not a worker; deliveries have a queue of their own, apart from the clock's."""

import contextlib
import socket
import threading
import time

import pytest
from django.conf import settings as project_settings

from config.celery import app
from notifications.models import OutboxMessage
from notifications.services import notify, outbox_deliver

pytestmark = pytest.mark.django_db

SILENT_FOR = 40  # the fake server closes its connections after this long: a run without a timeout fails, not hangs


@pytest.fixture
def silent_smtp():
    """A local server that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append((server.accept()[0], time.monotonic()))
            for sock, since in list(held):
                if time.monotonic() - since > SILENT_FOR:
                    sock.close()
                    held.remove((sock, since))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for sock, _since in held:
        sock.close()
    server.close()


def test_a_silent_smtp_server_fails_the_attempt_within_the_timeout_and_the_row_is_retried(silent_smtp, settings):
    assert 0 < project_settings.EMAIL_TIMEOUT <= 30  # the project's own default, no override here
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent_smtp
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    (message,) = notify("client@example.ru", "reminder", {"title": "Счёт", "text": "Оплатите счёт."})

    started = time.monotonic()
    wait = outbox_deliver(message_id=message.pk)
    took = time.monotonic() - started

    assert took < project_settings.EMAIL_TIMEOUT + 5
    assert wait is not None  # retried later
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert "timed out" in message.last_error


def test_deliveries_and_the_clock_are_routed_to_different_queues():
    def queue_of(task_name):
        return app.amqp.router.route({}, task_name)["queue"].name

    for delivery_task in ("notifications.deliver", "notifications.deliver_many"):
        assert queue_of(delivery_task) == project_settings.CELERY_DELIVERY_QUEUE
    for clock_task in ("admin24.run_due_actions", "notifications.sweep_outbox"):
        assert queue_of(clock_task) == project_settings.CELERY_TASK_DEFAULT_QUEUE
    assert project_settings.CELERY_DELIVERY_QUEUE != project_settings.CELERY_TASK_DEFAULT_QUEUE


def test_every_outside_call_has_a_timeout():
    assert 0 < project_settings.IMAP_TIMEOUT <= 60
    assert 0 < project_settings.TELEGRAM_TIMEOUT <= 60
    assert 0 < project_settings.REDIS_TIMEOUT <= 10
