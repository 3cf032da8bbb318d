"""Storing a message first, processing it once — in batches.

``ingest`` stores one message and ``ingest_many`` a burst (the poller's fetch): the raw files and
one INSERT (``admin24.bulk.insert_new``: a re-delivered Message-ID is skipped by the unique key,
not looked up first), then one task is kicked. Processing claims received rows in batches
(``process_batch``) and decides them together (``handle.handle_batch``) with a fixed number of
queries per batch; a single message (the MTA pipe, "process again") is a batch of one.
"""

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from admin24 import bulk
from admin24.tasks import Kick

from ...models import InboundEmail
from . import parse

log = logging.getLogger(__name__)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")

SWEEP_MIN_AGE = timedelta(minutes=1)
# Messages claimed and decided together; large enough to spread a batch's queries thin, small
# enough that a batch's transaction (and its row locks) stays short.
BATCH = 100
# A batch holds its messages in memory: past this many bytes of raw mail it stops (one message at least).
BATCH_BYTES = 50 * 1024 * 1024
OUTCOME_FIELDS = ["status", "reason", "reason_params", "processed_at", "ticket", "comment", "opened_ticket", "attempts"]

# A burst of mail is one task: the task takes every message waiting, a batch at a time
# (``servicedesk.process_inbound_email`` queues itself again after a full batch).
kick = Kick("servicedesk.process_inbound_email", fallback="the sweeper will process the waiting mail")


def ingest(raw: bytes, *, source: str = InboundEmail.Source.OTHER, process_now: bool = False) -> InboundEmail:
    """Store the message (or find it stored already) and have it processed.

    ``process_now`` processes it before returning (the MTA pipe's definite answer); otherwise a
    Celery task does after commit, and the sweeper when the broker was down.
    """
    row, new = _store([raw], source)[0]
    if new and process_now:
        done = process_batch([row.pk])
        return done[0] if done else InboundEmail.objects.get(pk=row.pk)
    if new:
        transaction.on_commit(kick)
    return row


def ingest_many(raws, *, source: str = InboundEmail.Source.OTHER) -> list[InboundEmail]:
    """Store a burst of messages (the poller's fetch) with one INSERT and have them processed by
    one task; returns each message's row, in order.

    The same deduplication as ``ingest``: a message stored before is found under its first row,
    and the same message twice in the burst is stored once (both get that row).
    """
    stored = _store(raws, source)
    if any(new for _row, new in stored):
        transaction.on_commit(kick)
    return [row for row, _new in stored]


def bursts(items, size) -> Iterator[list]:
    """``items`` in consecutive groups stored together by ``ingest_many`` (the poller's fetches):
    at most a processing batch's count and bytes (``size(item)``), one item at least — the
    burst in memory stays bounded, and the task takes it in one batch."""
    burst, total = [], 0
    for item in items:
        if burst and (len(burst) == BATCH or total + size(item) > BATCH_BYTES):
            yield burst
            burst, total = [], 0
        burst.append(item)
        total += size(item)
    if burst:
        yield burst


def _store(raws, source: str) -> list[tuple[InboundEmail, bool]]:
    """Each message's row and whether this call stored it. The raw files are written first; a
    row that is not inserted (stored before) or an INSERT that fails takes its file away again."""
    rows, first = [], {}
    for raw in raws:
        row = _row(bytes(raw), source)
        rows.append(first.setdefault(row.dedupe_key, row))
    new = list(first.values())
    try:
        for row in new:
            row.raw.save(f"{row.digest}.eml", ContentFile(row.raw_bytes), save=False)
            del row.raw_bytes
        inserted = set()
        # Called at once: no ``bulk.one_statement`` holds the INSERT, whose answer is read next.
        bulk.insert_new(new, "dedupe_key", then=lambda rows: inserted.update(row.dedupe_key for row in rows))
    except BaseException:
        for row in new:
            if row.raw:
                row.raw.delete(save=False)
        raise
    refused = [row for row in new if row.dedupe_key not in inserted]
    for row in refused:
        # Delivered before (providers re-deliver, pollers re-read): processed once, under the first row.
        row.raw.delete(save=False)
    earlier = {}
    if refused:
        earlier = {
            row.dedupe_key: row for row in InboundEmail.objects.filter(dedupe_key__in=[r.dedupe_key for r in refused])
        }
    found = {key: row if key in inserted else earlier[key] for key, row in first.items()}
    return [(found[row.dedupe_key], row.dedupe_key in inserted) for row in rows]


def _row(raw: bytes, source: str) -> InboundEmail:
    """The unsaved row of a message (its bytes in ``raw_bytes`` until the file is written)."""
    try:
        # The headers only: the body is read once, when the message is processed.
        blank = _BLANK_LINE.search(raw)
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: blank.end()] if blank else raw)
        message_id = parse.message_id_of(headers)
        from_address = parse.sender(headers)[1]
        subject = parse.header_text(headers, "Subject")
    except Exception:
        message_id, from_address, subject = "", "", ""
    digest = parse.digest(raw)
    row = InboundEmail(
        dedupe_key=message_id or f"digest:{digest}",
        message_id=message_id,
        digest=digest,
        from_address=from_address[:320],
        subject=subject[:500],
        source=source,
        size=len(raw),
    )
    row.raw_bytes = raw
    return row


