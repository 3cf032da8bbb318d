"""The ticket board: the one kanban component with the ticket pipeline plugged in."""

from django.db.models import Q, QuerySet
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from admin24.boards import Board, Field, Stage
from admin24.boards import views as board_views
from crm.pipelines.engine import MoveRefused

from .. import services
from ..forms import TicketFilterForm
from ..models import Ticket
from ..models.tickets import TicketQuerySet
from ..pipeline import PIPELINE


def _local(value):
    return timezone.localtime(value) if value else None


class TicketBoard(Board):
    slug = "tickets"
    namespace = "servicedesk"
    title = _("Tickets")
    model = Ticket
    stage_field = "status"
    responsible_field = "assignee"
    source_field = "source"
    search_fields = ("subject", "client_name", "client_email", "client_company", "number")
    card_template = "servicedesk/staff/_board_card.html"
    csv_filename = "tickets.csv"
    refused_errors = (MoveRefused,)
    list_fields = [
        Field(_("Number"), lambda t: t.display_number, sort="number", link=True),
        Field(_("Subject"), lambda t: t.subject, sort="subject"),
        Field(_("Status"), lambda t: t.get_status_display(), sort="status"),
        Field(_("Service"), lambda t: t.service.name if t.service else "", sort="service__name"),
        Field(_("Company"), lambda t: t.company.name if t.company else t.client_company, sort="client_company"),
        Field(_("Client"), lambda t: t.client_name or t.client_email, sort="client_name"),
        Field(_("Assignee"), lambda t: t.assignee.full_name if t.assignee else "", sort="assignee__last_name"),
        Field(_("Created"), lambda t: _local(t.created_at), sort="created_at"),
        Field(_("Deadline"), lambda t: _local(t.resolution_due_at), sort="resolution_due_at"),
        Field(_("Past deadline"), lambda t: _("yes") if t.is_overdue else ""),
    ]
    csv_fields = [
        *list_fields[:-1],
        Field(_("Email"), lambda t: t.client_email),
        Field(_("Phone"), lambda t: t.client_phone),
        Field(_("Reaction due"), lambda t: _local(t.reaction_due_at)),
        Field(_("Work started at"), lambda t: _local(t.first_reaction_at)),
        Field(_("Done at"), lambda t: _local(t.resolved_at)),
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
        if data.get("service"):
            queryset = queryset.filter(service=data["service"])
        if data.get("company"):
            queryset = queryset.filter(company=data["company"])
        if data.get("contact"):
            queryset = queryset.filter(contact=data["contact"])
        if data.get("company_name"):
            name = data["company_name"]
            queryset = queryset.filter(Q(company__name__icontains=name) | Q(client_company__icontains=name))
        if data.get("overdue"):
            queryset = queryset.filter(TicketQuerySet.overdue_q(timezone.now()))
        return queryset

    def with_card_fields(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("assignee", "company", "service")

    def is_overdue(self, card) -> bool:
        return card.is_overdue

    def move(self, obj, to, *, by, reason=""):
        services.ticket_move(ticket=obj, to=to, by=by, reason=reason)

    def card_url(self, obj) -> str:
        return reverse("servicedesk:ticket", args=[obj.pk])


ticket_board = TicketBoard()
