import logging
import time
from collections import Counter

from celery import current_app, shared_task

log = logging.getLogger(__name__)


class Kick:
    """Have a worker run a task that takes everything waiting, within ``seconds`` or so.

    For writes that come in bursts (tickets, inbound mail), each wanting a worker soon: the first
    write publishes the task due ``seconds`` later, and the writes in the next ``seconds`` publish
    nothing — they are committed before that task runs, and it takes all that is waiting by then
    (so the task must take everything waiting, not only what it was published for). A burst costs
    one publish, not one per write (a publish costs about as much as the write). Per process: each
    process kicks once in its own ``seconds``.

    An eager Celery (tests, no worker) runs the task inline at once, nothing is due later: there
    every kick publishes. A broker that is down is logged, and ``fallback`` (a periodic task)
    does the work. The clock is the wall clock, which tests move by time travel; a clock set back
    counts as the pause elapsed, so no kick is skipped for longer than ``seconds``.
    """

    def __init__(self, task: str, *, fallback: str, seconds: float = 1.0):
        self.task, self.fallback, self.seconds = task, fallback, seconds
        self.last_at: float | None = None  # time.time() of this process's last publish

    def __call__(self, *args) -> bool:
        """Publish the task unless this process did less than ``seconds`` ago; whether it tried."""
        eager = current_app.conf.task_always_eager
        now = time.time()
        if not eager and self.last_at is not None and 0 <= now - self.last_at < self.seconds:
            return False
        self.last_at = now
        try:
            current_app.tasks[self.task].apply_async(args, countdown=None if eager else self.seconds)
        except Exception:
            log.warning("could not queue %s; %s", self.task, self.fallback, exc_info=True)
        return True


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
