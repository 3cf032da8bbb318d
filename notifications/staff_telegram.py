"""Staff notifications in Telegram: «Подключить Telegram» on the profile, the chosen kinds, unlinking.

The profile's button makes a one-time token, signed and valid for an hour, and shows the deep
link ``https://t.me/<bot>?start=<token>``; the bot's ``/start <token>`` calls ``link_chat``, which
stores the chat as ``User.telegram_chat_id``. A chat that blocked the bot is unlinked, and the
user is told in the app.
"""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from admin24 import telegram

from .models import StaffTelegram, TelegramKind

TOKEN_LIFETIME = timedelta(hours=1)
_SALT = "notifications.telegram-link"


def settings_for(user) -> StaffTelegram:
    return StaffTelegram.objects.get_or_create(user=user, defaults={"kinds": [k.value for k in TelegramKind]})[0]


def _signature(user_id: int, nonce: str) -> str:
    return salted_hmac(_SALT, f"{user_id}:{nonce}").hexdigest()[:20]


def link_token(user) -> str:
    """A new one-time token for the deep link (Telegram allows A–Z, a–z, 0–9, _ and -, 64 at most)."""
    preferences = settings_for(user)
    preferences.link_nonce = secrets.token_hex(8)
    preferences.link_requested_at = timezone.now()
    preferences.save(update_fields=["link_nonce", "link_requested_at"])
    return f"u{user.pk}_{preferences.link_nonce}_{_signature(user.pk, preferences.link_nonce)}"


def deep_link(user) -> str | None:
    username = telegram.identity().username
    return f"https://t.me/{username}?start={link_token(user)}" if username else None


@transaction.atomic
def link_chat(*, token: str, chat_id: int):
    """The user whose token this is, now linked to ``chat_id``; None for a wrong, used or old token."""
    try:
        user_part, nonce, signature = token.split("_")
        user_id = int(user_part.removeprefix("u"))
    except ValueError:
        return None
    if not constant_time_compare(signature, _signature(user_id, nonce)):
        return None
    preferences = StaffTelegram.objects.select_for_update().filter(user_id=user_id, link_nonce=nonce).first()
    if preferences is None or not preferences.link_requested_at:
        return None
    if timezone.now() - preferences.link_requested_at > TOKEN_LIFETIME:
        return None
    user_model = get_user_model()
    user_model.objects.filter(telegram_chat_id=chat_id).exclude(pk=user_id).update(telegram_chat_id=None)
    user = user_model.objects.get(pk=user_id, is_active=True)
    user.telegram_chat_id = chat_id
    user.save(update_fields=["telegram_chat_id"])
    preferences.link_nonce, preferences.link_requested_at = "", None
    preferences.linked_at, preferences.unlinked_reason = timezone.now(), ""
    preferences.save(update_fields=["link_nonce", "link_requested_at", "linked_at", "unlinked_reason"])
    return user


def unlink(user, *, reason: str = "") -> None:
    get_user_model().objects.filter(pk=user.pk).update(telegram_chat_id=None)
    user.telegram_chat_id = None
    StaffTelegram.objects.filter(user=user).update(linked_at=None, unlinked_reason=reason[:300])


def set_kinds(user, kinds) -> StaffTelegram:
    preferences = settings_for(user)
    preferences.kinds = [k.value for k in TelegramKind if k.value in set(kinds)]
    preferences.save(update_fields=["kinds"])
    return preferences


@telegram.on_blocked
def unlink_blocked_staff(chat_id: int, reason: str) -> None:
    from .services import notify

    for user in get_user_model().objects.filter(telegram_chat_id=chat_id):
        unlink(user, reason=reason)
        notify(user, "telegram_unlinked", {"reason": reason}, channels=(), key=None)
