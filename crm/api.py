"""/api/v1/ companies, contacts, leads, tasks, deals and the public lead intake (DESIGN.md "API").

Serializers validate the shape of the input; the services decide. Lists only ever hold what the
user may read; writing to a visible card without the right to edit it is a 403.
"""

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from admin24 import access
from admin24.access import Action
from admin24.api.errors import ProtectedDestroyMixin, service_call
from admin24.api.fields import AllowedMovesField, user_field
from admin24.api.forms import form_values
from admin24.api.moves import MoveActionMixin, StageListMixin
from admin24.api.params import QueryParams
from admin24.api.permissions import AccessFilteredMixin
from admin24.normalize import normalize_email, normalize_phone, validate_phone
from admin24.workflow import pipeline_for

from .models import Company, Contact, ContactEmail, ContactPhone, Deal, Lead, LeadSource, Task, TaskChecklistItem
from .models.directory import company_name_key
from .public_forms import PublicLeadForm, public_rate_limited
from .services import directory, leads, tasks


class StageFieldsMixin(serializers.Serializer):
    stage_label = serializers.SerializerMethodField()
    allowed_moves = AllowedMovesField()

    def get_stage_label(self, obj) -> str:
        return pipeline_for(obj).label_of(obj.stage)


# --- companies ------------------------------------------------------------------------------


class CompanySerializer(serializers.ModelSerializer):
    responsible = user_field()

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "inn",
            "kpp",
            "address",
            "phones",
            "emails",
            "website",
            "responsible",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def create(self, validated_data):
        return service_call(directory.company_create, by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return service_call(
            directory.company_update, company=instance, by=self.context["request"].user, **validated_data
        )


_Q = OpenApiParameter("q", OpenApiTypes.STR, description="Text search")
_RESPONSIBLE = OpenApiParameter("responsible", OpenApiTypes.INT, description="Responsible user id")


@extend_schema_view(
    list=extend_schema(parameters=[_Q, _RESPONSIBLE, OpenApiParameter("inn", OpenApiTypes.STR, description="INN")])
)
class CompanyViewSet(ProtectedDestroyMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = CompanySerializer
    queryset = Company.objects.all()

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        if q := params.text("q"):
            queryset = queryset.filter(Q(name_key__contains=company_name_key(q)) | Q(inn=q) | Q(emails__icontains=q))
        if inn := params.text("inn"):
            queryset = queryset.filter(inn=inn)
        if (responsible := params.id("responsible")) is not None:
            queryset = queryset.filter(responsible_id=responsible)
        return queryset


# --- contacts -------------------------------------------------------------------------------


class OrderedRowsField(serializers.ListField):
    """A contact's email or phone rows shown as a plain list of strings, in their order."""

    def __init__(self, *, attribute_name: str, **kwargs):
        self.attribute_name = attribute_name
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [getattr(row, self.attribute_name) for row in data.all()]


class ContactSerializer(serializers.ModelSerializer):
    emails = OrderedRowsField(
        attribute_name="email",
        child=serializers.EmailField(),
        required=False,
        help_text="In order; the first gets the invoices.",
    )
    phones = OrderedRowsField(
        attribute_name="phone",
        child=serializers.CharField(max_length=40, validators=[validate_phone]),
        required=False,
    )
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), required=False, allow_null=True)
    responsible = user_field()

    class Meta:
        model = Contact
        fields = [
            "id",
            "full_name",
            "position",
            "company",
            "emails",
            "phones",
            "telegram",
            "responsible",
            "duplicate_of",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["duplicate_of", "created_at", "updated_at"]

    def create(self, validated_data):
        return service_call(directory.contact_create, by=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return service_call(
            directory.contact_update, contact=instance, by=self.context["request"].user, **validated_data
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            _Q,
            _RESPONSIBLE,
            OpenApiParameter("email", OpenApiTypes.STR, description="Email, any case"),
            OpenApiParameter("phone", OpenApiTypes.STR, description="Phone, any format"),
            OpenApiParameter("company", OpenApiTypes.INT, description="Company id"),
        ]
    )
)
class ContactViewSet(ProtectedDestroyMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    queryset = Contact.objects.prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("position", "id")),
        Prefetch("phones", queryset=ContactPhone.objects.order_by("position", "id")),
    )

    def get_queryset(self):
        queryset = super().get_queryset()
        params = QueryParams(self.request.query_params)
        email, phone = params.text("email"), params.text("phone")
        if email or phone:
            found = directory.find_contacts(email=email or None, phone=phone or None)
            queryset = queryset.filter(pk__in=found.values("pk"))
        if q := params.text("q"):
            condition = Q(full_name__icontains=q) | Q(emails__email_normalized__icontains=normalize_email(q))
            if normalize_phone(q):
                condition |= Q(phones__phone_normalized=normalize_phone(q))
            queryset = queryset.filter(pk__in=Contact.objects.filter(condition).values("pk"))
        for name in ("company", "responsible"):
            if (pk := params.id(name)) is not None:
                queryset = queryset.filter(**{f"{name}_id": pk})
        return queryset


