from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from admin24 import messages

from ..links import card_link


class ChecklistTemplate(models.Model):
    """An admin-edited list of checklist items that tasks (or lead qualification) start from."""

    code = models.SlugField(
        _("code"), max_length=64, unique=True, help_text=_("How the robots find it, e.g. lead-qualification.")
    )
    name = models.CharField(_("name"), max_length=200)
    items = models.TextField(_("items"), help_text=_("One item per line."))

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def item_list(self) -> list[str]:
        return [line.strip() for line in self.items.splitlines() if line.strip()]


class Task(models.Model):
    """Something a person must do, usually for a lead or a deal; robots wait for its completion."""

    access_entity = "task"
    access_owner_field = "responsible"

    class Kind(models.TextChoices):
        CALL = "call", _("call")
        PROPOSAL = "proposal", _("prepare the commercial proposal")
        CONTRACT = "contract", _("draft the contract")
        AUDIT = "audit", _("IT infrastructure audit")
        CLOSING_DOCS = "closing_docs", _("closing documents")
        GENERIC = "generic", _("task")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    # A robot's title and description as messages (admin24.messages), shown in the reader's
    # language; empty for what a person typed (then ``title`` and ``description`` are shown).
    title_message = models.JSONField(_("title (message)"), default=dict, blank=True)
    description_message = models.JSONField(_("description (message)"), default=dict, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.GENERIC)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_tasks",
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    # Two plain foreign keys rather than a generic one: boards and "my tasks" join them cheaply.
    lead = models.ForeignKey(
        "crm.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    deal = models.ForeignKey(
        "crm.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    is_automatic = models.BooleanField(_("created by a robot"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    result = models.TextField(_("result"), blank=True)
    # A robot's result (the task closed because the lead is closed) as a message, shown in the
    # reader's language; empty when a person completed the task (``result`` is what they typed).
    result_message = models.JSONField(_("result (message)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["responsible", "status", "deadline"], name="crm_task_my_tasks"),
            models.Index(fields=["lead", "status", "deadline"], name="crm_task_lead_next"),
            models.Index(fields=["deal", "status", "deadline"], name="crm_task_deal_next"),
        ]

    def __str__(self):
        return self.shown_title

    def get_absolute_url(self):
        """The task's page: what a notice about a task of no lead or deal links to."""
        return card_link(self)

    @property
    def shown_title(self) -> str:
        """The title in the active language (a robot's message), or as typed."""
        return messages.render_stored(self.title_message, fallback=self.title)

    @property
    def shown_description(self) -> str:
        return messages.render_stored(self.description_message, fallback=self.description)

    @property
    def shown_result(self) -> str:
        return messages.render_stored(self.result_message, fallback=self.result)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < timezone.now()

    @property
    def subject(self):
        """The lead or deal the task belongs to, if any."""
        return self.deal or self.lead


class TaskChecklistItem(models.Model):
    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(_("item"), max_length=500)
    done = models.BooleanField(_("done"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["position", "id"]

    def __str__(self):
        return self.text
