"""Thin Celery tasks of the service desk: they take ids and call the intake."""

from celery import shared_task

from .intake import telegram


@shared_task(name="servicedesk.telegram_handle")
def telegram_handle(update_pk: int) -> None:
    telegram.handle(update_pk)


@shared_task(name="servicedesk.telegram_sweep")
def telegram_sweep() -> int:
    return telegram.sweep()
