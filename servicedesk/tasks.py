"""Celery tasks of the Service Desk: thin, by id, the work is in the clock action they run."""

from celery import shared_task

from admin24 import timers


@shared_task(name="servicedesk.ticket_follow_up", ignore_result=True)
def follow_up(action_id: int) -> int:
    """Run an accepted ticket's follow-up action now (a no-op when the beat has run it already)."""
    return timers.run_now([action_id])
