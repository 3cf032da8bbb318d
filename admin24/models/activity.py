from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from admin24 import messages


class Activity(models.Model):
    """One line of an entity's timeline: who did what to it and when (written by services)."""

    class Verb(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        MOVED = "moved", _("moved")
        ASSIGNED = "assigned", _("assigned")
        CONVERTED = "converted", _("converted")
        TASK_CREATED = "task_created", _("task created")
        TASK_COMPLETED = "task_completed", _("task completed")
        TASK_REOPENED = "task_reopened", _("task reopened")
        REMINDER_SENT = "reminder_sent", _("reminder sent")
        DUPLICATE_FOUND = "duplicate_found", _("possible duplicate found")
        NOTE = "note", _("note")
        FILE_ATTACHED = "file_attached", _("file attached")
        EMAIL_SENT = "email_sent", _("email sent")
        EMAIL_NOT_SENT = "email_not_sent", _("email not sent")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system (a robot) did it."),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    verb = models.CharField(_("what"), max_length=32, choices=Verb.choices)
    # What a robot or service said, as a message key and its parameters (admin24.messages), shown
    # in the reader's language; ``text`` is what a person typed, or an old row's stored text.
    key = models.CharField(_("message key"), max_length=100, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("target type"))
    target_id = models.PositiveBigIntegerField(_("target id"))
    target = GenericForeignKey("target_type", "target_id")
    data = models.JSONField(_("data"), default=dict, blank=True)
    # A move's time in the stage it left (from entering it to this move), written with the move
    # so that a report's "days in each stage" is a plain aggregate over the log.
    stay_seconds = models.FloatField(_("time in the stage left, seconds"), null=True, blank=True)

    class Meta:
        db_table = "crm_activity"  # the table predates the kernel owning the model
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"], name="crm_activity_timeline")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_verb_display()}"

    @property
    def said(self) -> str:
        """The entry's words in the active language: its message, else the stored text."""
        return messages.render(self.key, self.params, fallback=self.text) if self.key else self.text
