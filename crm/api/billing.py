"""The «Регулярные платежи» actions of /api/v1/deals/ (issue 7 §3), mixed into ``DealViewSet``.

The invoice upload (which sends it), sending it again, the paid and documents-received flags,
the renewal contract file and the billing list by month.
"""

import datetime

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from admin24 import access
from admin24.access import Action
from admin24.api.errors import service_call
from admin24.api.uploads import FileUploadSerializer, upload_action

from ..models import Deal
from ..services import billing

REGULAR_FIELDS = [
    "period_start",
    "period_end",
    "invoice_number",
    "invoice_file",
    "invoice_paid",
    "closing_docs_received",
    "renewal_contract_file",
    # The renewal that bills this period instead (the deal was closed when it was signed).
    "superseded_by",
]


class InvoiceUploadSerializer(FileUploadSerializer):
    number = serializers.CharField(required=False, allow_blank=True, max_length=50)


class InvoiceRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class BillingRowSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.name", default="", read_only=True)
    billing_status = serializers.SerializerMethodField()
    billing_status_label = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "company",
            "company_name",
            "responsible",
            "stage",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "invoice_number",
            "billing_status",
            "billing_status_label",
        ]
        read_only_fields = fields

    def get_billing_status(self, deal) -> str:
        return billing.billing_status(deal)

    def get_billing_status_label(self, deal) -> str:
        return str(billing.BillingStatus.LABELS[billing.billing_status(deal)])


def parse_month(value: str | None) -> datetime.date | None:
    """``2027-03`` → 1 March 2027; empty → None; anything else is a clear 400."""
    if not value:
        return None
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationError({"month": _("Give the month as YYYY-MM, e.g. 2027-03.")}) from None


class DealBillingActions:
    """Actions for DealViewSet; the services check the right to edit the deal (403)."""

    def _represent(self, deal):
        deal.refresh_from_db()
        return Response(self.get_serializer_class()(deal, context=self.get_serializer_context()).data)

    def _invoice_outcome(self, outcome):
        if not outcome.sent:
            return Response({"detail": outcome.problem}, status=status.HTTP_409_CONFLICT)
        return self._represent(outcome.deal)

    @upload_action(
        "invoice",
        body=InvoiceUploadSerializer,
        responses={
            200: OpenApiResponse(description="The invoice is attached, emailed and the deal is «Счёт отправлен»"),
            400: OpenApiResponse(description="The file is refused, with the reason"),
            409: OpenApiResponse(
                InvoiceRefusedSerializer,
                description="Not sent (no contact or email, or the wrong stage); an attached file is kept",
            ),
        },
    )
    def invoice(self, request, deal, data):
        """Attach (or replace) the period's invoice: it is emailed to the contact's first address at once."""
        self.check_object_permissions(request, deal)
        outcome = service_call(
            billing.invoice_attach,
            deal=deal,
            by=request.user,
            upload=data["file"],
            number=data.get("number", ""),
        )
        return self._invoice_outcome(outcome)

    @upload_action("renewal-contract-file")
    def renewal_contract_file(self, request, deal, data):
        """Attach or replace the renewal contract."""
        return self._attach(request, deal, data["file"], "renewal_contract")

    @extend_schema(request=None, responses={200: OpenApiResponse(), 409: InvoiceRefusedSerializer})
    @action(detail=True, methods=["post"], url_path="send-invoice")
    def send_invoice(self, request, pk=None):
        """Send the attached invoice again (e.g. once the contact has an email address)."""
        outcome = service_call(billing.invoice_send, deal=self.get_object(), by=request.user)
        return self._invoice_outcome(outcome)

    @extend_schema(request=None, responses={200: OpenApiResponse(), 409: InvoiceRefusedSerializer})
    @action(detail=True, methods=["post"], url_path="invoice-paid")
    def invoice_paid(self, request, pk=None):
        """The client paid: the deal moves to «Счёт оплачен» (the next period's deal is created)."""
        deal = service_call(billing.invoice_mark_paid, deal=self.get_object(), by=request.user)
        return self._represent(deal)

    @extend_schema(request=None, responses={200: OpenApiResponse(), 409: InvoiceRefusedSerializer})
    @action(detail=True, methods=["post"], url_path="closing-docs-received")
    def closing_docs_received(self, request, pk=None):
        """The client has the closing documents: the period is complete, reminders stop."""
        deal = service_call(billing.closing_docs_mark_received, deal=self.get_object(), by=request.user)
        return self._represent(deal)

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM: periods overlapping it")],
        responses={200: BillingRowSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="billing")
    def billing(self, request):
        """Regular-payments deals by period with their billing status, optionally for one month."""
        month = parse_month(request.query_params.get("month"))
        deals = access.filter_queryset(request.user, billing.billing_deals(month=month), Action.READ)
        page = self.paginate_queryset(deals)
        return self.get_paginated_response(BillingRowSerializer(page, many=True).data)
