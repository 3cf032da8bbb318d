"""The Telegram channel's own state: every update as it arrived, and each client chat's dialogue.

The dialogue lives here, not in python-telegram-bot's persistence, so any process (the polling
bot, a Celery worker handling a webhook update) can continue any chat.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket

DRAFT_LIFETIME = timedelta(hours=24)


class TelegramUpdate(models.Model):
    """One update from the Bot API, stored before it is handled; a re-delivered one is ignored."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("handled")
        FAILED = "failed", _("failed")

    update_id = models.BigIntegerField(_("update id"), unique=True)
    payload = models.JSONField(_("update"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Telegram update")
        verbose_name_plural = _("Telegram updates")
        ordering = ["update_id"]
        indexes = [models.Index(fields=["received_at"], name="tg_update_pending", condition=models.Q(status="pending"))]

    def __str__(self):
        return f"{self.update_id} ({self.status})"


class TelegramChat(models.Model):
    """A client's private chat with the bot: its language, the dialogue's step and draft."""

    chat_id = models.BigIntegerField(_("chat id"), unique=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    first_name = models.CharField(_("first name"), max_length=200, blank=True)
    last_name = models.CharField(_("last name"), max_length=200, blank=True)
    username = models.CharField(_("username"), max_length=64, blank=True)
    step = models.CharField(_("step"), max_length=32, blank=True)
    draft = models.JSONField(_("draft"), default=dict, blank=True)
    draft_updated_at = models.DateTimeField(_("draft changed at"), null=True, blank=True)
    contact = models.ForeignKey(
        "crm.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled = models.BooleanField(_("disabled"), default=False)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    # Flood control: messages counted in the current minute.
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)
    flood_warned = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Telegram chat")
        verbose_name_plural = _("Telegram chats")
        ordering = ["-updated_at"]

    def __str__(self):
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return f"{name or self.chat_id} ({self.chat_id})"

    @property
    def draft_expired(self) -> bool:
        return bool(self.draft_updated_at and timezone.now() - self.draft_updated_at > DRAFT_LIFETIME)

    # The outbox's Telegram channel reaches a client chat by these.
    @property
    def telegram_chat_id(self) -> int | None:
        return None if self.disabled else self.chat_id


class TelegramTicket(models.Model):
    """A ticket filed from (or answered in) a chat: staff comments and status go there."""

    chat = models.ForeignKey(TelegramChat, verbose_name=_("chat"), on_delete=models.CASCADE, related_name="links")
    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="telegram_link"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("Telegram ticket")
        verbose_name_plural = _("Telegram tickets")

    def __str__(self):
        return f"{self.ticket.display_number} → {self.chat.chat_id}"
