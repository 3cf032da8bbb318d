import secrets
import uuid

from django.conf import settings
from django.db import connection, models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from admin24 import bulk, messages
from admin24.boards.search import SearchText, text_of
from admin24.normalize import normalize_email, validate_phone
from admin24.workflow.closing import ClosingReasonMessage

from ..links import ticket_card_path
from .settings import Service

# Created by migration 0001 on PostgreSQL only.
NUMBER_SEQUENCE = "servicedesk_ticket_number_seq"


def next_number_sql(db) -> tuple[str, list]:
    """How a ticket takes its number: the SQL expression and its parameters, on connection ``db``.

    The one rule, whether run alone (``next_ticket_number``) or inside the intake's single
    statement (``ticket_statement``); evaluate it in the transaction or statement that inserts the
    ticket. PostgreSQL hands out numbers from a sequence, so concurrent intakes never wait for
    each other (a rolled-back intake leaves a gap). SQLite takes the maximum plus one: it runs
    every transaction IMMEDIATE (settings.py), so the writer that reads the maximum holds the
    database until it commits. The unique constraint on ``number`` backs both up.
    """
    if db.vendor == "postgresql":
        return "nextval(%s)", [NUMBER_SEQUENCE]
    column, table = db.ops.quote_name(Ticket._meta.get_field("number").column), db.ops.quote_name(Ticket._meta.db_table)
    return f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {table})", []  # noqa: S608


def next_ticket_number() -> int:
    """The next ticket number (``next_number_sql``); call inside the transaction that inserts the ticket."""
    return next_ticket_numbers(1)[0]


def next_ticket_numbers(count: int) -> list[int]:
    """``count`` next ticket numbers in one query (a batch of tickets inserted together), by
    ``next_number_sql``: on PostgreSQL the sequence gives ``count`` values; on SQLite the maximum
    plus one counts on from there (the writer holds the database)."""
    expression, params = next_number_sql(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {expression} FROM generate_series(1, %s)", [*params, count])  # noqa: S608
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT {expression}", params)
        first = cursor.fetchone()[0]
    return list(range(first, first + count))


def new_client_token() -> str:
    return secrets.token_urlsafe(24)


def attachment_path(instance, filename: str) -> str:
    # A random name without the client's extension: nothing under MEDIA_ROOT can be guessed or run.
    return f"servicedesk/attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("Work in progress")
    DEFERRED = "deferred", _("Deferred")
    DONE = "done", _("Done")


class TicketSource(models.TextChoices):
    FORM = "form", _("web form")
    API = "api", _("API")
    EMAIL = "email", _("email")
    TELEGRAM = "telegram", _("Telegram")
    STAFF = "staff", _("staff")


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=TicketStatus.DONE)

    def overdue(self, now=None):
        """Breached, or past a deadline the clock has not flagged yet."""
        now = now or timezone.now()
        return self.filter(self.overdue_q(now))

    def narrowed(self, *, service=None, assignee=None, company=None, contact=None, company_name: str = ""):
        """The filters the board, the list and the reports share; an empty value narrows nothing."""
        tickets = self
        for name, value in (("service", service), ("assignee", assignee), ("company", company), ("contact", contact)):
            if value:
                tickets = tickets.filter(**{name: value})
        if company_name:
            tickets = tickets.filter(
                Q(company__name__icontains=company_name) | Q(client_company__icontains=company_name)
            )
        return tickets

    @staticmethod
    def overdue_q(now) -> Q:
        """Overdue at ``now``: one comparison on the stored ``overdue_at`` (indexed, partial)."""
        return Q(overdue_at__lt=now)

    @staticmethod
    def is_overdue_at(overdue_at, now) -> bool:
        """``overdue_q`` for a ticket read as values (``overdue_at`` among them)."""
        return overdue_at is not None and overdue_at < now


def _overdue_moment():
    """When a ticket is overdue from, as the database keeps it (``Ticket.overdue_at``).

    None when done; its creation when the clock has flagged a breach still open (a reaction
    breach counts until work starts); else the first of its deadlines still to meet (the reaction
    deadline only while it is new). So "overdue at ``now``" is ``overdue_at < now``: breached, or
    past a deadline the clock has not flagged yet. ``Least`` of two ``Coalesce`` because SQLite's
    ``MIN()`` is NULL when any argument is.
    """
    reaction = Case(When(status=TicketStatus.NEW, then=F("reaction_due_at")))
    first_deadline = Least(Coalesce(reaction, F("resolution_due_at")), Coalesce(F("resolution_due_at"), reaction))
    return Case(
        When(status=TicketStatus.DONE, then=None),
        When(
            Q(reaction_breached=True, first_reaction_at__isnull=True) | Q(resolution_breached=True),
            then=F("created_at"),
        ),
        default=first_deadline,
    )


