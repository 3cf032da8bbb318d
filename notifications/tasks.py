"""Thin Celery tasks: they take ids and call the services."""

from celery import shared_task

from . import services


@shared_task(bind=True, name="notifications.deliver", max_retries=None)
def deliver(self, message_id: int) -> None:
    # Attempts are counted on the row, not by Celery, so the sweeper's re-publishes share one budget.
    wait = services.outbox_deliver(message_id=message_id)
    if wait is not None:
        raise self.retry(countdown=wait.total_seconds())


@shared_task(name="notifications.deliver_many")
def deliver_many(message_ids: list[int]) -> None:
    # The rows a batch wrote, delivered in one task (``services._publish_many``); each row as ``deliver`` does.
    services.outbox_deliver_many(message_ids=message_ids)


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    return services.outbox_sweep()
