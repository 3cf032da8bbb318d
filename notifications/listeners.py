"""What the notifications app does when the kernel reports something (registered in ``apps.ready``)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy

from admin24 import constants, messages, staff

from .services import notify

FALLBACK = messages.register(
    "notifications.constant_missing.fallback", gettext_lazy("The work went to %(name)s instead.")
)


@constants.on_missing
def tell_administrators_a_constant_is_missing(constant, *, fallback) -> None:
    """Every administrator hears once per constant (the key) that the work went to someone else."""
    context = {
        "identifier": constant.identifier,
        "name": constant.name,
        "constant": constant.identifier,
        "constant_name": constant.name,
        # A message, so each administrator reads it in their own language.
        "fallback": messages.Message(FALLBACK, name=fallback),
        "link": reverse("admin:admin24_globalconstant_change", args=[constant.pk]),
    }
    for administrator in constants.administrators():
        notify(administrator, "constant_missing", context, key=f"constant-missing:{constant.identifier}")


@staff.on_invitation
def send_the_invitation(invitation: staff.Invitation) -> None:
    """The invitee's email, in the language the administrator chose for them (no in-app note:
    they cannot sign in yet). Linked to the account, so the outbox shows whether it went out."""
    context = {
        "link": invitation.link,
        "username": invitation.user.username,
        "invited_by": str(invitation.invited_by or ""),
        "expires_at": invitation.expires_at,
    }
    notify(invitation, "admin24/invitation", context, key=None, target=invitation.user)
