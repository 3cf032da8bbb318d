"""/api/v1/ tickets, their comments, services, and the public ticket intake (DESIGN.md "API").

Serializers check the shape of the input; ``servicedesk.services`` decides. Lists hold only the
tickets the user may read; changing a readable ticket without the right to edit it is a 403.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.response import Response

from admin24.access import Action, Level, level_for
from admin24.api.errors import ProtectedDestroyMixin, service_call
from admin24.api.fields import AllowedMovesField, MessageKeyField, StageSlugField, stage_param_description, user_field
from admin24.api.forms import form_values
from admin24.api.moves import MoveActionMixin, MoveSerializer, StageListMixin
from admin24.api.params import QueryParams
from admin24.api.parsers import BoundedJSONParser
from admin24.api.permissions import AccessFilteredMixin
from admin24.normalize import normalize_email, normalize_phone
from admin24.roles import is_administrator

from . import services
from .emails import client_page_url
from .intake import guards, web
from .intake.forms import TEXT_MAX_LENGTH, PublicTicketForm
from .models import DeskSettings, Service, Ticket, TicketComment, TicketSource, TicketStatus
from .public_views import download
from .support_hours import MAX_SPENT_MINUTES

# --- services -------------------------------------------------------------------------------------


class AdministratorsWrite(BasePermission):
    """Everyone signed in reads the services; administrators change them."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return request.method in SAFE_METHODS or is_administrator(user)


class ServiceSerializer(serializers.ModelSerializer):
    responsible = user_field()

    class Meta:
        model = Service
        fields = ["id", "name", "description", "active", "responsible", "reaction_time", "resolution_time", "order"]


class ServiceViewSet(ProtectedDestroyMixin, viewsets.ModelViewSet):
    serializer_class = ServiceSerializer
    permission_classes = [AdministratorsWrite]
    queryset = Service.objects.all()

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.query_params.get("active") in ("1", "true"):
            queryset = queryset.filter(active=True)
        return queryset


# --- tickets --------------------------------------------------------------------------------------


TICKET_STATUSES = TicketStatus.values


class TicketSerializer(serializers.ModelSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    assignee = user_field()
    display_number = serializers.CharField(read_only=True)
    status = StageSlugField(slugs=TICKET_STATUSES, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    client_url = serializers.SerializerMethodField()
    allowed_moves = AllowedMovesField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "display_number",
            "service",
            "subject",
            "description",
            "client_name",
            "client_email",
            "client_phone",
            "client_company",
            "contact",
            "company",
            "assignee",
            "status",
            "status_label",
            "deferred_until",
            "reaction_due_at",
            "resolution_due_at",
            "first_reaction_at",
            "resolved_at",
            "reaction_breached",
            "resolution_breached",
            "spent_minutes",
            "is_overdue",
            "source",
            "client_url",
            "allowed_moves",
            "created_at",
            "updated_at",
        ]
        # The API writes what the staff may change (``ticket_update``'s fields, and the assignee
        # through ``ticket_assign``); the rest it shows.
        read_only_fields = [name for name in fields if name not in {*services.TICKET_FIELDS, "assignee"}]

    def get_client_url(self, obj) -> str:
        return client_page_url(obj)

    def create(self, validated_data):
        user = self.context["request"].user
        if level_for(user, Ticket.access_entity, Action.EDIT) == Level.NONE:
            raise PermissionDenied(_("You may not create tickets."))
        return service_call(
            services.create_ticket,
            subject=validated_data.get("subject", ""),
            description=validated_data.get("description", ""),
            service=validated_data.get("service"),
            name=validated_data.get("client_name", ""),
            email=validated_data.get("client_email", ""),
            phone=validated_data.get("client_phone", ""),
            company=validated_data.get("client_company", ""),
            assignee=validated_data.get("assignee"),
            source=TicketSource.API,
            by=user,
        )

    def update(self, instance, validated_data):
        user = self.context["request"].user
        assignee_given = "assignee" in validated_data
        assignee = validated_data.pop("assignee", None)
        if validated_data:
            service_call(services.ticket_update, ticket=instance, by=user, **validated_data)
        if assignee_given:
            service_call(services.ticket_assign, ticket=instance, assignee=assignee, by=user)
        return instance


class TicketMoveSerializer(MoveSerializer):
    to = StageSlugField(slugs=TICKET_STATUSES, help_text="The target status")
    return_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Only when deferring")
    spent_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_SPENT_MINUTES,
        help_text="Only when finishing («done»): the time spent in minutes, counted against the included hours",
    )

    def validate(self, attrs):
        if attrs.get("spent_minutes") is not None and attrs["to"] != TicketStatus.DONE:
            raise serializers.ValidationError({"spent_minutes": _("The time spent is logged when the ticket is done.")})
        return attrs


class CommentSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(read_only=True)
    attachments = serializers.SerializerMethodField()
    public = serializers.BooleanField(required=False, default=True)
    html = serializers.BooleanField(write_only=True, required=False, default=False)
    body_key = MessageKeyField("body_message")

    class Meta:
        model = TicketComment
        fields = ["id", "author", "author_name", "from_client", "public", "body", "body_key", "html", "source"]
        fields += ["attachments", "created_at"]
        read_only_fields = ["author", "from_client", "source", "created_at"]
        extra_kwargs = {"body": {"max_length": TEXT_MAX_LENGTH}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # A system note (the files an email brought that were refused) in the reader's language.
        data["body"] = instance.shown_body
        return data

    def get_attachments(self, obj) -> list[dict]:
        request = self.context["request"]
        return [
            {
                "id": a.pk,
                "name": a.original_name,
                "size": a.size,
                "content_type": a.content_type,
                "url": request.build_absolute_uri(reverse("desk:attachment", args=[a.pk])),
            }
            for a in obj.attachments.all()
        ]


_LIST_PARAMS = [
    OpenApiParameter("status", OpenApiTypes.STR, description=stage_param_description(TICKET_STATUSES, "Status")),
    OpenApiParameter("service", OpenApiTypes.INT),
    OpenApiParameter("assignee", OpenApiTypes.INT),
    OpenApiParameter("company", OpenApiTypes.INT, description="CRM company id"),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("q", OpenApiTypes.STR, description="Number, subject, client name, email, phone or company"),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
]


@extend_schema_view(list=extend_schema(parameters=_LIST_PARAMS))
class TicketViewSet(MoveActionMixin, StageListMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = TicketSerializer
    move_serializer_class = TicketMoveSerializer
    queryset = Ticket.objects.select_related("service", "assignee")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        if statuses := params.slugs("status"):
            queryset = queryset.filter(status__in=statuses)
        for name in ("service", "assignee", "company"):
            if (pk := params.id(name)) is not None:
                queryset = queryset.filter(**{f"{name}_id": pk})
        if params.flag("overdue"):
            queryset = queryset.filter(Ticket.objects.overdue_q(timezone.now()))
        for name, lookup in (("created_from", "gte"), ("created_to", "lte")):
            if (day := params.date(name)) is not None:
                queryset = queryset.filter(**{f"created_at__date__{lookup}": day})
        if q := params.text("q"):
            queryset = queryset.filter(_search(q))
        return queryset

    def perform_move(self, *, entity, by, to, reason, return_at=None, spent_minutes=None):
        if to == TicketStatus.DEFERRED:
            return services.ticket_defer(ticket=entity, by=by, return_at=return_at, reason=reason)
        if to == TicketStatus.DONE:
            return services.ticket_complete(ticket=entity, by=by, note=reason, spent_minutes=spent_minutes)
        return services.ticket_move(ticket=entity, to=to, by=by, reason=reason)

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[BoundedJSONParser, MultiPartParser, FormParser])
    def comments(self, request, pk=None):
        """The thread, internal notes included; POST adds a comment ("public": false for an internal note)."""
        if request.method == "GET":
            ticket = self.get_object()
            comments = ticket.comments.select_related("author", "ticket").prefetch_related("attachments")
            return Response(CommentSerializer(comments, many=True, context=self.get_serializer_context()).data)
        # Commenting changes the ticket: a readable ticket without the edit right answers 403.
        ticket = self.get_object()
        serializer = CommentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        comment = service_call(
            services.add_comment,
            ticket=ticket,
            author=request.user,
            body=serializer.validated_data["body"],
            public=serializer.validated_data.get("public", True),
            html=serializer.validated_data.get("html", False),
            files=request.FILES.getlist("files"),
            source=TicketComment.Source.API,
        )
        return Response(CommentSerializer(comment, context=self.get_serializer_context()).data, status=201)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment(self, request, pk=None, attachment_id=None):
        """Download one of the ticket's files."""
        ticket = self.get_object()
        found = ticket.attachments.filter(pk=attachment_id).first()
        if found is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        return download(found)


def _search(q: str) -> Q:
    condition = (
        Q(subject__icontains=q)
        | Q(client_name__icontains=q)
        | Q(client_company__icontains=q)
        | Q(client_email_normalized__icontains=normalize_email(q))
    )
    digits = q.lstrip("#")
    if digits.isascii() and digits.isdigit() and len(digits) < 10:
        condition |= Q(number=int(digits))
    if normalize_phone(q) and len(normalize_phone(q)) >= 11:
        condition |= Q(client_phone=normalize_phone(q))
    return condition


# --- public intake --------------------------------------------------------------------------------


class PublicTicketSerializer(serializers.Serializer):
    """The fields of the public form (the same validation runs behind it)."""

    form_key = serializers.CharField(help_text="The form key from the form link in the Service Desk settings")
    service = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField(required=False, allow_blank=True)
    company = serializers.CharField(required=False, allow_blank=True)
    subject = serializers.CharField()
    description = serializers.CharField()
    consent_desk = serializers.BooleanField()
    consent_company = serializers.BooleanField()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class PublicTicketAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    display_number = serializers.CharField()
    client_url = serializers.URLField()
    detail = serializers.CharField()


class PublicTicketViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A ticket from a company's own form: no sign-in; the form key, rate limits and the form's checks."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = PublicTicketSerializer
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": PublicTicketSerializer, "multipart/form-data": PublicTicketSerializer},
        responses={
            201: PublicTicketAcceptedSerializer,
            400: OpenApiResponse(description="Field errors, as the form shows them"),
            403: OpenApiResponse(description="The form key is not (or no longer) valid"),
            429: OpenApiResponse(description="Too many requests from this address or for this email"),
        },
    )
    def create(self, request, *args, **kwargs):
        desk = DeskSettings.load()
        values = form_values(request.data, PublicTicketForm)
        try:
            guards.check_rate_ip(request)
            if request.data.get("form_key") != desk.form_key:
                return Response(
                    {"detail": _("The form key is not valid. Take the current one from the Service Desk settings.")},
                    status=status.HTTP_403_FORBIDDEN,
                )
            guards.check_honeypot(request.data.get("website"))
            form = PublicTicketForm(values, request.FILES, desk=desk)
            if not form.is_valid():
                return Response(form.errors.get_json_data(), status=status.HTTP_400_BAD_REQUEST)
            ticket = web.submit(request=request, form=form, source=TicketSource.API)
        except DjangoValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "id": ticket.pk,
                "number": ticket.number,
                "display_number": ticket.display_number,
                "client_url": client_page_url(ticket),
                "detail": _("Your request is received: ticket %(number)s.") % {"number": ticket.display_number},
            },
            status=status.HTTP_201_CREATED,
        )


# (prefix, viewset, basename) — ``config.api`` puts every app's routes on /api/v1/.
ROUTES = [
    ("tickets", TicketViewSet, "ticket"),
    ("services", ServiceViewSet, "service"),
    ("public/tickets", PublicTicketViewSet, "public-ticket"),
]
