"""What the CRM's viewsets share: a pipeline card's stage fields and the common list parameters."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from admin24.api.fields import AllowedMovesField
from admin24.workflow import pipeline_for

SEARCH_PARAM = OpenApiParameter("q", OpenApiTypes.STR, description="Text search")
RESPONSIBLE_PARAM = OpenApiParameter("responsible", OpenApiTypes.INT, description="Responsible user id")


class StageFieldsMixin(serializers.Serializer):
    stage_label = serializers.SerializerMethodField()
    allowed_moves = AllowedMovesField()

    def get_stage_label(self, obj) -> str:
        return pipeline_for(obj).label_of(obj.stage)
