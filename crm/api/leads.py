"""/api/v1/leads/: leads from every source; their stage changes only through ``move``."""

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from admin24.api.errors import ProtectedDestroyMixin, service_call
from admin24.api.fields import ReferenceField, stage_param_description, user_field
from admin24.api.moves import MoveActionMixin, StageListMixin, move_serializer_for
from admin24.api.params import QueryParams
from admin24.api.permissions import AccessFilteredMixin
from admin24.normalize import normalize_email, normalize_phone

from ..models import Lead, LeadSource, LeadStage
from ..services import leads
from .common import RESPONSIBLE_PARAM, SEARCH_PARAM, StageFieldsMixin


class LeadSerializer(StageFieldsMixin, serializers.ModelSerializer):
    source = serializers.ChoiceField(choices=LeadSource.choices, default=LeadSource.API)
    responsible = user_field()
    is_possible_duplicate = serializers.BooleanField(read_only=True)
    duplicate_of = ReferenceField()
    duplicate_contact = ReferenceField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "title",
            "source",
            "stage",
            "stage_label",
            "allowed_moves",
            "stage_changed_at",
            "closing_reason",
            "closing_reason_key",
            *leads.LEAD_FIELDS[1:],  # the title is listed above
            "qualification",
            "failed_calls",
            "is_possible_duplicate",
            "duplicate_of",
            "duplicate_contact",
            "contact",
            "company",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "stage",
            "stage_changed_at",
            "closing_reason",
            "qualification",
            "failed_calls",
            "duplicate_of",
            "duplicate_contact",
            "contact",
            "company",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"title": {"required": False, "allow_blank": True}}

    def create(self, validated_data):
        return service_call(leads.lead_create, by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("source", None)
        return service_call(leads.lead_update, lead=instance, by=self.context["request"].user, **validated_data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            SEARCH_PARAM,
            RESPONSIBLE_PARAM,
            OpenApiParameter("stage", OpenApiTypes.STR, description=stage_param_description(LeadStage.values)),
            OpenApiParameter("source", OpenApiTypes.STR, description="Source slug"),
            OpenApiParameter("duplicates", OpenApiTypes.BOOL, description="true: only possible duplicates"),
            OpenApiParameter("created_from", OpenApiTypes.DATE, description="Received on or after this date"),
            OpenApiParameter("created_to", OpenApiTypes.DATE, description="Received on or before this date"),
        ]
    )
)
class LeadViewSet(MoveActionMixin, StageListMixin, ProtectedDestroyMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = LeadSerializer
    move_serializer_class = move_serializer_for("Lead", LeadStage.values)
    queryset = Lead.objects.select_related("duplicate_of", "duplicate_contact")

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        if stages := params.slugs("stage"):
            queryset = queryset.filter(stage__in=stages)
        if source := params.text("source"):
            queryset = queryset.filter(source=source)
        if (responsible := params.id("responsible")) is not None:
            queryset = queryset.filter(responsible_id=responsible)
        if params.flag("duplicates"):
            queryset = queryset.filter(Q(duplicate_of__isnull=False) | Q(duplicate_contact__isnull=False))
        for name, lookup in (("created_from", "gte"), ("created_to", "lte")):
            if (day := params.date(name)) is not None:
                queryset = queryset.filter(**{f"created_at__date__{lookup}": day})
        if q := params.text("q"):
            condition = (
                Q(title__icontains=q)
                | Q(contact_name__icontains=q)
                | Q(company_name__icontains=q)
                | Q(email_normalized__icontains=normalize_email(q))
            )
            if normalize_phone(q):
                condition |= Q(phone_normalized=normalize_phone(q))
            queryset = queryset.filter(condition)
        return queryset
