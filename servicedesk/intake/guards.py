"""Anti-abuse for anonymous intake: rate limits per IP and per email, honeypot, render timestamp.

The counters live in the default cache, which every process shares (Redis in production): one
counter per client address (``admin24.client_address``: behind a trusted proxy, the address it
forwards; an IPv6 client's whole /64) and per email for each fixed window of the rate's period.
Every post counts against its address; only *accepted* tickets count against their email, so
posts that are refused (a bot's, or someone's naming a victim's email) never lock the email's
owner out — what the limit stops is a flood of real tickets, which the owner would notice. The
web form's post reads the email's counter in the same round trip as it counts the address; the
ticket, once accepted, adds to it. The limits are settings so that a load test can raise them:
SERVICEDESK_FORM_RATE_PER_IP, SERVICEDESK_FORM_RATE_PER_EMAIL and SERVICEDESK_FORM_MIN_SECONDS.
"""

import hashlib
import re
import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from admin24.client_address import client_bucket
from admin24.normalize import normalize_email
from admin24.workflow import DomainError

from . import shared_cache

STAMP_SALT = "servicedesk.form-rendered"
# A form open longer than this is sent again with a fresh stamp: a bot cannot keep replaying one.
STAMP_MAX_AGE = 2 * 3600

TOO_MANY = _("Too many requests were sent from here. Please try again in an hour or write to us by email.")
TOO_FAST = _("The form was sent too quickly after it was opened. Please check it and send it again.")
EXPIRED = _("The form has expired. Reload the page and send it again.")
AUTOMATED = _("Your request looks automated and was not accepted. If it is not, write to us by email.")
SENT_ALREADY = _(
    "This form was sent already and your request was accepted: its confirmation is on its way to your email. "
    "To send one more request, send the form again."
)


class Refused(DomainError):
    """The intake will not take this post: 429 over a rate limit, 409 for the same post sent again,
    400 for a stale or automated form."""

    def __init__(self, message):
        super().__init__(message)
        self.status_code = 429 if message == TOO_MANY else 409 if message == SENT_ALREADY else 400


def rate_per_ip() -> str:
    return settings.SERVICEDESK_FORM_RATE_PER_IP


def rate_per_email() -> str:
    return settings.SERVICEDESK_FORM_RATE_PER_EMAIL


def min_seconds() -> int:
    return settings.SERVICEDESK_FORM_MIN_SECONDS


def render_stamp() -> str:
    """A signed "the form was rendered now" for the hidden field."""
    return signing.Signer(salt=STAMP_SALT).sign(str(int(time.time())))


def check_stamp(value: str) -> None:
    try:
        rendered = int(signing.Signer(salt=STAMP_SALT).unsign(value or ""))
    except (signing.BadSignature, ValueError):
        raise Refused(EXPIRED) from None
    age = time.time() - rendered
    if age > STAMP_MAX_AGE:
        raise Refused(EXPIRED)
    if age < min_seconds():
        raise Refused(TOO_FAST)


def sent_counter(request) -> tuple[str, int, int]:
    """The counter of this very post — its values with its render stamp, from its client
    address — for as long as the stamp is taken: a second click or a browser's resend of the
    same form counts 2 and makes no second ticket, while the same text sent from a form opened
    again (a fresh stamp) is a new request."""
    sent = repr((client_bucket(request), sorted(request.POST.lists())))
    digest = hashlib.sha256(sent.encode()).hexdigest()[:32]
    return f"servicedesk:intake:sent:{digest}", STAMP_MAX_AGE + 1, 1


def check_sent_once(count: int) -> None:
    """Refuses a post already counted by ``sent_counter`` (0: the cache was unreachable)."""
    if count > 1:
        raise Refused(SENT_ALREADY)


def check_honeypot(value) -> None:
    if value:
        raise Refused(AUTOMATED)


def ip_counter(request) -> tuple[str, int, int]:
    """The counter every post adds to: its client address's, as ``(cache key, seconds, limit)``
    for the current window."""
    return _counter("ip", client_bucket(request), rate_per_ip())


def email_counter(email: str) -> tuple[str, int, int] | None:
    """The counter of the tickets accepted for ``email`` (whatever address they came from) in
    the current window; None when the post names no email."""
    email = normalize_email(email)
    return _counter("email", email, rate_per_email()) if email else None


def check_counts(found: list[tuple[str, int, int]], counts: list[int]) -> None:
    """Refuses the post when a counter went over its limit."""
    if any(count > limit for count, (_key, _seconds, limit) in zip(counts, found, strict=True)):
        raise Refused(TOO_MANY)


def check_accepted(counter: tuple[str, int, int] | None, accepted) -> None:
    """Refuses the post when its email already has as many accepted tickets as the window allows."""
    if counter is not None and (accepted or 0) >= counter[2]:
        raise Refused(TOO_MANY)


def check_rate_ip(request) -> None:
    """Counts this post against the sender's address."""
    found = [ip_counter(request)]
    check_counts(found, shared_cache.read_and_count([], [(key, seconds) for key, seconds, _ in found])[1])


def check_rate_email(email: str) -> None:
    """Refuses a post whose email has had its fill of accepted tickets (nothing is counted)."""
    counter = email_counter(email)
    if counter is not None:
        check_accepted(counter, shared_cache.read_and_count([counter[0]], [])[0][0])


def count_accepted(email: str) -> None:
    """A ticket for ``email`` was accepted: it counts against the email's limit."""
    counter = email_counter(email)
    if counter is not None:
        shared_cache.read_and_count([], [counter[:2]])


def _counter(kind: str, value: str, rate: str) -> tuple[str, int, int]:
    limit, period = _parse_rate(rate)
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"servicedesk:intake:{kind}:{digest}:{int(time.time() // period)}", period + 1, limit


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_rate(rate: str) -> tuple[int, int]:
    """ "20/h" → (20, 3600); "5/10m" → (5, 600)."""
    match = _RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"a rate looks like 20/h or 5/10m, not {rate!r}")
    limit, multiplier, unit = match.groups()
    return int(limit), int(multiplier or 1) * _UNIT_SECONDS[unit]
