"""A clock handler for the round-trip test; the test's Celery worker imports it with --include."""

from admin24 import timers
from notifications.services import notify

ACTION = "tests.notifications.roundtrip"


@timers.handler(ACTION)
def remind(target, action):
    notify(
        target,
        "reminder",
        {"title": "Round trip", "text": "The clock fired and the outbox delivered."},
    )  # no idempotency key: a second firing would show as a second email
