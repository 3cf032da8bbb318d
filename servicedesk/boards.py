"""The ticket board: the one kanban component with the ticket pipeline plugged in."""

from django.db import connections
from django.db.models import Case, F, Func, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24.boards import Board, Card, Field, Stage
from admin24.boards import views as board_views
from admin24.boards.board import card_moment_format, card_url, local_time, person_fields
from admin24.boards.export import (
    copy_csv_lines,
    csv_value_lines,
    moment_cell,
    sql_label,
    sql_moment,
    sql_text,
    text_cell,
)
from admin24.fragments import day_writer, moment_writer
from admin24.models.users import full_name_of, initials_of

from . import services, standing
from .forms import TicketFilterForm
from .models import Ticket, TicketStatus
from .models.tickets import TicketQuerySet
from .pipeline import PIPELINE
from .templatetags.servicedesk_staff import countdown_writer


class TicketBoard(Board):
    slug = "tickets"
    namespace = "servicedesk"
    title = _("Tickets")
    model = Ticket
    stage_field = "status"
    responsible_field = "assignee"
    source_field = "source"
    csv_filename = "tickets.csv"
    list_fields = [
        Field(_("Number"), lambda t: t.display_number, sort="number", link=True),
        Field(_("Subject"), lambda t: t.subject, sort="subject"),
        Field(_("Status"), lambda t: t.get_status_display(), sort="status"),
        Field(_("Service"), lambda t: t.service.name if t.service else "", sort="service__name"),
        Field(_("Company"), lambda t: t.company.name if t.company else t.client_company, sort="client_company"),
        Field(_("Client"), lambda t: t.client_name or t.client_email, sort="client_name"),
        Field(_("Assignee"), lambda t: t.assignee.full_name if t.assignee else "", sort="assignee__last_name"),
        Field(_("Created"), lambda t: local_time(t.created_at), sort="created_at"),
        Field(_("Deadline"), lambda t: local_time(t.resolution_due_at), sort="resolution_due_at"),
        Field(_("Past deadline"), lambda t: _("yes") if t.is_overdue else ""),
        Field(_("Contract"), lambda t: t.contract.number if t.contract else "", sort="contract__number"),
        Field(_("Warnings"), lambda t: ", ".join(standing.marks(t))),
    ]
    csv_fields = [
        *list_fields[:-3],
        *list_fields[-2:],
        Field(_("Email"), lambda t: t.client_email),
        Field(_("Phone"), lambda t: t.client_phone),
        Field(_("Reaction due"), lambda t: local_time(t.reaction_due_at)),
        Field(_("Work started at"), lambda t: local_time(t.first_reaction_at)),
        Field(_("Done at"), lambda t: local_time(t.resolved_at)),
        Field(_("Past deadline"), lambda t: t.is_overdue),
    ]

    # The project's links name the pages plainly: servicedesk:board, servicedesk:list …
    def urlpatterns(self, prefix: str) -> list:
        return [
            path(f"{prefix}", board_views.board_page, {"board": self}, name="board"),
            path(f"{prefix}column/", board_views.board_column, {"board": self}, name="column"),
            path(f"{prefix}move/", board_views.board_move, {"board": self}, name="move"),
            path(f"{prefix}list/", board_views.board_list, {"board": self}, name="list"),
            path(f"{prefix}export.csv", board_views.board_csv, {"board": self}, name="csv"),
        ]

    def url(self, kind: str) -> str:
        return reverse(f"{self.namespace}:{kind}")

    def stages(self) -> list[Stage]:
        return [Stage(stage.slug, stage.label, stage.kind) for stage in PIPELINE.stages]

    def filter_form(self, user, data) -> TicketFilterForm:
        form = TicketFilterForm(data or None, board=self, user=user)
        form.is_valid()  # invalid fields are reported on the page and ignored
        return form

    def visible_stages(self, form: TicketFilterForm) -> list[Stage]:
        wanted = set(form.statuses())
        return [stage for stage in self.stages() if stage.slug in wanted]

    def filtered(self, user, form: TicketFilterForm) -> QuerySet:
        # The board narrows to the visible stages, which the status filter chose.
        queryset = super().filtered(user, form)
        data = getattr(form, "cleaned_data", {})
        queryset = queryset.narrowed(
            service=data.get("service"),
            company=data.get("company"),
            contact=data.get("contact"),
            company_name=data.get("company_name") or "",
        )
        if data.get("overdue"):
            queryset = queryset.filter(TicketQuerySet.overdue_q(timezone.now()))
        if data.get("standing"):
            queryset = standing.filter_standing(queryset, data["standing"])
        return queryset

    def csv_lines(self, queryset: QuerySet):
        """``csv_fields``' columns for ``queryset``: written by PostgreSQL itself where it is the
        database (``copy_csv_lines``), else by ``python_csv_lines`` — the same rows and cells."""
        if connections[queryset.db].vendor == "postgresql":
            return self.copy_csv_lines(queryset)
        return self.python_csv_lines(queryset)

    def _warnings(self) -> dict[tuple[bool, bool], str]:
        """The warnings cell by (no contract, payment overdue), in the current language."""
        marks = standing.marks_writer()
        return {(none, late): ", ".join(marks(none, late)) for none in (False, True) for late in (False, True)}

    def copy_csv_lines(self, queryset: QuerySet):
        """The export as ``COPY (SELECT …) TO STDOUT``: every cell an SQL expression on the export's
        own queryset (labels a CASE built once from the choices in the reader's language, moments
        converted AT TIME ZONE the reader's zone), so Python only passes the bytes on."""
        zone, now, warnings = timezone.get_current_timezone(), timezone.now(), self._warnings()
        no_contract = Q(contract__isnull=True)
        person = Func(
            Value(" "),
            *(NullIf(F(f"assignee__{name}"), Value("")) for name in ("last_name", "first_name", "patronymic")),
            function="CONCAT_WS",
            output_field=TextField(),
        )
        cells = {
            "csv_number": Concat(Value("#"), Cast("number", TextField()), output_field=TextField()),
            "csv_subject": sql_text(F("subject")),
            "csv_status": sql_label("status", TicketStatus.choices),
            "csv_service": sql_text(F("service__name")),
            "csv_company": sql_text(Coalesce(NullIf(F("company__name"), Value("")), F("client_company"))),
            "csv_client": sql_text(Coalesce(NullIf(F("client_name"), Value("")), F("client_email"))),
            "csv_assignee": sql_text(Coalesce(NullIf(person, Value("")), F("assignee__username"))),
            "csv_created": sql_moment(F("created_at"), zone),
            "csv_deadline": sql_moment(F("resolution_due_at"), zone),
            "csv_contract": sql_text(F("contract__number")),
            "csv_warnings": Case(
                When(no_contract & Q(payment_overdue=True), then=Value(warnings[(True, True)])),
                When(no_contract, then=Value(warnings[(True, False)])),
                When(payment_overdue=True, then=Value(warnings[(False, True)])),
                default=None,
                output_field=TextField(),
            ),
            "csv_email": sql_text(F("client_email")),
            "csv_phone": sql_text(F("client_phone")),
            "csv_reaction_due": sql_moment(F("reaction_due_at"), zone),
            "csv_reacted": sql_moment(F("first_reaction_at"), zone),
            "csv_resolved": sql_moment(F("resolved_at"), zone),
            "csv_overdue": Case(When(TicketQuerySet.overdue_q(now), then=Value("1")), default=Value("0")),
        }
        rows = standing.with_standing(queryset).annotate(**cells).values_list(*cells)
        return copy_csv_lines([field.label for field in self.csv_fields], rows)

    def python_csv_lines(self, queryset: QuerySet):
        """``csv_fields``' columns, read with ``values_list`` (one tuple per ticket, no model
        instance), the labels translated once per export, the moments converted without a zone
        look-up per value; memory flat (a server-side cursor)."""
        labels = [field.label for field in self.csv_fields]
        statuses = {value: str(label) for value, label in TicketStatus.choices}
        warnings = self._warnings()
        rows = standing.with_standing(queryset).values_list(
            "number", "subject", "status", "service__name", "company__name", "client_company", "client_name",
            "client_email", "assignee__last_name", "assignee__first_name", "assignee__patronymic",
            "assignee__username", "created_at", "resolution_due_at", "contract__number", "contract_id",
            "payment_overdue", "client_phone", "reaction_due_at", "first_reaction_at", "resolved_at", "overdue_at",
        )  # fmt: skip

        def cells():
            moment, now = moment_cell(timezone.get_current_timezone()), timezone.now()
            for (
                number, subject, status, service, company, client_company, client_name, email, last, first,
                patronymic, username, created, deadline, contract, contract_id, payment_overdue, phone,
                reaction_due, reacted, resolved, overdue_at,
            ) in rows.iterator(chunk_size=2000):  # fmt: skip
                person = full_name_of(last_name=last, first_name=first, patronymic=patronymic, username=username)
                yield [
                    Ticket.display_number_of(number),
                    text_cell(subject),
                    statuses.get(status, status),
                    text_cell(service),
                    text_cell(company or client_company),
                    text_cell(client_name or email),
                    text_cell(person),
                    moment(created),
                    moment(deadline),
                    text_cell(contract),
                    warnings[(contract_id is None, bool(payment_overdue))],
                    text_cell(email),
                    text_cell(phone),
                    moment(reaction_due),
                    moment(reacted),
                    moment(resolved),
                    "1" if TicketQuerySet.is_overdue_at(overdue_at, now) else "0",
                ]

        return csv_value_lines(labels, cells)

    def with_card_fields(self, queryset: QuerySet) -> QuerySet:
        return standing.with_standing(queryset.select_related("assignee", "company", "service", "contract"))

    # What a card shows, read as named tuples: building a ticket, its company, contract and
    # assignee instances for each of 200 cards cost more than the query that found them.
    card_columns = (
        "pk",
        "number",
        "subject",
        "status",
        "client_company",
        "company__name",
        "contract_id",
        "contract__number",
        "contract__ends_on",
        "assignee_id",
        *person_fields("assignee"),
        "resolved_at",
        "deferred_until",
        "resolution_due_at",
        "overdue_at",
        "payment_overdue",
    )

    def card_rows(self, queryset: QuerySet) -> QuerySet:
        return standing.with_standing(queryset).values_list(*self.card_columns, named=True)

    def move(self, obj, to, *, by, reason=""):
        services.ticket_move(ticket=obj, to=to, by=by, reason=reason)

    def card_url(self, obj) -> str:
        return card_url("servicedesk:ticket", obj.pk)

    def cards_for(self, rows, now) -> list[Card]:
        """The cards of ``card_rows``' tuples. The words, formats and clock are read once for the
        page: a card's moments and countdown through date_format and gettext cost more than the
        rest of the card."""
        card_moment = moment_writer(card_moment_format())
        deadline_moment = moment_writer(formats.get_format("SHORT_DATETIME_FORMAT"))
        day = day_writer(formats.get_format("SHORT_DATE_FORMAT"))
        countdown = countdown_writer(now)
        marks = standing.marks_writer()
        until, unassigned, deadline = gettext("until"), gettext("unassigned"), gettext("Deadline")
        done_at, returns_at = gettext("Done at"), gettext("Returns to work at")
        people = {}  # assignee id -> (initials, full name)
        cards = []
        for row in rows:
            card = Card(
                pk=row.pk, url=self.card_url(row), title=row.subject, prefix=Ticket.display_number_of(row.number)
            )
            company = row.company__name if row.company__name is not None else row.client_company
            if company:
                card.lines.append(("", company))
            if row.contract_id is not None:
                ends = f" {until} {day(row.contract__ends_on)}" if row.contract__ends_on else ""
                card.lines.append(("text-body-secondary kanban-card-contract", f"{row.contract__number}{ends}"))
            card.badge = " · ".join(marks(row.contract_id is None, row.payment_overdue))
            if row.assignee_id is None:
                card.nobody = unassigned
            else:
                if row.assignee_id not in people:
                    first, last = row.assignee__first_name, row.assignee__last_name
                    username = row.assignee__username
                    people[row.assignee_id] = (
                        initials_of(first_name=first, last_name=last, username=username),
                        full_name_of(
                            last_name=last, first_name=first, patronymic=row.assignee__patronymic, username=username
                        ),
                    )
                card.initials, card.person = people[row.assignee_id]
            # Whatever the card shows as its moment (a deferred one its return): SPEC §1 marks it.
            card.overdue = TicketQuerySet.is_overdue_at(row.overdue_at, now)
            if row.status == TicketStatus.DONE:
                if row.resolved_at:
                    card.when, card.when_title = f"✓ {card_moment(row.resolved_at)}", done_at
            elif row.status == TicketStatus.DEFERRED and row.deferred_until:
                card.when, card.when_title = f"⏸ {card_moment(row.deferred_until)}", returns_at
            elif row.resolution_due_at:
                card.when = countdown(row.resolution_due_at)
                card.when_title = f"{deadline} {deadline_moment(row.resolution_due_at)}"
            cards.append(card)
        return cards


ticket_board = TicketBoard()
