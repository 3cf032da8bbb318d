"""Anti-abuse for anonymous intake: rate limits per IP and per email, honeypot, render timestamp.

The counters live in the default cache, which every process shares (Redis in production). The
limits are settings so that a load test can raise them: SERVICEDESK_FORM_RATE_PER_IP,
SERVICEDESK_FORM_RATE_PER_EMAIL and SERVICEDESK_FORM_MIN_SECONDS.
"""

import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from crm.phones import normalize_email

STAMP_SALT = "servicedesk.form-rendered"
STAMP_MAX_AGE = 24 * 3600

TOO_MANY = _("Too many requests were sent from here. Please try again in an hour or write to us by email.")
TOO_FAST = _("The form was sent too quickly after it was opened. Please check it and send it again.")
EXPIRED = _("The form has expired. Reload the page and send it again.")
AUTOMATED = _("Your request looks automated and was not accepted. If it is not, write to us by email.")


class Refused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


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


def check_rate_ip(request) -> None:
    """Counts this post against the sender's IP."""
    if is_ratelimited(request, group="servicedesk.intake.ip", key="ip", rate=rate_per_ip(), increment=True):
        raise Refused(TOO_MANY)


def check_rate_email(request, email: str) -> None:
    """Counts this post against the client's email, whatever IP it comes from."""
    email = normalize_email(email)
    if not email:
        return
    if is_ratelimited(
        request,
        group="servicedesk.intake.email",
        key=lambda group, request: email,
        rate=rate_per_email(),
        increment=True,
    ):
        raise Refused(TOO_MANY)
