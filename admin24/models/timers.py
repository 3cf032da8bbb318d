from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledAction(models.Model):
    """One wait of the automation clock: run `action` on `target` at `due_at` (DESIGN.md)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        STALE = "stale", _("stale")
        # A step of a ladder skipped in a catch-up: a later step of it was due too and ran instead.
        SUPERSEDED = "superseded", _("superseded")
        CANCELLED = "cancelled", _("cancelled")

    # No index of its own: ``scheduled_by_target`` leads with it (one index less for every row scheduled).
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("target type"), db_index=False
    )
    target_id = models.PositiveBigIntegerField(_("target id"))
    target = GenericForeignKey("target_type", "target_id")
    action = models.CharField(_("action"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due at"))
    stage_token = models.CharField(
        _("stage-entry token"), max_length=100, blank=True, help_text=_("The target's stage when this was scheduled.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled action")
        verbose_name_plural = _("scheduled actions")
        ordering = ["due_at", "id"]
        indexes = [
            # The clock's scan: only pending rows, by due time; stays small however many are done.
            models.Index(fields=["due_at", "id"], name="scheduled_pending_due", condition=models.Q(status="pending")),
            models.Index(fields=["target_type", "target_id", "status"], name="scheduled_by_target"),
        ]

    def __str__(self):
        return f"{self.action} @ {self.due_at:%Y-%m-%d %H:%M}"
