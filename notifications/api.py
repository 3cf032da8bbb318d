"""/api/v1/notifications/: the signed-in user's own in-app notifications."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    # In the request's language: the reader's, whichever was active when it was written.
    title = serializers.CharField(source="shown_title", read_only=True)
    body = serializers.CharField(source="shown_body", read_only=True)
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "template", "title", "body", "link", "unread", "read_at", "created_at"]
        read_only_fields = fields

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


_UNREAD = OpenApiParameter(
    "unread", OpenApiTypes.BOOL, description="true: only unread notifications; false: only read ones"
)


@extend_schema_view(list=extend_schema(parameters=[_UNREAD]))
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        # Only ever the user's own: someone else's notification is a 404, not a 403 that confirms it exists.
        queryset = Notification.objects.filter(recipient=self.request.user)
        unread = self.request.query_params.get("unread")
        if unread is not None and self.action == "list":
            wanted = serializers.BooleanField().to_internal_value(unread)
            queryset = queryset.filter(read_at__isnull=wanted)
        return queryset

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(user=request.user, notification_id=self.get_object().pk)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("MarkedRead", fields={"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})


# (prefix, viewset, basename) — ``config.api`` puts every app's routes on /api/v1/.
ROUTES = [
    ("notifications", NotificationViewSet, "notification"),
]
