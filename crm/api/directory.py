"""/api/v1/companies/ and /api/v1/contacts/: the CRM directory."""

from django.db.models import Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from admin24.api.errors import ProtectedDestroyMixin, service_call
from admin24.api.fields import LinkableField, ReferenceField, user_field
from admin24.api.params import QueryParams
from admin24.api.permissions import AccessFilteredMixin
from admin24.normalize import normalize_email, normalize_phone, validate_phone

from ..models import Company, Contact, ContactEmail, ContactPhone
from ..models.directory import company_name_key
from ..services import directory
from .common import RESPONSIBLE_PARAM, SEARCH_PARAM

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


@extend_schema_view(
    list=extend_schema(
        parameters=[SEARCH_PARAM, RESPONSIBLE_PARAM, OpenApiParameter("inn", OpenApiTypes.STR, description="INN")]
    )
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
    company = LinkableField(Company)
    responsible = user_field()
    duplicate_of = ReferenceField()

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
            SEARCH_PARAM,
            RESPONSIBLE_PARAM,
            OpenApiParameter("email", OpenApiTypes.STR, description="Email, any case"),
            OpenApiParameter("phone", OpenApiTypes.STR, description="Phone, any format"),
            OpenApiParameter("company", OpenApiTypes.INT, description="Company id"),
        ]
    )
)
class ContactViewSet(ProtectedDestroyMixin, AccessFilteredMixin, viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    queryset = Contact.objects.select_related("duplicate_of").prefetch_related(
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
