"""Inbound email: every message received is stored first, then processed (issue 14)."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def inbound_path(instance, filename: str) -> str:
    return f"servicedesk/inbound/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml"


# Why a message ended as it did: message keys stored on the row, rendered in the reader's language.
REASONS = {
    "reply": _("Added to ticket %(number)s as the client's reply."),
    "colleague": _("Added to ticket %(number)s as a reply from %(sender)s."),
    "new_ticket": _("Opened ticket %(number)s."),
    "follow_up_ticket": _("Opened ticket %(number)s: ticket %(previous)s was done too long ago to reopen."),
    "duplicate": _("The same message was received before."),
    "auto_reply": _("An automatic message (%(header)s): no comment, no ticket, no reply."),
    "bounce": _("A delivery failure report: %(diagnostic)s"),
    "bounce_unmatched": _("A delivery failure report for none of our emails: %(diagnostic)s"),
    "own": _("An email we sent ourselves."),
    "flood": _("More than %(limit)d new tickets from %(sender)s in an hour: held back."),
    "no_sender": _("The message has no sender address."),
    "bad_sender": _("The sender's address %(sender)s is not a valid email address: no ticket can answer it."),
    "empty": _("The message has neither text nor files."),
    "unreadable": _("The message cannot be read: %(error)s"),
}


class InboundEmail(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("ignored")
        QUARANTINED = "quarantined", _("quarantined")

    class Source(models.TextChoices):
        IMAP = "imap", _("mailbox")
        ESP = "esp", _("email provider")
        PIPE = "pipe", _("mail server pipe")
        OTHER = "other", _("other")

    raw = models.FileField(_("original message"), upload_to=inbound_path, max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    # The Message-ID, or "digest:<sha256>" of the headers and body when there is none: one row per message.
    # Indexes: each costs every stored message its insert (a poller's burst is a run of them), so
    # only those a query uses; no ``varchar_pattern_ops`` copies (nothing searches by prefix), and
    # the sender's index is ``sd_inbound_sender``'s leading column.
    dedupe_key = models.CharField(_("deduplication key"), max_length=300)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    digest = models.CharField(_("digest"), max_length=64)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.OTHER)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    reason_params = models.JSONField(_("reason details"), default=dict, blank=True)
    opened_ticket = models.BooleanField(_("opened a ticket"), default=False)
    ticket = models.ForeignKey(
        "servicedesk.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.ForeignKey(
        "servicedesk.TicketComment",
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="sd_inbound_once")]
        indexes = [
            models.Index(fields=["message_id"], name="sd_inbound_message_id"),
            models.Index(fields=["received_at"], name="sd_inbound_waiting", condition=models.Q(status="received")),
            models.Index(fields=["from_address", "received_at"], name="sd_inbound_sender"),
        ]

    def __str__(self):
        return f"{self.from_address}: {self.subject}"

    @property
    def reason_text(self) -> str:
        message = REASONS.get(self.reason)
        if message is None:
            return self.reason
        try:
            return str(message) % self.reason_params
        except (KeyError, TypeError, ValueError):
            return str(message)
