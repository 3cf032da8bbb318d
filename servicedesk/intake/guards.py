"""Anti-abuse for anonymous intake: rate limits per IP and per email, honeypot, render timestamp.

The counters live in the default cache, which every process shares (Redis in production): one
counter per IP (or IPv6 /64) and per email for each fixed window of the rate's period. On Redis
both counters of a post are counted in one pipelined round trip. The limits are settings so
that a load test can raise them: SERVICEDESK_FORM_RATE_PER_IP, SERVICEDESK_FORM_RATE_PER_EMAIL
and SERVICEDESK_FORM_MIN_SECONDS.
"""

import hashlib
import ipaddress
import re
import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from admin24.normalize import normalize_email
from admin24.workflow import DomainError

from . import shared_cache

STAMP_SALT = "servicedesk.form-rendered"
STAMP_MAX_AGE = 24 * 3600

TOO_MANY = _("Too many requests were sent from here. Please try again in an hour or write to us by email.")
TOO_FAST = _("The form was sent too quickly after it was opened. Please check it and send it again.")
EXPIRED = _("The form has expired. Reload the page and send it again.")
AUTOMATED = _("Your request looks automated and was not accepted. If it is not, write to us by email.")


class Refused(DomainError):
    """The intake will not take this post: 429 over a rate limit, 400 for a stale or automated form."""

    def __init__(self, message):
        super().__init__(message)
        self.status_code = 429 if message == TOO_MANY else 400


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


def check_honeypot(value) -> None:
    if value:
        raise Refused(AUTOMATED)


def counters(request, *, email: str = "") -> list[tuple[str, int, int]]:
    """The rate counters a post adds to: its IP's and, when it names one, its email's (whatever IP
    it comes from), as ``(cache key, seconds, limit)`` for the current window of each rate."""
    kinds = [("ip", _client_ip(request), rate_per_ip())]
    email = normalize_email(email)
    if email:
        kinds.append(("email", email, rate_per_email()))
    now = time.time()
    found = []
    for kind, value, rate in kinds:
        limit, period = _parse_rate(rate)
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        found.append((f"servicedesk:intake:{kind}:{digest}:{int(now // period)}", period + 1, limit))
    return found


def check_counts(found: list[tuple[str, int, int]], counts: list[int]) -> None:
    """Refuses the post when a counter went over its limit."""
    if any(count > limit for count, (_key, _seconds, limit) in zip(counts, found, strict=True)):
        raise Refused(TOO_MANY)


def check_rate_ip(request) -> None:
    """Counts this post against the sender's IP."""
    found = counters(request)
    check_counts(found, shared_cache.read_and_count([], [(key, seconds) for key, seconds, _ in found])[1])


def check_rate_email(request, email: str) -> None:
    """Counts this post against the client's email, whatever IP it comes from."""
    email = normalize_email(email)
    if email:
        found = counters(request, email=email)[1:]
        check_counts(found, shared_cache.read_and_count([], [(k, s) for k, s, _ in found])[1])


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_rate(rate: str) -> tuple[int, int]:
    """ "20/h" → (20, 3600); "5/10m" → (5, 600)."""
    match = _RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"a rate looks like 20/h or 5/10m, not {rate!r}")
    limit, multiplier, unit = match.groups()
    return int(limit), int(multiplier or 1) * _UNIT_SECONDS[unit]


def _client_ip(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    # One IPv6 client usually holds a whole /64.
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else address
