from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.template import TemplateDoesNotExist
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24 import messages

from . import rendering


class Notification(models.Model):
    """An in-app notification for a staff user: what the bell counts."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # What happened: the template (``templates/notifications/<template>/``) and its parameters
    # (``admin24.messages.stored_params``), rendered in the reader's language when shown; no
    # sentence in anyone's language is stored (rows of before were given the texts they kept as
    # a reminder's parameters, migration 0006).
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("parameters"), default=dict, blank=True, editable=False)
    link = models.CharField(_("link"), max_length=500, blank=True)
    key = models.CharField(_("idempotency key"), max_length=200, blank=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("target id"), null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell's count on every page: only unread rows of one user.
            models.Index(fields=["recipient"], name="notification_unread", condition=models.Q(read_at__isnull=True)),
            models.Index(fields=["recipient", "-created_at"], name="notification_by_recipient"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="notification_unique_key", condition=~models.Q(key="")
            )
        ]

    def __str__(self):
        return self.shown_title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_title(self) -> str:
        """The title in the active language and time zone (the reader's), or as stored for an old row."""
        return self._shown()[0]

    @property
    def shown_body(self) -> str:
        return self._shown()[1]

    def _shown(self) -> tuple[str, str]:
        # Rendered once per language and time zone the row is read in, not once per part.
        cache = self.__dict__.setdefault("_shown_parts", {})
        reading = (translation.get_language(), timezone.get_current_timezone_name())
        if reading not in cache:
            try:
                cache[reading] = rendering.shown_parts(self.template, self.context)
            except TemplateDoesNotExist:
                # A template since removed: what kind of notice it was, rather than nothing.
                cache[reading] = (gettext("Notification «%(template)s»") % {"template": self.template}, "")
        return cache[reading]


class OutboxMessage(models.Model):
    """One delivery through one channel, written in the sender's transaction and sent after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # Withdrawn before it went out (an invoice for a period another contract bills); never sent.
        CANCELLED = "cancelled", _("cancelled")

    channel = models.CharField(_("channel"), max_length=32)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    # A recipient that is not a staff user (a CRM contact).
    recipient_type = models.ForeignKey(
        ContentType,
        verbose_name=_("recipient type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient_id = models.PositiveBigIntegerField(_("recipient id"), null=True, blank=True)
    recipient_object = GenericForeignKey("recipient_type", "recipient_id")
    address = models.CharField(_("address"), max_length=320)
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # What to send, rendered when it is sent (``services.outbox_deliver``): the template and its
    # context, in ``language`` and ``time_zone`` for ``recipient_name`` — the recipient's when
    # it was written, as the clock wrote it for them then.
    language = models.CharField(_("language"), max_length=8)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    recipient_name = models.CharField(_("recipient's name"), max_length=300, blank=True)
    # What went out, stored when it was sent (empty before: the outbox shows a pending row
    # rendered as it will go, ``services.outbox_drafted``). Rows written before 0006 came
    # with them and are sent as they are.
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body_text = models.TextField(_("text part"), blank=True)
    body_html = models.TextField(_("HTML part"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("target id"), null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Why it failed or was withdrawn: a server's own words as they came, or a reason of ours (a
    # bounce, a withdrawn invoice) as a message shown in the reader's language, ``last_error``
    # then holding its text in the site's language for search and the Django admin.
    last_error = models.TextField(_("last error"), blank=True)
    last_error_message = models.JSONField(_("last error (message)"), default=dict, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper's two scans stay small however many rows were sent.
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due", condition=models.Q(status="pending")),
            models.Index(fields=["claimed_at"], name="outbox_sending", condition=models.Q(status="sending")),
        ]

    def __str__(self):
        return f"{self.channel} → {self.address}: {self.template}"

    @property
    def shown_last_error(self) -> str:
        """Why it failed or was withdrawn, in the active language (our message), or as the server said it."""
        return messages.render_stored(self.last_error_message, fallback=self.last_error)

    @staticmethod
    def error_fields(reason) -> dict:
        """``last_error`` and ``last_error_message`` for ``reason``: a ``Message`` of ours, or a
        server's or worker's text kept as it is (what every write of a row's error goes through)."""
        if isinstance(reason, messages.Message):
            return {"last_error": messages.site_text(reason), "last_error_message": reason.stored}
        return {"last_error": str(reason or ""), "last_error_message": {}}


class TelegramKind(models.TextChoices):
    """Which staff notifications may also go to Telegram (the profile's choices)."""

    TASKS = "tasks", _("tasks")
    REMINDERS = "reminders", _("reminders")
    SLA = "sla", _("SLA breaches")
    ASSIGNED = "assigned", _("tickets and leads assigned to me")


class StaffTelegram(models.Model):
    """A staff user's Telegram preferences and the one-time token of «Подключить Telegram».

    The linked chat itself is ``User.telegram_chat_id``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_telegram"
    )
    kinds = models.JSONField(_("notifications sent to Telegram"), default=list, blank=True)
    link_nonce = models.CharField(max_length=32, blank=True, editable=False)
    link_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)
    unlinked_reason = models.CharField(_("why unlinked"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("staff Telegram settings")
        verbose_name_plural = _("staff Telegram settings")

    def __str__(self):
        return str(self.user)
