"""/api/v1/tasks/: tasks on leads and deals, completed only once their card has what they require."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from admin24 import access
from admin24.access import Action
from admin24.api.errors import ProtectedDestroyMixin, service_call
from admin24.api.fields import LinkableField, MessageKeyField, user_field
from admin24.api.params import QueryParams
from admin24.api.permissions import AccessFilteredMixin

from ..models import Deal, Lead, Task, TaskChecklistItem
from ..services import tasks
from .common import RESPONSIBLE_PARAM


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskChecklistItem
        fields = ["id", "text", "done", "position"]


class TaskSerializer(serializers.ModelSerializer):
    responsible = user_field()
    lead = LinkableField(Lead)
    deal = LinkableField(Deal)
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    checklist_items = serializers.ListField(
        child=serializers.CharField(max_length=500), write_only=True, required=False, help_text="Checklist on creation"
    )
    is_overdue = serializers.BooleanField(read_only=True)
    # A robot's result in the request's language and its key; a person's result as typed.
    result = serializers.CharField(source="shown_result", read_only=True)
    result_key = MessageKeyField("result_message")
    missing_requirements = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "responsible",
            "deadline",
            "status",
            "is_overdue",
            "lead",
            "deal",
            "checklist",
            "checklist_items",
            "missing_requirements",
            "is_automatic",
            "created_at",
            "completed_at",
            "completed_by",
            "result",
            "result_key",
        ]
        read_only_fields = ["status", "is_automatic", "created_at", "completed_at", "completed_by"]

    def to_representation(self, instance):
        # A robot's title and description in the request's language.
        data = super().to_representation(instance)
        data["title"], data["description"] = instance.shown_title, instance.shown_description
        return data

    def get_missing_requirements(self, obj) -> list[str]:
        return tasks.missing_requirements(obj) if obj.is_open else []

    def create(self, validated_data):
        user = self.context["request"].user
        if access.level_for(user, Task.access_entity, Action.EDIT) == access.Level.NONE:
            raise PermissionDenied(_("You may not create tasks."))
        checklist = validated_data.pop("checklist_items", [])
        validated_data.setdefault("responsible", user)
        return service_call(tasks.task_create, by=user, checklist=checklist, **validated_data)

    def update(self, instance, validated_data):
        for name in ("checklist_items", "lead", "deal"):
            validated_data.pop(name, None)
        return service_call(tasks.task_update, task=instance, by=self.context["request"].user, **validated_data)


class CompleteSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CompletionErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField())


@extend_schema_view(
    list=extend_schema(
        parameters=[
            RESPONSIBLE_PARAM,
            OpenApiParameter("status", OpenApiTypes.STR, description="open or done"),
            OpenApiParameter("kind", OpenApiTypes.STR, description="Task kind"),
            OpenApiParameter("lead", OpenApiTypes.INT, description="Lead id"),
            OpenApiParameter("deal", OpenApiTypes.INT, description="Deal id"),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="true: only open tasks past their deadline"),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="true: only the signed-in user's tasks"),
        ]
    )
)
class TaskViewSet(ProtectedDestroyMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = TaskSerializer
    queryset = Task.objects.select_related("lead", "deal").prefetch_related("checklist")

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        for name in ("status", "kind"):
            if value := params.text(name):
                queryset = queryset.filter(**{name: value})
        for name in ("responsible", "lead", "deal"):
            if (pk := params.id(name)) is not None:
                queryset = queryset.filter(**{f"{name}_id": pk})
        if params.flag("overdue"):
            queryset = queryset.filter(status=Task.Status.OPEN, deadline__lt=timezone.now())
        if params.flag("mine"):
            queryset = queryset.filter(responsible=self.request.user)
        return queryset

    def _task_action(self, request, fn, **kwargs):
        task = self.get_object()
        task = service_call(fn, task=task, by=request.user, **kwargs)
        task = self.get_queryset().model.objects.prefetch_related("checklist").get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(
        request=CompleteSerializer,
        responses={
            200: TaskSerializer,
            403: OpenApiResponse(description="Not yours to change"),
            409: CompletionErrorSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete the task; 409 names the fields of its lead/deal that must be filled in first."""
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._task_action(request, tasks.task_complete, comment=body.validated_data["comment"])

    @extend_schema(
        request=None, responses={200: TaskSerializer, 403: OpenApiResponse(description="Not yours to change")}
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._task_action(request, tasks.task_reopen)
