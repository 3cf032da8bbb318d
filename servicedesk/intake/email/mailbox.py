"""The IMAP mailbox poller: reads new mail once, moves it to the processed folder, never deletes.

It remembers the folder's UIDVALIDITY and the last UID it stored; each message is stored
(``ingest``) before it is moved, so a crash in between re-reads it and the Message-ID
deduplicates it. One poller at a time (a cache lock); a failing server is retried with a
backoff, and its last error is shown on the settings page.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

from ...models import DeskSettings, InboundEmail
from .store import ingest

log = logging.getLogger(__name__)

LOCK = "servicedesk.poll_mailbox"
LOCK_SECONDS = 600
BATCH = 200
LONGEST_BACKOFF = timedelta(hours=1)
TIMEOUT = 30


def _connect(desk: DeskSettings):
    kinds = {"ssl": MailBox, "starttls": MailBoxStartTls, "none": MailBoxUnencrypted}
    return kinds.get(desk.imap_security, MailBox)(desk.imap_host, desk.imap_port, timeout=TIMEOUT)


def poll(*, now=None, force: bool = False) -> int:
    """Read the new messages of the configured mailbox; returns how many were stored."""
    desk = DeskSettings.load()
    if not desk.imap_host:
        return 0
    now = now or timezone.now()
    if not force and desk.imap_retry_at and desk.imap_retry_at > now:
        return 0
    if not cache.add(LOCK, "1", LOCK_SECONDS):
        return 0
    try:
        stored = _poll(desk)
    except Exception as exc:
        failures = desk.imap_failures + 1
        wait = min(timedelta(minutes=2 ** min(failures - 1, 10)), LONGEST_BACKOFF)
        DeskSettings.objects.filter(pk=desk.pk).update(
            imap_failures=failures,
            imap_retry_at=now + wait,
            imap_last_error=f"{timezone.localtime(now):%Y-%m-%d %H:%M}: {type(exc).__name__}: {exc}"[:2000],
            imap_polled_at=now,
        )
        log.warning("the mailbox %s could not be read: %s", desk.imap_host, exc)
        return 0
    finally:
        cache.delete(LOCK)
    DeskSettings.objects.filter(pk=desk.pk).update(
        imap_failures=0, imap_retry_at=None, imap_last_error="", imap_polled_at=now
    )
    return stored


def _poll(desk: DeskSettings) -> int:
    stored = 0
    with _connect(desk).login(desk.imap_login, desk.imap_password, initial_folder=None) as mailbox:
        target = desk.imap_processed_folder.strip()
        if target and not mailbox.folder.exists(target):
            mailbox.folder.create(target)
        status = mailbox.folder.status(desk.imap_folder, ["UIDVALIDITY"])
        validity = int(status["UIDVALIDITY"])
        last = desk.imap_last_uid if desk.imap_uidvalidity == validity else 0
        mailbox.folder.set(desk.imap_folder)
        client = mailbox.client
        _kind, data = client.uid("SEARCH", None, f"UID {last + 1}:*")
        uids = [int(u) for u in (data[0] or b"").split() if int(u) > last][:BATCH]
        for uid in uids:
            _kind, fetched = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                continue
            ingest(raw, source=InboundEmail.Source.IMAP)
            stored += 1
            if target:
                mailbox.move(str(uid), target)
            DeskSettings.objects.filter(pk=desk.pk).update(imap_uidvalidity=validity, imap_last_uid=uid)
        if not uids:
            DeskSettings.objects.filter(pk=desk.pk).update(imap_uidvalidity=validity, imap_last_uid=last)
    return stored
