"""Storing a message first, processing it once."""

import logging
from datetime import timedelta
from functools import partial

from celery import current_app
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ...models import InboundEmail
from . import parse

log = logging.getLogger(__name__)

SWEEP_MIN_AGE = timedelta(minutes=1)
SWEEP_BATCH = 200
MAX_ATTEMPTS = 5


def ingest(raw: bytes, *, source: str = InboundEmail.Source.OTHER, process_now: bool = False) -> InboundEmail:
    """Store the message (or find it stored already) and have it processed.

    ``process_now`` processes it before returning (the MTA pipe's definite answer); otherwise a
    Celery task does after commit, and the sweeper when the broker was down.
    """
    raw = bytes(raw)
    try:
        headers = parse.parse_bytes(raw)
        message_id = parse.message_id_of(headers)
        from_address = parse._addresses(headers, "From")
        subject = parse.header_text(headers, "Subject")
    except Exception:
        message_id, from_address, subject = "", [], ""
    digest = parse.digest(raw)
    key = message_id or f"digest:{digest}"
    existing = InboundEmail.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    row = InboundEmail(
        dedupe_key=key,
        message_id=message_id,
        digest=digest,
        from_address=(from_address[0][1].lower() if from_address else "")[:320],
        subject=subject[:500],
        source=source,
        size=len(raw),
    )
    row.raw.save(f"{digest}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        row.raw.delete(save=False)
        return InboundEmail.objects.get(dedupe_key=key)
    if process_now:
        process(row.pk)
        row.refresh_from_db()
    else:
        transaction.on_commit(partial(_publish, row.pk))
    return row


def _publish(pk: int) -> None:
    try:
        current_app.tasks["servicedesk.process_inbound_email"].delay(pk)
    except Exception:
        log.warning("inbound email %s: could not queue its processing; the sweeper will", pk, exc_info=True)


def process(pk: int) -> str | None:
    """Process one stored message if it is still ``received``; returns its final status."""
    from .handle import handle

    with transaction.atomic():
        row = InboundEmail.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if row is None or row.status != InboundEmail.Status.RECEIVED:
            return None
        row.attempts += 1
        try:
            with transaction.atomic():
                with row.raw.open("rb") as handle_file:
                    raw = handle_file.read()
                outcome = handle(row, raw)
        except Exception as exc:
            log.exception("inbound email %s could not be processed", pk)
            outcome = (InboundEmail.Status.QUARANTINED, "unreadable", {"error": f"{type(exc).__name__}: {exc}"[:500]})
        status, reason, params = outcome
        row.status, row.reason, row.reason_params = status, reason, params
        row.processed_at = timezone.now()
        if status != InboundEmail.Status.PROCESSED:
            row.ticket_id = row.ticket_id if reason in ("bounce",) else None
            row.comment_id = None
            row.opened_ticket = False
        row.save()
        return row.status


def process_again(rows) -> int:
    """Administrators' "process again": back to ``received`` and processed now."""
    count = 0
    for row in rows:
        InboundEmail.objects.filter(pk=row.pk).update(
            status=InboundEmail.Status.RECEIVED, reason="", reason_params={}, ticket=None, comment=None
        )
        process(row.pk)
        count += 1
    return count


def sweep(*, now=None) -> int:
    """Process what a crash, or a broker that was down, left ``received``."""
    now = now or timezone.now()
    pks = list(
        InboundEmail.objects.filter(
            status=InboundEmail.Status.RECEIVED, received_at__lte=now - SWEEP_MIN_AGE
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in pks:
        process(pk)
    return len(pks)
