from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from admin24.boards.search import SearchText
from admin24.workflow.closing import ClosingReasonMessage

from ..links import card_link


class DealPipeline(models.TextChoices):
    CONTRACT = "contract", _("Contract signing")
    REGULAR = "regular", _("Regular payments")


class ContractStage(models.TextChoices):
    PROPOSAL = "proposal", _("Commercial proposal")
    FEEDBACK = "feedback", _("Feedback")
    CONTRACT = "contract", _("Contract signing")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Payment received")
    AUDIT = "audit", _("IT infrastructure audit")
    CLOSING_DOCS = "closing_docs", _("Obtaining closing documents")
    LOST = "lost", _("Deal not signed")
    SUSPENDED = "suspended", _("Processing suspended")


class RegularStage(models.TextChoices):
    INVOICE_FORMING = "invoice_forming", _("Invoice forming")
    INVOICE_SENT = "invoice_sent", _("Invoice sent")
    INVOICE_PAID = "invoice_paid", _("Invoice paid")
    CLOSING_DOCS = "closing_docs", _("Closing documents")
    FAILED = "failed", _("Deal failed")


CONTRACT_ACTIVE = [
    ContractStage.PROPOSAL,
    ContractStage.FEEDBACK,
    ContractStage.CONTRACT,
    ContractStage.AWAITING_PAYMENT,
    ContractStage.PAID,
    ContractStage.AUDIT,
    ContractStage.CLOSING_DOCS,
]


REGULAR_ACTIVE = [
    RegularStage.INVOICE_FORMING,
    RegularStage.INVOICE_SENT,
    RegularStage.INVOICE_PAID,
    RegularStage.CLOSING_DOCS,
]


def _in_regular(deal) -> bool:
    # «Закрывающие документы» shares its slug with the contract pipeline's stage.
    return deal.pipeline == DealPipeline.REGULAR


def _later_than(stage: str) -> list[str]:
    return CONTRACT_ACTIVE[CONTRACT_ACTIVE.index(stage) + 1 :]


def _held_at(stage: str):
    """A suspended deal may only go back to the stage it was suspended at."""

    def condition(deal) -> bool:
        return deal.stage != ContractStage.SUSPENDED or deal.suspended_from == stage

    condition.__name__ = f"held_at_{stage}"
    return condition


