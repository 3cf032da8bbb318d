"""Contract-end tracking on /api/v1/contracts/ (issue 7 §3), mixed into ``ContractViewSet``:
the contract's end date, and the moment its renewal deal will be created.
"""

import datetime

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from admin24.api.errors import service_call

from ..services import renewal


class ContractEndSerializer(serializers.Serializer):
    ends_on = serializers.DateField(allow_null=True)


class ContractRenewalFields(serializers.Serializer):
    renewal_due_at = serializers.SerializerMethodField()
    renewal_deal = serializers.SerializerMethodField()

    def get_renewal_due_at(self, contract) -> datetime.datetime | None:
        return renewal.renewal_due_at(contract)

    def get_renewal_deal(self, contract) -> int | None:
        deal = renewal.renewal_deal(contract)
        return deal.pk if deal else None


class ContractRenewalActions:
    @extend_schema(request=ContractEndSerializer, responses={200: OpenApiResponse(), 400: OpenApiResponse()})
    @action(detail=True, methods=["post"], url_path="end-date")
    def end_date(self, request, pk=None):
        """Extend (or shorten) the contract; the renewal wait is re-planned."""
        contract = self.get_object()
        body = ContractEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contract = service_call(
            renewal.contract_set_end_date, contract=contract, by=request.user, ends_on=body.validated_data["ends_on"]
        )
        return Response(self.get_serializer_class()(contract, context=self.get_serializer_context()).data)
