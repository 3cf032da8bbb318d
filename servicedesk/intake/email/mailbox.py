"""The IMAP mailbox poller: reads new mail once, moves it to the processed folder, never deletes.

It remembers the folder's UIDVALIDITY and the last UID it stored. New mail is read in bursts
(``store.bursts``: a processing batch's count and bytes, by the sizes the server gives): one FETCH,
one INSERT and one task for the burst (``ingest_many``), then one MOVE; each burst is stored
before it is moved, so a crash in between re-reads it and the Message-ID deduplicates it. One
poller at a time (a cache lock); a failing server is retried with a backoff, and its last error
is shown on the settings page.
"""

import logging
import re
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

from ...models import DeskSettings, InboundEmail
from .store import bursts, ingest_many

log = logging.getLogger(__name__)

LOCK = "servicedesk.poll_mailbox"
LOCK_SECONDS = 600
BATCH = 200  # messages read per poll at most: a poll holds the lock a bounded time
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


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def _poll(desk: DeskSettings) -> int:
    stored = 0
    with _connect(desk).login(desk.imap_login, desk.imap_password, initial_folder=None) as mailbox:
        target = desk.imap_processed_folder.strip()
        if target and not mailbox.folder.exists(target):
            mailbox.folder.create(target)
        status = mailbox.folder.status(desk.imap_folder, ["UIDVALIDITY", "MESSAGES"])
        validity = int(status["UIDVALIDITY"])
        last = desk.imap_last_uid if desk.imap_uidvalidity == validity else 0
        mailbox.folder.set(desk.imap_folder)
        client = mailbox.client
        # The new messages' UIDs and sizes in one command ("n:*" answers the last message even
        # when it is older than n: hence the filter). An empty folder is not asked: some servers
        # answer "*" there with an error.
        data = client.uid("FETCH", f"{last + 1}:*", "(RFC822.SIZE)")[1] if int(status["MESSAGES"]) else []
        sizes = {}
        for line in data:
            line = line if isinstance(line, bytes) else b""
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size and int(uid[1]) > last:
                sizes[int(uid[1])] = int(size[1])
        uids = sorted(sizes)[:BATCH]
        for burst in bursts(uids, sizes.__getitem__):
            raws = _fetch(client, burst)
            ingest_many([raws[uid] for uid in burst if uid in raws], source=InboundEmail.Source.IMAP)
            stored += len(raws)
            if target:
                mailbox.move([str(uid) for uid in burst], target)
            DeskSettings.objects.filter(pk=desk.pk).update(imap_uidvalidity=validity, imap_last_uid=burst[-1])
        if not uids:
            DeskSettings.objects.filter(pk=desk.pk).update(imap_uidvalidity=validity, imap_last_uid=last)
    return stored


def _fetch(client, uids: list[int]) -> dict[int, bytes]:
    """The raw messages of ``uids`` by UID, in one command (a message gone meanwhile is absent)."""
    _kind, fetched = client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    raws = {}
    for at, item in enumerate(fetched):
        if not isinstance(item, tuple):
            continue
        # The UID is in the line before the literal, or (some servers) in the bytes after it.
        after = fetched[at + 1] if at + 1 < len(fetched) and isinstance(fetched[at + 1], bytes) else b""
        uid = _UID.search(item[0]) or _UID.search(after)
        if uid:
            raws[int(uid[1])] = item[1]
    return raws
