"""Staff accounts (SPEC §0 "inviting staff"): invite by email, change roles and department,
deactivate and reactivate — what an administrator does on the staff page.

An invited person gets an account without a password and an email with a signed link that
expires after ``INVITATION_DAYS``; following it they choose their password and are signed in.
The link works once: it is bound to the account's password hash, which setting a password
changes. Sending the email is the notifications app's part: the kernel imports no app, so it
tells the listeners registered with ``on_invitation`` (``notifications.listeners``).
"""

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from .models import Department, User
from .roles import Role, is_administrator
from .workflow import DomainError

__all__ = [
    "INVITATION_DAYS",
    "Invitation",
    "StaffRefused",
    "invitation_link",
    "is_invited",
    "on_invitation",
    "staff_deactivate",
    "staff_invite",
    "staff_reactivate",
    "staff_resend_invitation",
    "staff_update",
    "user_from_invitation",
]

log = logging.getLogger(__name__)

INVITATION_DAYS = 7
INVITATION_SALT = "admin24.staff.invitation"
_listeners = []


class StaffRefused(DomainError):
    """A change to staff accounts that is not possible: locking oneself out, inviting a member again."""


@dataclass(frozen=True)
class Invitation:
    """What an invitation email needs; ``email``, ``language``, ``time_zone`` and ``full_name``
    are the invitee's, so the email is written to them in their language."""

    user: User
    link: str
    expires_at: datetime.datetime
    invited_by: User | None

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def language(self) -> str:
        return self.user.language

    @property
    def time_zone(self) -> str:
        return self.user.time_zone

    @property
    def full_name(self) -> str:
        return self.user.full_name


def on_invitation(fn):
    """Register ``fn(invitation)`` to deliver an invitation; it runs in the inviting transaction."""
    _listeners.append(fn)
    return fn


def _require_administrator(by) -> None:
    if by is None or not by.is_authenticated or not by.is_active or not is_administrator(by):
        raise PermissionDenied(_("Only an administrator manages staff accounts."))


# --- the link -------------------------------------------------------------------------------------


def _password_stamp(user: User) -> str:
    return salted_hmac(INVITATION_SALT, user.password or "").hexdigest()[:20]


def invitation_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "p": _password_stamp(user)}, salt=INVITATION_SALT)


def invitation_link(user: User) -> str:
    return settings.SITE_URL + reverse("invitation", args=[invitation_token(user)])


def user_from_invitation(token: str) -> User | None:
    """The invited, active user the token names; None when it is forged, expired or used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=datetime.timedelta(days=INVITATION_DAYS))
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not constant_time_compare(str(data.get("p", "")), _password_stamp(user)):
        return None
    return user


def is_invited(user: User) -> bool:
    """Invited and not yet joined: no password chosen, never signed in."""
    return not user.has_usable_password() and user.last_login is None


def _send_invitation(user: User, *, by) -> Invitation:
    invitation = Invitation(
        user=user,
        link=invitation_link(user),
        expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
        invited_by=by,
    )
    if not _listeners:
        raise RuntimeError("nobody delivers invitations: no on_invitation listener is registered")
    for listener in _listeners:
        listener(invitation)
    return invitation


# --- use cases ------------------------------------------------------------------------------------


def _username_for(email: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0].lower())[:140] or "user"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def _check_email(email: str, *, exclude: User | None = None) -> str:
    email = (email or "").strip()
    clash = User.objects.filter(email__iexact=email)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if email and clash.exists():
        raise ValidationError({"email": _("Another account already has this email.")})
    return email


def _check_roles(roles) -> list[Group]:
    roles = list(roles)
    unknown = [role for role in roles if not isinstance(role, Group)]
    if unknown:
        raise TypeError("roles must be Group objects")
    return roles


@transaction.atomic
def staff_invite(
    *,
    email: str,
    by,
    first_name: str = "",
    last_name: str = "",
    patronymic: str = "",
    department: Department | None = None,
    roles=(),
    language: str = "",
) -> User:
    """A new account for ``email`` with ``roles`` in ``department``, and the invitation email."""
    _require_administrator(by)
    email = _check_email(email)
    if not email:
        raise ValidationError({"email": _("Give the email the invitation goes to.")})
    user = User(
        username=_username_for(email),
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        patronymic=patronymic.strip(),
        department=department,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        time_zone=settings.TIME_ZONE,
        is_active=True,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(_check_roles(roles))
    _send_invitation(user, by=by)
    log.info("%s invited %s (%s)", by.username, user.username, email)
    return user


@transaction.atomic
def staff_resend_invitation(*, user: User, by) -> User:
    """A new link for someone who has not joined yet (the old one keeps working until it expires)."""
    _require_administrator(by)
    if not is_invited(user):
        raise StaffRefused(_("%(user)s has joined already: they can reset their password themselves.") % {"user": user})
    if not user.is_active:
        raise StaffRefused(_("%(user)s is deactivated: reactivate the account first.") % {"user": user})
    _send_invitation(user, by=by)
    return user


@transaction.atomic
def staff_update(
    *,
    user: User,
    by,
    first_name: str,
    last_name: str,
    patronymic: str = "",
    email: str,
    department: Department | None,
    roles,
) -> User:
    """Name, email, department and roles of a staff member."""
    _require_administrator(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    roles = _check_roles(roles)
    # The one acting is an active administrator, so somebody always remains who can undo a
    # change: only taking the role from oneself could leave nobody.
    if user.pk == by.pk and not any(role.name == Role.ADMINISTRATOR for role in roles) and not user.is_superuser:
        raise StaffRefused(_("You cannot take the Administrator role from yourself."))
    user.first_name, user.last_name, user.patronymic = first_name.strip(), last_name.strip(), patronymic.strip()
    user.email = _check_email(email, exclude=user)
    user.department = department
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "patronymic", "email", "department"])
    user.groups.set(roles)
    user.__dict__.pop("_role_names", None)
    log.info("%s changed the account of %s", by.username, user.username)
    return user


@transaction.atomic
def staff_deactivate(*, user: User, by) -> User:
    """The person can no longer sign in: sessions and API tokens stop working at their next request."""
    _require_administrator(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == by.pk:
        raise StaffRefused(_("You cannot deactivate your own account."))
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    log.info("%s deactivated %s", by.username, user.username)
    return user


@transaction.atomic
def staff_reactivate(*, user: User, by) -> User:
    _require_administrator(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        log.info("%s reactivated %s", by.username, user.username)
    return user