# --- leads ----------------------------------------------------------------------------------


class LeadSerializer(StageFieldsMixin, serializers.ModelSerializer):
    source = serializers.ChoiceField(choices=LeadSource.choices, default=LeadSource.API)
    responsible = user_field()
    is_possible_duplicate = serializers.BooleanField(read_only=True)

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
            _Q,
            _RESPONSIBLE,
            OpenApiParameter("stage", OpenApiTypes.STR, description="Stage slugs, comma-separated"),
            OpenApiParameter("source", OpenApiTypes.STR, description="Source slug"),
            OpenApiParameter("duplicates", OpenApiTypes.BOOL, description="true: only possible duplicates"),
            OpenApiParameter("created_from", OpenApiTypes.DATE, description="Received on or after this date"),
            OpenApiParameter("created_to", OpenApiTypes.DATE, description="Received on or before this date"),
        ]
    )
)
class LeadViewSet(MoveActionMixin, StageListMixin, ProtectedDestroyMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = LeadSerializer
    queryset = Lead.objects.all()

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


# --- tasks ----------------------------------------------------------------------------------


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskChecklistItem
        fields = ["id", "text", "done", "position"]


class TaskSerializer(serializers.ModelSerializer):
    responsible = user_field()
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all(), required=False, allow_null=True)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.all(), required=False, allow_null=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    checklist_items = serializers.ListField(
        child=serializers.CharField(max_length=500), write_only=True, required=False, help_text="Checklist on creation"
    )
    is_overdue = serializers.BooleanField(read_only=True)
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
        ]
        read_only_fields = ["status", "is_automatic", "created_at", "completed_at", "completed_by", "result"]

    def get_missing_requirements(self, obj) -> list[str]:
        return tasks.missing_requirements(obj) if obj.is_open else []

    def _check_subject(self, subject):
        if subject is not None and not access.can(self.context["request"].user, subject, Action.READ):
            raise ValidationError(_("You may not see this card."))
        return subject

    def validate_lead(self, lead):
        return self._check_subject(lead)

    def validate_deal(self, deal):
        return self._check_subject(deal)

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
            _RESPONSIBLE,
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


# --- public intake --------------------------------------------------------------------------


class PublicLeadSerializer(serializers.Serializer):
    """The fields of the public form (``PublicLeadForm`` validates them)."""

    name = serializers.CharField()
    company = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    computers = serializers.IntegerField(required=False, allow_null=True)
    servers = serializers.IntegerField(required=False, allow_null=True)
    offices = serializers.IntegerField(required=False, allow_null=True)
    message = serializers.CharField(required=False, allow_blank=True)
    consent = serializers.BooleanField()


class PublicLeadAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    detail = serializers.CharField()


class PublicLeadViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A request for subscription support from a company's website; no sign-in, limited per IP."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = PublicLeadSerializer

    @extend_schema(
        request=PublicLeadSerializer,
        responses={
            201: PublicLeadAcceptedSerializer,
            400: OpenApiResponse(description="Field errors, as the form shows them"),
            429: OpenApiResponse(description="Too many requests from this address"),
        },
    )
    def create(self, request, *args, **kwargs):
        if public_rate_limited(request):
            return Response(
                {"detail": _("Too many requests. Try again later.")}, status=status.HTTP_429_TOO_MANY_REQUESTS
            )
        form = PublicLeadForm(data=form_values(request.data, PublicLeadForm))
        if not form.is_valid():
            return Response(form.errors.get_json_data(), status=status.HTTP_400_BAD_REQUEST)
        lead = leads.lead_create_from_public(data=form.cleaned_data, ip=request.META.get("REMOTE_ADDR", ""))
        return Response(
            {"id": lead.pk, "detail": _("Thank you! We will contact you soon.")}, status=status.HTTP_201_CREATED
        )


# (prefix, viewset, basename) — ``config.api`` puts every app's routes on /api/v1/.
ROUTES = [
    ("companies", CompanyViewSet, "company"),
    ("contacts", ContactViewSet, "contact"),
    ("leads", LeadViewSet, "lead"),
    ("tasks", TaskViewSet, "task"),
    ("public/leads", PublicLeadViewSet, "public-lead"),
]
