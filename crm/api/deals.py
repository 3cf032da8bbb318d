"""/api/v1/deals/ and /api/v1/contracts/ (DESIGN.md "API"; issue 6 §3).

A deal's stage changes only through ``move``; setting ``payment_received`` to true moves a deal
waiting for payment to «Оплата получена»; the proposal and contract files have upload endpoints
of their own. The «Регулярные платежи» actions come from ``billing``, the contract's end date
from ``renewal``.

Who may change which field is the deal service's rule (``deal_settable_fields``), the one the card
asks: a ``PATCH``/``PUT`` from someone with no field to set is 403 before the body is read, and
the service refuses (403) a change to a field the user may not set — so the Clerk holding the
contract task sets the contract's date here as on the card, without the right to edit deals.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from admin24.api.errors import service_call
from admin24.api.fields import LinkableField, StageSlugField, stage_param_description, user_field
from admin24.api.moves import MoveActionMixin, StageListMixin, move_serializer_for
from admin24.api.params import QueryParams
from admin24.api.permissions import AccessFilteredMixin
from admin24.api.uploads import upload_action

from ..models import Company, Contact, Contract, ContractStage, Deal, LostReason, RegularStage
from ..services import deals as deal_services
from .billing import REGULAR_FIELDS, DealBillingActions
from .common import RESPONSIBLE_PARAM, DocumentLinkField, StageFieldsMixin
from .renewal import ContractRenewalActions, ContractRenewalFields

# A deal's stage is a slug of its pipeline's: «Заключение договора»'s, then «Регулярные платежи»'s.
DEAL_STAGES = list(dict.fromkeys([*ContractStage.values, *RegularStage.values]))  # closing_docs is in both


class DealSerializer(StageFieldsMixin, serializers.ModelSerializer):
    stage = StageSlugField(
        slugs=DEAL_STAGES,
        read_only=True,
        help_text="contract pipeline: "
        + ", ".join(ContractStage.values)
        + "; regular: "
        + ", ".join(RegularStage.values),
    )
    company = LinkableField(Company)
    contact = LinkableField(Contact)
    responsible = user_field()
    lost_reason = serializers.SlugRelatedField(slug_field="name", read_only=True)
    proposal_file = DocumentLinkField("proposal")
    contract_file = DocumentLinkField("contract")
    invoice_file = DocumentLinkField("invoice")
    renewal_contract_file = DocumentLinkField("renewal_contract")

    class Meta:
        model = Deal
        fields = [
            "id",
            "pipeline",
            "stage",
            "stage_label",
            "allowed_moves",
            "stage_changed_at",
            "closing_reason",
            "closing_reason_key",
            "lost_reason",
            *deal_services.DEAL_FIELDS,
            "source_lead",
            "renews",
            "contract",
            "proposal_file",
            "contract_file",
            "won_at",
            "created_at",
            "updated_at",
            *REGULAR_FIELDS,
        ]
        # Everything but the fields people set (DEAL_FIELDS) is the system's; files come by upload.
        read_only_fields = [name for name in fields if name not in {"id", *deal_services.DEAL_FIELDS}]

    def update(self, instance, validated_data):
        return service_call(deal_services.deal_update, deal=instance, by=self.context["request"].user, **validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            RESPONSIBLE_PARAM,
            OpenApiParameter("pipeline", OpenApiTypes.STR, description="contract or regular"),
            OpenApiParameter("stage", OpenApiTypes.STR, description=stage_param_description(DEAL_STAGES)),
            OpenApiParameter("company", OpenApiTypes.INT, description="Company id"),
        ]
    )
)
class DealViewSet(
    DealBillingActions,
    MoveActionMixin,
    StageListMixin,
    AccessFilteredMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Deals come from converted leads (and renewals), so the API reads, edits and moves them."""

    serializer_class = DealSerializer
    move_serializer_class = move_serializer_for("Deal", DEAL_STAGES)
    queryset = Deal.objects.select_related("lost_reason")

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        if pipeline := params.text("pipeline"):
            queryset = queryset.filter(pipeline=pipeline)
        if stages := params.slugs("stage"):
            queryset = queryset.filter(stage__in=stages)
        for name in ("responsible", "company"):
            if (pk := params.id(name)) is not None:
                queryset = queryset.filter(**{f"{name}_id": pk})
        return queryset

    def get_object(self):
        if self.action not in ("update", "partial_update"):
            return super().get_object()
        # Looked up among the readable deals (404 otherwise); whether the user may change it is the
        # service's rule, not the generic object permission, which knows nothing of task holders.
        deal = get_object_or_404(self.filter_queryset(self.get_queryset()), pk=self.kwargs["pk"])
        service_call(deal_services.require_settable, by=self.request.user, deal=deal)
        return deal

    def _attach(self, request, deal, upload, kind):
        # The service decides who may attach: the Clerk drafting the contract may, without the
        # right to edit deals, so the object permission is not checked here.
        deal = service_call(deal_services.deal_attach_file, deal=deal, by=request.user, kind=kind, upload=upload)
        return Response(self.get_serializer(deal).data)

    @upload_action("proposal-file")
    def proposal_file(self, request, deal, data):
        """Attach or replace the commercial proposal."""
        return self._attach(request, deal, data["file"], "proposal")

    @upload_action("contract-file")
    def contract_file(self, request, deal, data):
        """Attach or replace the contract."""
        return self._attach(request, deal, data["file"], "contract")

    @extend_schema(responses={200: {"type": "array", "items": {"type": "string"}}})
    @action(detail=False, methods=["get"], url_path="lost-reasons")
    def lost_reasons(self, request):
        """The reasons a deal may be lost for, as administrators keep them."""
        return Response(list(LostReason.objects.filter(active=True).values_list("name", flat=True)))


class ContractSerializer(ContractRenewalFields, serializers.ModelSerializer):
    deals = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    contract_file = DocumentLinkField("contract")
    proposal_file = DocumentLinkField("proposal")

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "company",
            "contact",
            "responsible",
            "signed_on",
            "ends_on",
            "monthly_amount",
            "currency",
            "contract_file",
            "proposal_file",
            "status",
            "deals",
            "created_at",
            "renewal_due_at",
            "renewal_deal",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            RESPONSIBLE_PARAM,
            OpenApiParameter("company", OpenApiTypes.INT, description="Company id"),
            OpenApiParameter("status", OpenApiTypes.STR, description="active or ended"),
        ]
    )
)
class ContractViewSet(ContractRenewalActions, AccessFilteredMixin, viewsets.ReadOnlyModelViewSet):
    """Contracts signed in won deals; whoever may read a deal may read its contracts."""

    serializer_class = ContractSerializer
    queryset = Contract.objects.prefetch_related("deals")

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        for name in ("responsible", "company"):
            if (pk := params.id(name)) is not None:
                queryset = queryset.filter(**{f"{name}_id": pk})
        if contract_status := params.text("status"):
            queryset = queryset.filter(status=contract_status)
        return queryset
