import logging
from collections import Counter

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="admin24.ping")
def ping(value: str) -> str:
    """Answers with what it was given: proves a worker is consuming (tests, ops checks)."""
    return f"pong:{value}"


@shared_task(name="admin24.run_due_actions")
def run_due_actions() -> int:
    """The automation clock's tick (beat, every 30 s): runs every action that is due."""
    from admin24 import timers

    tally = Counter()
    ran = timers.run_due_until_idle(tally=tally)
    if ran:
        log.info(
            "The clock ran %d action(s): %s",
            ran,
            "; ".join(f"{action} {outcome} {count}" for (action, outcome), count in sorted(tally.items())),
        )
    return ran
