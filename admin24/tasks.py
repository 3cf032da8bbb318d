from celery import shared_task


@shared_task(name="admin24.ping")
def ping(value: str) -> str:
    """Answers with what it was given: proves a worker is consuming (tests, ops checks)."""
    return f"pong:{value}"
