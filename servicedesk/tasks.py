"""Thin Celery tasks of the Service Desk: they take ids and call the intake."""

from celery import shared_task

from .intake import email as inbound
from .intake import telegram


@shared_task(name="servicedesk.telegram_handle")
def telegram_handle(update_pk: int) -> None:
    telegram.handle(update_pk)


@shared_task(name="servicedesk.telegram_sweep")
def telegram_sweep() -> int:
    return telegram.sweep()


@shared_task(name="servicedesk.process_inbound_email")
def process_inbound_email(pk: int | None = None) -> int:
    """One batch of the waiting messages, the oldest first (``pk``'s among them, or taken by an
    earlier task of the burst that published it): a burst is processed a batch at a time. While
    messages are left waiting after its batch (more than a batch's count or bytes), the task
    queues itself again for them: one publish serves a whole burst (``store.kick``), other
    workers can share it, and the sweeper is not needed for it."""
    done = len(inbound.process_batch())
    if done and inbound.waiting():
        process_inbound_email.delay()
    return done


@shared_task(name="servicedesk.sweep_inbound_email")
def sweep_inbound_email() -> int:
    return inbound.sweep()


@shared_task(name="servicedesk.poll_mailbox")
def poll_mailbox() -> int:
    from .intake.email import mailbox

    return mailbox.poll()
