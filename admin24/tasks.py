from celery import shared_task


@shared_task(name="admin24.ping")
def ping(value: str) -> str:
    """Answers with what it was given: proves a worker is consuming (tests, ops checks)."""
    return f"pong:{value}"


@shared_task(name="admin24.run_due_actions")
def run_due_actions() -> int:
    """The automation clock's tick (beat, every 30 s): runs every action that is due."""
    from admin24 import timers

    return timers.run_due_until_idle()
