"""Thin Celery tasks of the Service Desk: they take ids and call the services."""

from celery import shared_task

from .intake import email as inbound


@shared_task(name="servicedesk.process_inbound_email")
def process_inbound_email(pk: int) -> str | None:
    return inbound.process(pk)


@shared_task(name="servicedesk.sweep_inbound_email")
def sweep_inbound_email() -> int:
    return inbound.sweep()


@shared_task(name="servicedesk.poll_mailbox")
def poll_mailbox() -> int:
    from .intake.email import mailbox

    return mailbox.poll()