class LostReason(models.Model):
    """Why deals are not signed: the list administrators keep and managers choose from."""

    name = models.CharField(_("reason"), max_length=200, unique=True)
    active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("reason a deal is lost")
        verbose_name_plural = _("reasons deals are lost")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Contract(models.Model):
    """What a client signed; created when a «Заключение договора» deal is won (SPEC §2)."""

    access_entity = "deal"
    access_owner_field = "responsible"

    class Status(models.TextChoices):
        ACTIVE = "active", _("in force")
        ENDED = "ended", _("ended")

    number = models.CharField(_("contract number"), max_length=50, unique=True)
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_contracts",
    )
    signed_on = models.DateField(_("signed on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    contract_file = models.FileField(_("contract"), blank=True)
    proposal_file = models.FileField(_("commercial proposal"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # The service level the client signed for: the Service Desk's deadlines for the company's
    # tickets take these over the service's and the desk's (``DeskSettings.reaction_time_for``).
    reaction_time = models.DurationField(
        _("reaction time"), null=True, blank=True, help_text=_("Working time; empty means the service's or the desk's.")
    )
    resolution_time = models.DurationField(
        _("resolution time"),
        null=True,
        blank=True,
        help_text=_("Working time; empty means the service's or the desk's."),
    )
    included_hours = models.PositiveSmallIntegerField(
        _("support hours included per month"), null=True, blank=True, help_text=_("Empty: not limited by the contract.")
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "-id"]

    def __str__(self):
        signed = formats.date_format(self.signed_on, "SHORT_DATE_FORMAT") if self.signed_on else "—"
        return str(_("Contract No. %(number)s of %(date)s") % {"number": self.number, "date": signed})


class Deal(ConcurrentTransitionMixin, ClosingReasonMessage, SearchText):
    """A sale in one of the deal pipelines (SPEC §2).

    The stage field holds the slug of a stage of ``pipeline``; the pipeline modules in
    ``crm.pipelines`` know the labels and robots. A won «Заключение договора» deal continues in
    «Регулярные платежи» (``won_at`` set, ``contract`` linked).
    """

    access_entity = "deal"
    access_owner_field = "responsible"
    search_source = ("title", "client_request", "company", "contact")

    pipeline = models.CharField(
        _("pipeline"), max_length=16, choices=DealPipeline.choices, default=DealPipeline.CONTRACT
    )
    stage = FSMField(_("stage"), max_length=32, default=ContractStage.PROPOSAL, db_index=True)
    stage_entry_count = models.PositiveIntegerField(_("stage entries"), default=0, editable=False)
    stage_changed_at = models.DateTimeField(_("stage changed at"), default=timezone.now)
    closing_reason = models.TextField(_("closing reason"), blank=True)

    title = models.CharField(_("title"), max_length=300)
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    contact = models.ForeignKey(
        "crm.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_deals",
    )
    source_lead = models.ForeignKey(
        "crm.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="RUB")

    # Copied from the lead on conversion.
    service_kind = models.CharField(_("service kind"), max_length=200, blank=True)
    computers = models.PositiveIntegerField(_("computers"), default=0)
    servers = models.PositiveIntegerField(_("servers"), default=0)
    offices = models.PositiveIntegerField(_("offices"), default=0)
    client_request = models.TextField(_("client request"), blank=True)

    proposal_file = models.FileField(_("commercial proposal"), upload_to="crm/deals/proposals/%Y/%m/", blank=True)
    contract_file = models.FileField(_("contract"), upload_to="crm/deals/contracts/%Y/%m/", blank=True)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    contract_end_date = models.DateField(_("contract end date"), null=True, blank=True)
    payment_received = models.BooleanField(_("payment received"), default=False)

    renews = models.ForeignKey(
        "self",
        verbose_name=_("renews the deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewals",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("reason the deal is lost"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    # Where a suspended deal returns to when it is resumed.
    suspended_from = models.CharField(_("suspended at stage"), max_length=32, blank=True, editable=False)
    won_at = models.DateTimeField(_("won at"), null=True, blank=True, editable=False)

    # «Регулярные платежи»: one deal per paid period of a contract.
    period_start = models.DateField(_("paid period from"), null=True, blank=True)
    period_end = models.DateField(_("paid period to"), null=True, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=50, blank=True)
    invoice_file = models.FileField(_("invoice"), upload_to="crm/deals/invoices/%Y/%m/", blank=True)
    invoice_paid = models.BooleanField(_("invoice paid"), default=False)
    closing_docs_received = models.BooleanField(_("closing documents received"), default=False)
    renewal_contract_file = models.FileField(_("renewal contract"), upload_to="crm/deals/contracts/%Y/%m/", blank=True)
    # The renewal that bills this deal's period instead: the deal was closed when it was signed.
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("billed under the renewal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded",
        editable=False,
    )

    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["pipeline", "stage", "-created_at"], name="crm_deal_board"),
            # A manager's column: his cards of a stage, newest first, read straight off the index.
            models.Index(fields=["responsible", "pipeline", "stage", "-created_at"], name="crm_deal_resp_board"),
            # The billing list's month (``billing_deals``): the end is a key too, so that "ends on or
            # after the 1st" is checked in the index, and the month's count (the responsible's, for
            # a manager) is read from the index alone, not from some 9,000 rows of the table.
            models.Index(
                fields=["pipeline", "period_start", "period_end"], include=["responsible"], name="crm_deal_period"
            ),
            # Column sums of the deal board, read from the index alone.
            models.Index(fields=["pipeline", "stage"], include=["amount"], name="crm_deal_stage_amount"),
        ]
        constraints = [
            # The next period's deal is created once, however often «Счёт оплачен» is entered. A deal
            # closed because a renewal took its period over does not count: should the renewal fall
            # through, the old contract bills that period again with a new deal.
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=models.Q(superseded_by__isnull=True),
                name="crm_deal_one_per_period",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        """The staff card, which staff notifications about it link to."""
        return card_link(self)

    def search_values(self):
        # The names as they were when the deal was saved: renaming a company does not re-save its deals.
        return (
            self.title,
            self.client_request,
            self.company.name if self.company_id else "",
            self.contact.full_name if self.contact_id else "",
        )

    @property
    def pipeline_key(self) -> str:
        return self.pipeline

    @property
    def stage_entry_token(self) -> str:
        return f"{self.pipeline}:{self.stage}:{self.stage_entry_count}"

    # --- «Заключение договора»: the moves that exist; guards and robots in crm.pipelines.contract.
    # Every active stage can be moved back to by hand (the pipeline's guard says who may); a
    # suspended deal resumes only at the stage it was suspended at.

    @transition(
        field=stage,
        source=[*_later_than(ContractStage.PROPOSAL), ContractStage.LOST, ContractStage.SUSPENDED],
        target=ContractStage.PROPOSAL,
        conditions=[_held_at(ContractStage.PROPOSAL)],
    )
    def to_proposal(self):
        """Start over with a new proposal."""

    @transition(
        field=stage,
        source=[ContractStage.PROPOSAL, *_later_than(ContractStage.FEEDBACK), ContractStage.SUSPENDED],
        target=ContractStage.FEEDBACK,
        conditions=[_held_at(ContractStage.FEEDBACK)],
    )
    def to_feedback(self):
        """The proposal is sent; waiting for the client's answer."""

    @transition(
        field=stage,
        source=[ContractStage.FEEDBACK, *_later_than(ContractStage.CONTRACT), ContractStage.SUSPENDED],
        target=ContractStage.CONTRACT,
        conditions=[_held_at(ContractStage.CONTRACT)],
    )
    def to_contract(self):
        """The client agreed: the contract is drafted."""

    @transition(
        field=stage,
        source=[ContractStage.CONTRACT, *_later_than(ContractStage.AWAITING_PAYMENT), ContractStage.SUSPENDED],
        target=ContractStage.AWAITING_PAYMENT,
        conditions=[_held_at(ContractStage.AWAITING_PAYMENT)],
    )
    def to_awaiting_payment(self):
        """The contract is signed; waiting for the first payment."""

    @transition(
        field=stage,
        source=[ContractStage.AWAITING_PAYMENT, *_later_than(ContractStage.PAID), ContractStage.SUSPENDED],
        target=ContractStage.PAID,
        conditions=[_held_at(ContractStage.PAID)],
    )
    def to_paid(self):
        """The first payment arrived."""

    @transition(
        field=stage,
        source=[ContractStage.PAID, ContractStage.CLOSING_DOCS, ContractStage.SUSPENDED],
        target=ContractStage.AUDIT,
        conditions=[_held_at(ContractStage.AUDIT)],
    )
    def to_audit(self):
        """The client's IT needs an audit first."""

    @transition(
        field=stage,
        source=[ContractStage.PAID, ContractStage.AUDIT, ContractStage.SUSPENDED],
        target=ContractStage.CLOSING_DOCS,
        conditions=[_held_at(ContractStage.CLOSING_DOCS)],
    )
    def to_closing_docs(self):
        """Waiting for the closing documents."""

    @transition(field=stage, source=CONTRACT_ACTIVE, target=ContractStage.LOST)
    def to_lost(self):
        """Closed: the deal was not signed."""

    @transition(field=stage, source=CONTRACT_ACTIVE, target=ContractStage.SUSPENDED)
    def to_suspended(self):
        """On hold."""

    @transition(
        field=stage,
        source=[ContractStage.CLOSING_DOCS],
        target=RegularStage.INVOICE_FORMING,
        conditions=[lambda deal: deal.contract_id is None],
    )
    def to_invoice_forming(self):
        """Won: the deal goes on as «Регулярные платежи». Only once, before its contract exists —
        a regular deal's own «Закрывающие документы» stage shares the slug."""

    # --- «Регулярные платежи»: guards and robots in crm.pipelines.regular.

    @transition(
        field=stage, source=[RegularStage.INVOICE_SENT], target=RegularStage.INVOICE_FORMING, conditions=[_in_regular]
    )
    def back_to_invoice_forming(self):
        """The invoice is to be formed again."""

    @transition(
        field=stage,
        source=[RegularStage.INVOICE_FORMING, RegularStage.INVOICE_PAID],
        target=RegularStage.INVOICE_SENT,
        conditions=[_in_regular],
    )
    def to_invoice_sent(self):
        """The invoice went to the client."""

    @transition(
        field=stage,
        source=[RegularStage.INVOICE_SENT, RegularStage.CLOSING_DOCS],
        target=RegularStage.INVOICE_PAID,
        conditions=[_in_regular],
    )
    def to_invoice_paid(self):
        """The client paid the invoice."""

    @transition(
        field=stage, source=[RegularStage.INVOICE_PAID], target=RegularStage.CLOSING_DOCS, conditions=[_in_regular]
    )
    def to_period_closing_docs(self):
        """The paid period is ending: its closing documents are due."""

    @transition(field=stage, source=REGULAR_ACTIVE, target=RegularStage.FAILED, conditions=[_in_regular])
    def to_failed(self):
        """Closed: the client stopped paying."""
