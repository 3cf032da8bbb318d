"""Sign-in throttling: django-axes, told how this application names accounts and answers.

Every sign-in — the login page, the Django admin's and ``POST /api/v1/auth/token/`` — goes
through ``django.contrib.auth.authenticate``, where ``axes.backends.AxesStandaloneBackend``
(first in ``AUTHENTICATION_BACKENDS``) refuses it while its account or its address is locked.
Failures are counted in the database (``axes.handlers.database``): the same on SQLite and
PostgreSQL, shared by every process, and still counting when Redis is down. The settings
(``AXES_*`` in ``config/settings.py``) lock after ``AXES_FAILURE_LIMIT`` failures for the
account *or* from the address within ``AXES_COOLOFF_TIME``, for that long after the last one.
"""

import logging

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.forms.utils import ErrorDict
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from .auth import account_for_login
from .client_address import client_address

log = logging.getLogger(__name__)

KEY_LENGTH = AccessAttempt._meta.get_field("username").max_length


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return gettext(
        "Too many failed sign-in attempts for this account or from this address. "
        "Signing in is blocked for %(minutes)s min; try again later or reset your password."
    ) % {"minutes": lockout_minutes()}


def account_key(request, credentials=None) -> str | None:
    """What failures count against (``AXES_USERNAME_CALLABLE``): the account the login names,
    however it is typed (username or email, any letter case), else the login as typed, folded."""
    login = (credentials or {}).get("username")
    if login is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        login = data.get("username")
    if not isinstance(login, str):
        return None
    found = request.__dict__.setdefault("_login_accounts", {})  # a few look-ups per attempt
    if login not in found:
        account = account_for_login(login)
        found[login] = (account.username if account else login.strip()).lower()[:KEY_LENGTH]
    return found[login]


class LoginAttempts(AxesDatabaseHandler):
    """Axes's database handler; a successful sign-in forgets the account's failures only.

    Axes's own reset also forgets every failure from the signing-in address, whichever account
    it named: anyone holding one account could then guess another's password without end.
    """

    def reset_user_attempts(self, request, credentials=None) -> int:
        account = account_key(request, credentials)
        return AccessAttempt.objects.filter(username=account).delete()[0] if account else 0


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked sign-in (``AXES_LOCKOUT_CALLABLE``): 429 and the sign-in page again
    with the lockout as its error (the login page, the admin's), or ``{"detail": …}`` elsewhere."""
    message = lockout_message()
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(original_response, TemplateResponse) and form is not None:
        form._errors = ErrorDict()
        form.add_error(None, message)
        response = TemplateResponse(request, original_response.template_name, context, status=429)
        return response.render()
    return JsonResponse({"detail": message}, status=429)


@receiver(user_locked_out)
def log_lockout(sender, request, username=None, ip_address=None, **kwargs):
    log.warning(
        "sign-in refused, locked for %s min after repeated failures: account %r, address %s, %s %s",
        lockout_minutes(),
        username,
        ip_address or client_address(request),
        request.method,
        request.path,
    )
