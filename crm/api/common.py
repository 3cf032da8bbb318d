"""What the CRM's viewsets share: a pipeline card's stage fields and the common list parameters."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from admin24.api.fields import AllowedMovesField, MessageKeyField
from admin24.workflow import pipeline_for

from ..models import Deal

SEARCH_PARAM = OpenApiParameter("q", OpenApiTypes.STR, description="Text search")
RESPONSIBLE_PARAM = OpenApiParameter("responsible", OpenApiTypes.INT, description="Responsible user id")


class StageFieldsMixin(serializers.Serializer):
    stage_label = serializers.SerializerMethodField()
    allowed_moves = AllowedMovesField()
    # Why the card is closed, in the request's language; the key when a robot closed it.
    closing_reason = serializers.CharField(source="shown_closing_reason", read_only=True)
    closing_reason_key = MessageKeyField("closing_reason_message")

    def get_stage_label(self, obj) -> str:
        return pipeline_for(obj).label_of(obj.stage)


class DocumentLinkField(serializers.FileField):
    """A deal's document as the link to its access-checked download (``crm:deal-file``), never
    its storage path: uploads are not public media. A contract's documents are those of the
    deal it was signed in."""

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        if not value:
            return None
        owner = value.instance
        if not isinstance(owner, Deal):
            owner = min(owner.deals.all(), key=lambda deal: deal.pk, default=None)
            if owner is None:
                return None
        url = reverse("crm:deal-file", args=[owner.pk, self.kind])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
