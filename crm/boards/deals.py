"""The deal boards: one per deal pipeline, on the one kanban component, with a switcher between them."""

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from admin24.boards import Board, Field
from admin24.boards.amounts import format_amount
from admin24.boards.board import card_url, local_time, person_fields
from admin24.fragments import day_writer

from ..models import Deal, DealPipeline
from ..pipelines import contract, regular
from .common import next_open_task_deadline


class DealBoard(Board):
    slug = "deals"
    namespace = "crm"
    title = _("Deals: contract signing")
    model = Deal
    pipeline = contract.PIPELINE
    amount_field = "amount"
    switcher_template = "crm/deals/_pipeline_switcher.html"
    csv_filename = "deals.csv"
    list_fields = [
        Field(_("Title"), lambda deal: deal.title, sort="title", link=True),
        Field(_("Stage"), lambda deal: DealBoard.pipeline_of(deal).label_of(deal.stage), sort="stage"),
        Field(_("Company"), lambda deal: deal.company.name if deal.company else "", sort="company__name"),
        Field(_("Contact"), lambda deal: deal.contact.full_name if deal.contact else "", sort="contact__full_name"),
        Field(_("Amount"), lambda deal: format_amount(deal.amount), sort="amount"),
        Field(
            _("Responsible"),
            lambda deal: deal.responsible.full_name if deal.responsible else "",
            sort="responsible__last_name",
        ),
        Field(_("Contract date"), lambda deal: deal.contract_date, sort="contract_date"),
        Field(_("Contract end date"), lambda deal: deal.contract_end_date, sort="contract_end_date"),
        Field(_("Created"), lambda deal: local_time(deal.created_at), sort="created_at"),
        Field(_("Next task"), lambda deal: local_time(deal.next_task_deadline), sort="next_task_deadline"),
    ]

    @staticmethod
    def pipeline_of(deal):
        return regular.PIPELINE if deal.pipeline == DealPipeline.REGULAR else contract.PIPELINE

    def stages(self):
        return self.pipeline.stages

    def get_queryset(self) -> QuerySet:
        return Deal.objects.filter(pipeline=self.pipeline.key)

    def with_card_fields(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("responsible", "company", "contact").annotate(
            next_task_deadline=next_open_task_deadline("deal")
        )

    def card_rows(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.select_related("responsible", "company")
            .only(
                "title",
                "stage",
                "amount",
                "currency",
                "period_start",
                "period_end",
                "company__name",
                *person_fields("responsible"),
            )
            .annotate(next_task_deadline=next_open_task_deadline("deal"))
        )

    def card_url(self, obj):
        return card_url("crm:deal-detail", obj.pk)

    def card(self, obj, now):
        card = super().card(obj, now)
        if obj.company:
            card.lines.append(("", obj.company.name))
        if obj.period_start:
            day = day_writer(formats.get_format("SHORT_DATE_FORMAT"))
            end = day(obj.period_end) if obj.period_end else ""
            card.lines.append(("text-body-secondary kanban-card-period", f"{day(obj.period_start)} – {end}"))
        if obj.amount:
            card.lines.append(("fw-semibold", f"{format_amount(obj.amount)} {obj.currency}"))
        return card


class RegularDealBoard(DealBoard):
    slug = "regular_deals"
    title = _("Deals: regular payments")
    pipeline = regular.PIPELINE
    csv_filename = "regular-deals.csv"
    list_fields = [
        *DealBoard.list_fields[:2],
        Field(_("Paid period from"), lambda deal: deal.period_start, sort="period_start"),
        Field(_("Paid period to"), lambda deal: deal.period_end, sort="period_end"),
        *DealBoard.list_fields[2:],
    ]


deal_board = DealBoard()
regular_deal_board = RegularDealBoard()
