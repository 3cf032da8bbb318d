"""/api/v1/public/leads/: the public lead intake, the same form as the public page."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from admin24.api.forms import form_values
from admin24.client_address import client_address

from ..forms.public import PublicLeadForm, public_rate_limited
from ..services import leads


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
        lead = leads.lead_create_from_public(data=form.cleaned_data, ip=client_address(request))
        return Response(
            {"id": lead.pk, "detail": _("Thank you! We will contact you soon.")}, status=status.HTTP_201_CREATED
        )