def process(pk: int) -> str | None:
    """Process one stored message if it is still ``received``; returns its final status."""
    done = process_batch([pk])
    return done[0].status if done else None


def process_batch(pks=None, *, limit: int = BATCH, received_before=None) -> list[InboundEmail]:
    """Claim up to ``limit`` received messages (among ``pks`` when given, the oldest first) and
    process them together; returns the rows, each processed, ignored or quarantined with a reason.

    The claim locks the rows (``skip_locked``: two workers never take the same message). The
    batch is decided in one savepoint; if anything in it fails, it is rolled back and each
    message is decided alone in its own savepoint, so a message that cannot be handled is
    quarantined with the error and the others go through.
    """
    from .handle import Item, handle_batch

    with transaction.atomic():
        claim = InboundEmail.objects.select_for_update(skip_locked=True).filter(status=InboundEmail.Status.RECEIVED)
        if pks is not None:
            claim = claim.filter(pk__in=list(pks))
        if received_before is not None:
            claim = claim.filter(received_at__lte=received_before)
        rows = list(claim.order_by("received_at", "pk")[:limit])
        if not rows:
            return []
        total = 0
        for cut, row in enumerate(rows):
            total += row.size
            if total > BATCH_BYTES and cut:
                rows = rows[:cut]  # the rest stays received (unlocked at commit) for the next batch
                break
        for row in rows:
            row.attempts += 1
        items = [Item(row=row, raw=_read(row)) for row in rows]
        try:
            with transaction.atomic():
                handle_batch(items)
        except Exception:
            if len(items) > 1:
                log.warning("inbound email batch of %d failed; deciding each message alone", len(items), exc_info=True)
            items = [_alone(item) for item in items]
        now = timezone.now()
        for item in items:
            _finish(item, now)
        bulk.update_rows(rows, OUTCOME_FIELDS)
    return rows


def _read(row: InboundEmail) -> bytes:
    with row.raw.open("rb") as stored:
        return stored.read()


def _alone(item):
    from .handle import Item, handle_batch

    row = item.row
    row.ticket, row.comment, row.opened_ticket = None, None, False
    fresh = Item(row=row, raw=item.raw)
    try:
        with transaction.atomic():
            handle_batch([fresh])
    except Exception as exc:
        log.exception("inbound email %s could not be processed", row.pk)
        fresh.end(InboundEmail.Status.QUARANTINED, "unreadable", {"error": f"{type(exc).__name__}: {exc}"[:500]})
    return fresh


def _finish(item, now) -> None:
    row = item.row
    row.status, row.reason, row.reason_params = item.outcome
    row.processed_at = now
    if row.status != InboundEmail.Status.PROCESSED:
        # A bounce keeps the ticket whose email it returns; other unprocessed mail belongs to none.
        if row.reason != "bounce":
            row.ticket = None
        row.comment = None
        row.opened_ticket = False


def process_waiting(*, received_before=None, limit: int = BATCH) -> int:
    """Process every message left ``received`` (those received before ``received_before``), batch by batch."""
    count = 0
    while True:
        done = process_batch(limit=limit, received_before=received_before)
        count += len(done)
        if not done:
            return count


def waiting() -> bool:
    """Whether any message is still waiting to be processed."""
    return InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED).exists()


def process_again(rows) -> int:
    """Administrators' "process again": back to ``received`` and processed now, together."""
    pks = [row.pk for row in rows]
    InboundEmail.objects.filter(pk__in=pks).update(
        status=InboundEmail.Status.RECEIVED, reason="", reason_params={}, ticket=None, comment=None, opened_ticket=False
    )
    count = 0
    for start in range(0, len(pks), BATCH):
        count += len(process_batch(pks[start : start + BATCH]))
    return count


def sweep(*, now=None) -> int:
    """Process what a crash, or a broker that was down, left ``received``."""
    return process_waiting(received_before=(now or timezone.now()) - SWEEP_MIN_AGE)


def client_bounce(ticket) -> InboundEmail | None:
    """The delivery failure report that says the client's address does not take our mail, for the
    mark on the ticket card: the latest bounce of an email about this ticket, unless the client has
    written from that address since (then it works again; a colleague's email says nothing of it)."""
    bounce = (
        InboundEmail.objects.filter(ticket=ticket, reason="bounce", status=InboundEmail.Status.IGNORED)
        .order_by("-received_at", "-pk")
        .first()
    )
    if bounce is None:
        return None
    answered = InboundEmail.objects.filter(
        ticket=ticket,
        status=InboundEmail.Status.PROCESSED,
        from_address=ticket.client_email_normalized,
        received_at__gt=bounce.received_at,
    ).exists()
    return None if answered else bounce
