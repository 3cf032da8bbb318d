from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from admin24.boards.search import SearchText
from admin24.normalize import normalize_email, normalize_phone, validate_phone
from admin24.workflow.closing import ClosingReasonMessage

from ..links import card_link


class LeadStage(models.TextChoices):
    NEW = "new", _("New request")
    IN_PROGRESS = "in_progress", _("In progress")
    NO_ANSWER = "no_answer", _("No answer")
    QUALIFIED = "qualified", _("Qualified client")
    WRONG_CONTACTS = "wrong_contacts", _("Wrong contact details")
    SPAM = "spam", _("Spam")
    NOT_PROVIDED = "not_provided", _("Services not provided")
    UNREACHABLE = "unreachable", _("Unreachable")
    DUPLICATE = "duplicate", _("Duplicate client")


ACTIVE_STAGES = [LeadStage.NEW, LeadStage.IN_PROGRESS, LeadStage.NO_ANSWER]
CLOSED_STAGES = [
    LeadStage.WRONG_CONTACTS,
    LeadStage.SPAM,
    LeadStage.NOT_PROVIDED,
    LeadStage.UNREACHABLE,
    LeadStage.DUPLICATE,
]


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("web form")
    API = "api", _("API")
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone call")
    TELEGRAM = "telegram", _("Telegram")
    MANUAL = "manual", _("manual")


class Lead(ConcurrentTransitionMixin, ClosingReasonMessage, SearchText):
    """A request from a possible client, qualified through the lead pipeline (SPEC §2).

    Stage changes go through ``admin24.workflow.move``; the transition methods below only
    declare which moves exist.
    """

    access_entity = "lead"
    access_owner_field = "responsible"
    search_source = ("title", "contact_name", "company_name", "email", "phone", "phone_normalized")
    pipeline_key = "leads"

    title = models.CharField(_("title"), max_length=300)
    source = models.CharField(_("source"), max_length=16, choices=LeadSource.choices, default=LeadSource.MANUAL)
    stage = FSMField(_("stage"), max_length=32, choices=LeadStage.choices, default=LeadStage.NEW, db_index=True)
    stage_entry_count = models.PositiveIntegerField(_("stage entries"), default=0, editable=False)
    stage_changed_at = models.DateTimeField(_("stage changed at"), default=timezone.now)
    closing_reason = models.TextField(_("closing reason"), blank=True)

    contact_name = models.CharField(_("contact name"), max_length=300, blank=True)
    # Its normalised digits are stored in a 20-character column: the validator keeps them within.
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    phone_normalized = models.CharField(max_length=20, blank=True, editable=False, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, editable=False, db_index=True)
    company_name = models.CharField(_("company name"), max_length=300, blank=True)
    company_inn = models.CharField(_("company INN"), max_length=12, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_leads",
    )

    service_kind = models.CharField(_("service kind"), max_length=200, blank=True)
    computers = models.PositiveIntegerField(_("computers"), default=0)
    servers = models.PositiveIntegerField(_("servers"), default=0)
    offices = models.PositiveIntegerField(_("offices"), default=0)
    client_request = models.TextField(_("client request"), blank=True)
    qualification = models.JSONField(
        _("qualification checklist"), default=list, blank=True, help_text=_("Question and answer pairs.")
    )

    failed_calls = models.PositiveSmallIntegerField(_("failed calls"), default=0)
    # The call-back slots count from here: the receipt, or the moment a closed lead was reopened.
    callbacks_from = models.DateTimeField(_("call-backs counted from"), default=timezone.now)

    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    duplicate_contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("duplicate of contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicate_leads",
    )
    contact = models.ForeignKey(
        "crm.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "-created_at"], name="crm_lead_board"),
            # A manager's column: his cards of a stage, newest first, read straight off the index.
            models.Index(fields=["responsible", "stage", "-created_at"], name="crm_lead_resp_board"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """The staff card, which staff notifications about it link to."""
        return card_link(self)

    def save(self, *args, **kwargs):
        self.phone_normalized = normalize_phone(self.phone)
        self.email_normalized = normalize_email(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = {"phone": "phone_normalized", "email": "email_normalized"}
            kwargs["update_fields"] = {*update_fields, *(extra[f] for f in update_fields if f in extra)}
        super().save(*args, **kwargs)

    @property
    def stage_entry_token(self) -> str:
        return f"{self.stage}:{self.stage_entry_count}"

    @property
    def is_possible_duplicate(self) -> bool:
        return self.duplicate_of_id is not None or self.duplicate_contact_id is not None

    # --- the moves that exist; guards and effects live in crm.pipelines.leads -------------

    @transition(field=stage, source=[LeadStage.NEW, LeadStage.NO_ANSWER, *CLOSED_STAGES], target=LeadStage.IN_PROGRESS)
    def to_in_progress(self):
        """Take a new lead into work, bring it back after a failed call, or reopen a closed one."""

    @transition(field=stage, source=[LeadStage.NEW, LeadStage.IN_PROGRESS], target=LeadStage.NO_ANSWER)
    def to_no_answer(self):
        """A call failed."""

    @transition(field=stage, source=ACTIVE_STAGES, target=LeadStage.QUALIFIED)
    def to_qualified(self):
        """A target client: converted to a contact, a company and a deal."""

    @transition(field=stage, source=ACTIVE_STAGES, target=LeadStage.WRONG_CONTACTS)
    def to_wrong_contacts(self):
        """Closed: the contact details are wrong."""

    @transition(field=stage, source=ACTIVE_STAGES, target=LeadStage.SPAM)
    def to_spam(self):
        """Closed as spam."""

    @transition(field=stage, source=ACTIVE_STAGES, target=LeadStage.NOT_PROVIDED)
    def to_not_provided(self):
        """Closed: we do not provide what was asked."""

    @transition(field=stage, source=ACTIVE_STAGES, target=LeadStage.UNREACHABLE)
    def to_unreachable(self):
        """Closed: the client cannot be reached."""

    @transition(field=stage, source=ACTIVE_STAGES, target=LeadStage.DUPLICATE)
    def to_duplicate(self):
        """Closed: the client already has a lead or a contact card."""