class Ticket(ConcurrentTransitionMixin, ClosingReasonMessage, SearchText):
    """A client's request to the Service Desk (SPEC §1).

    Status changes go through ``admin24.workflow.move`` (the services in
    ``servicedesk.services`` call it); the transition methods only declare which moves exist.
    """

    access_entity = "ticket"
    access_owner_field = "assignee"
    pipeline_key = "tickets"
    search_source = ("subject", "client_name", "client_email", "client_company", "number")

    number = models.PositiveIntegerField(_("number"), unique=True, editable=False)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    client_name = models.CharField(_("client name"), max_length=300, blank=True)
    client_email = models.EmailField(_("client email"), blank=True)
    client_email_normalized = models.CharField(max_length=254, blank=True, editable=False)
    client_phone = models.CharField(_("client phone"), max_length=40, blank=True, validators=[validate_phone])
    client_company = models.CharField(_("client company"), max_length=300, blank=True)
    # The foreign keys' own indexes are in Meta: partial where the intake leaves the key empty.
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    # The client's contract in force when the ticket came in; its service level set the deadlines.
    contract = models.ForeignKey(
        "crm.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,  # the (assignee, …) indexes below lead with it
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), blank=True, related_name="watched_tickets"
    )

    status = FSMField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    stage_entry_count = models.PositiveIntegerField(_("status entries"), default=0, editable=False)
    stage_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    # The pipeline engine stores a reason when a card enters a closed stage; for tickets, "done".
    closing_reason = models.TextField(_("closing note"), blank=True)
    deferred_until = models.DateTimeField(_("deferred until"), null=True, blank=True)

    reaction_due_at = models.DateTimeField(_("reaction due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    first_reaction_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reaction_breached = models.BooleanField(_("reaction time breached"), default=False)
    resolution_breached = models.BooleanField(_("deadline breached"), default=False)
    # Working time from creation to work started / done (``worktime.working_time_between``),
    # stored when it happens so that the reports add them up in SQL.
    reaction_work_seconds = models.PositiveIntegerField(_("reaction, working seconds"), null=True, blank=True)
    resolution_work_seconds = models.PositiveIntegerField(_("resolution, working seconds"), null=True, blank=True)
    # The engineer's time on the ticket, logged with «Завершить» (added up when it is done again);
    # counted against the contract's included support hours in the month it was done
    # (``servicedesk.support_hours``).
    spent_minutes = models.PositiveIntegerField(_("time spent, minutes"), null=True, blank=True)

    source = models.CharField(_("source"), max_length=16, choices=TicketSource.choices, default=TicketSource.STAFF)
    # A client's reply to a ticket done longer ago than the desk's reopen window opens a new one.
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
        db_index=False,
    )
    # Unique by a constraint in Meta: ``unique=True`` would add a LIKE copy of the index, never used.
    client_token = models.CharField(max_length=64, default=new_client_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)  # indexed by sd_ticket_created
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Kept by the database from the fields above (the clock's breach flags among them), so every
    # writer — save(), update(), the intake's statement, bulk_create — keeps it right. An
    # instance's copy is read again after its writes (``bulk.forget_generated``).
    overdue_at = models.GeneratedField(
        expression=_overdue_moment(), output_field=models.DateTimeField(null=True), db_persist=True, editable=False
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        # Every index costs each intake an entry (issue 17: the INSERT waited on 21 of them). So no
        # LIKE copies (nothing searches these columns with LIKE: ``search_text`` has the trigram
        # index), no single-column index an index below already leads with, and partial indexes
        # where the intake's row has nothing to index (no contact, company or contract yet, not
        # done, no creator, follows nothing).
        constraints = [models.UniqueConstraint(fields=["client_token"], name="sd_ticket_client_token")]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="sd_ticket_board"),
            models.Index(fields=["client_email_normalized"], name="sd_ticket_client_email"),
            # An engineer's column: his tickets of a status, newest first, read straight off the index.
            models.Index(fields=["assignee", "status", "-created_at"], name="sd_ticket_assignee_board"),
            # Tickets by creation; the Service Desk report reads a period's tickets off this index alone
            # (PostgreSQL's INCLUDE: every column the report groups and judges by, not the wide row), so
            # a year of tickets is a scan of about 12 MB instead of the table. It replaces the plain
            # created_at index: no extra index for the intake to fill.
            models.Index(
                fields=["created_at"],
                name="sd_ticket_created",
                include=[
                    "id",
                    "resolved_at",
                    "status",
                    "overdue_at",
                    "service",
                    "assignee",
                    "contract",
                    "company",
                    "source",
                    "first_reaction_at",
                    "reaction_due_at",
                    "resolution_due_at",
                    "reaction_work_seconds",
                    "resolution_work_seconds",
                ],
            ),
            # The report's days: tickets done since the period's start (or not done) found by range.
            models.Index(fields=["resolved_at"], name="sd_ticket_resolved"),
            models.Index(
                fields=["company", "-created_at"], name="sd_ticket_company", condition=Q(company__isnull=False)
            ),
            models.Index(fields=["contact"], name="sd_ticket_contact", condition=Q(contact__isnull=False)),
            # A contract's tickets; INCLUDE: its support hours of a month are read off the index alone.
            models.Index(
                fields=["contract"],
                name="sd_ticket_contract",
                condition=Q(contract__isnull=False),
                include=["resolved_at", "spent_minutes"],
            ),
            models.Index(fields=["created_by"], name="sd_ticket_created_by", condition=Q(created_by__isnull=False)),
            models.Index(fields=["follows"], name="sd_ticket_follows", condition=Q(follows__isnull=False)),
            # "My tickets": the open ones by deadline and the last done ones, each read off its own
            # index and stopping at the page's rows, not all of the engineer's tickets.
            models.Index(
                fields=["assignee", "resolution_due_at", "id"],
                name="sd_ticket_assignee_open",
                condition=~Q(status=TicketStatus.DONE),
            ),
            models.Index(
                fields=["assignee", "-resolved_at", "-id"],
                name="sd_ticket_assignee_done",
                condition=Q(status=TicketStatus.DONE),
            ),
            # Overdue (``overdue_q``) over open tickets only: done ones are not in these. The board's
            # overdue column walks its status newest first, checks ``overdue_at`` in the index and
            # stops at the column's 51 cards (or the count's 1,001), not at every overdue ticket.
            models.Index(
                fields=["status", "-created_at", "overdue_at"],
                name="sd_ticket_overdue",
                condition=Q(overdue_at__isnull=False),
            ),
            models.Index(
                fields=["assignee", "overdue_at"],
                name="sd_ticket_assignee_overdue",
                condition=Q(overdue_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.display_number} {self.subject}"

    def get_absolute_url(self):
        """The staff card, which staff notifications about it link to."""
        return ticket_card_path(self)

    def save(self, *args, **kwargs):
        self.client_email_normalized = normalize_email(self.client_email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "client_email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "client_email_normalized"}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            # An INSERT returns ``overdue_at``; an UPDATE does not (Django 5.2).
            bulk.forget_generated([self])

    def prepare_insert(self) -> None:
        """Derive what save() derives, for an INSERT written without save() (``accept_tickets``)."""
        for name, value in self.derived_columns(self._searched()).items():
            setattr(self, name, value)

    @classmethod
    def derived_columns(cls, values) -> dict:
        """The columns save() derives from the others, by ``values`` (attname → value): also for a
        row written without an instance (``ticket_statement``)."""
        return {
            "client_email_normalized": normalize_email(values["client_email"]),
            "search_text": text_of(cls.search_values_of(values)),
        }

    @staticmethod
    def search_values_of(values) -> tuple:
        number, subject = values["number"], values["subject"]
        return (
            Ticket.display_number_of(number),
            subject,
            values["client_name"],
            values["client_email"],
            values["client_company"],
        )

    def search_values(self):
        return self.search_values_of(self._searched())

    def _searched(self) -> dict:
        return {name: getattr(self, name) for name in self.search_source}

    @property
    def display_number(self) -> str:
        return self.display_number_of(self.number)

    @staticmethod
    def display_number_of(number: int) -> str:
        """How people name a ticket: «#1042»."""
        return f"#{number}"

    @property
    def stage_entry_token(self) -> str:
        return f"{self.status}:{self.stage_entry_count}"

    @property
    def is_overdue(self) -> bool:
        """``overdue_q`` for this ticket, by the ``overdue_at`` the database keeps (the one rule)."""
        return TicketQuerySet.is_overdue_at(self.overdue_at, timezone.now())

    # --- the moves that exist; effects live in servicedesk.pipeline ---------------------------

    @transition(field=status, source=TicketStatus.NEW, target=TicketStatus.IN_PROGRESS)
    def start(self):
        """«Начать выполнение»."""

    @transition(field=status, source=[TicketStatus.NEW, TicketStatus.IN_PROGRESS], target=TicketStatus.DEFERRED)
    def defer(self):
        """«Отложить»: back in work by itself after the auto-return time."""

    @transition(field=status, source=TicketStatus.DEFERRED, target=TicketStatus.IN_PROGRESS)
    def resume(self):
        """Back to work by hand, or by the clock when the deferral ends."""

    @transition(
        field=status,
        source=[TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.DEFERRED],
        target=TicketStatus.DONE,
    )
    def complete(self):
        """«Завершить»."""

    @transition(field=status, source=TicketStatus.DONE, target=TicketStatus.IN_PROGRESS)
    def reopen(self):
        """The client or staff say it is not done after all."""


def plain_text_html(text: str) -> str:
    """Plain text as a comment's HTML: escaped, its line breaks kept."""
    return linebreaks(escape((text or "").strip()))


class TicketComment(models.Model):
    """One message of a ticket's thread: staff (public or internal) or the client."""

    class Source(models.TextChoices):
        STAFF = "staff", _("staff")
        CLIENT_PAGE = "client_page", _("client page")
        EMAIL = "email", _("email")
        TELEGRAM = "telegram", _("Telegram")
        API = "api", _("API")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_comments",
        help_text=_("Empty when the client wrote it."),
    )
    from_client = models.BooleanField(_("from the client"), default=False)
    public = models.BooleanField(
        _("visible to the client"), default=True, help_text=_("An internal note is never shown or sent to the client.")
    )
    body = models.TextField(_("text"), help_text=_("Sanitised HTML."))
    # A note the system wrote (the files of an email it refused, «files attached» for a reply of
    # files only) as a message, shown in the reader's language; ``body`` then holds its text in the
    # site's language, for search and the Django admin. Empty for what a person wrote.
    body_message = models.JSONField(_("text (message)"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STAFF)
    # An inbound email's Message-ID, so the same email never becomes two comments.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    # Who wrote a client-side comment by email when it was not the ticket's client (a colleague).
    sender_email = models.EmailField(_("sender's address"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="sd_comment_thread")]

    def __str__(self):
        return f"{self.ticket.display_number}: {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def shown_body(self) -> str:
        """The text as HTML in the active language (a system note's message), or as written."""
        said = messages.Message.from_stored(self.body_message)
        return self.body if said is None else plain_text_html(str(said))

    @property
    def author_name(self) -> str:
        if self.from_client:
            if self.sender_email and self.sender_email.lower() != (self.ticket.client_email or "").lower():
                return self.sender_email
            return self.ticket.client_name or self.ticket.client_email
        return self.author.full_name if self.author else str(_("Admin24"))


class Attachment(models.Model):
    """A file a client or staff attached; stored under a random name, served to staff as a download."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        TicketComment,
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100, help_text=_("Recognised from the content."))
    # Staff only (the original of an inbound email): never on the client page nor in a client's email.
    staff_only = models.BooleanField(_("staff only"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class TicketIntake(Ticket):
    """A ticket as the target of the clock action that follows its acceptance (``accept_ticket``).

    That action must run whatever happens to the ticket first, but the pipeline engine cancels a
    ticket's pending actions on every move and the clock drops those whose target changed stage.
    Aimed at this proxy (its own content type, no stage token) it is neither cancelled nor stale.
    """

    stage_entry_token = ""

    class Meta:
        proxy = True
        verbose_name = _("accepted ticket")
        verbose_name_plural = _("accepted tickets")

    def as_ticket(self) -> Ticket:
        """The same row as a ``Ticket``, without a query: what is aimed at the ticket (its SLA
        timers, which its moves cancel) must name the ticket, not this proxy."""
        names = [field.attname for field in Ticket._meta.concrete_fields]
        return Ticket.from_db(self._state.db, names, [getattr(self, name) for name in names])
