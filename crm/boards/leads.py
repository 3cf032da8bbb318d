"""The lead board: the one kanban component with the lead pipeline plugged in."""

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from admin24.access import Action, level_for
from admin24.boards import Board, Field
from admin24.boards.board import card_url, local_time, person_fields

from ..models import Lead
from ..pipelines.leads import PIPELINE as LEAD_PIPELINE
from .common import next_open_task_deadline


class LeadBoard(Board):
    slug = "leads"
    namespace = "crm"
    title = _("Leads")
    model = Lead
    source_field = "source"
    csv_filename = "leads.csv"
    create_label = _("New lead")
    list_fields = [
        Field(_("Title"), lambda lead: lead.title, sort="title", link=True),
        Field(_("Stage"), lambda lead: lead.get_stage_display(), sort="stage"),
        Field(_("Company"), lambda lead: lead.company.name if lead.company else lead.company_name, sort="company_name"),
        Field(_("Contact"), lambda lead: lead.contact_name, sort="contact_name"),
        Field(_("Phone"), lambda lead: lead.phone),
        Field(_("Email"), lambda lead: lead.email, sort="email"),
        Field(_("Source"), lambda lead: lead.get_source_display(), sort="source"),
        Field(
            _("Responsible"),
            lambda lead: lead.responsible.full_name if lead.responsible else "",
            sort="responsible__last_name",
        ),
        Field(_("Received"), lambda lead: local_time(lead.created_at), sort="created_at"),
        Field(_("Next task"), lambda lead: local_time(lead.next_task_deadline), sort="next_task_deadline"),
    ]

    def stages(self):
        return LEAD_PIPELINE.stages

    def with_card_fields(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("responsible", "company").annotate(
            next_task_deadline=next_open_task_deadline("lead")
        )

    def card_rows(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.select_related("responsible", "company")
            .only(
                "title",
                "stage",
                "company_name",
                "duplicate_of_id",
                "duplicate_contact_id",
                "company__name",
                *person_fields("responsible"),
            )
            .annotate(next_task_deadline=next_open_task_deadline("lead"))
        )

    def card_url(self, obj):
        return card_url("crm:lead-detail", obj.pk)

    def card(self, obj, now):
        card = super().card(obj, now)
        company = obj.company.name if obj.company else obj.company_name
        if company:
            card.lines.append(("", company))
        if obj.is_possible_duplicate:
            card.badge = gettext("possible duplicate")
        return card

    def create_url(self, user):
        if level_for(user, Lead.access_entity, Action.EDIT):
            return reverse("crm:lead-create")
        return None


lead_board = LeadBoard()
