"""Stage changes over the API, the same for tickets, leads and deals (DESIGN.md "API").

``POST /api/v1/<resource>/<id>/move/ {"to": "<stage slug>"}`` answers 200 with the new
representation, 409 with the reason and the allowed targets when the pipeline refuses the move,
and 403 when access rights forbid changing the card.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from admin24 import access, workflow
from admin24.access import Action

from .errors import service_call
from .fields import StageSlugField


class MoveSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=32, help_text="The target stage's slug")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def move_serializer_for(name: str, slugs) -> type[MoveSerializer]:
    """The move body of one kind of card (``name``: "Lead" gives ``LeadMoveSerializer``): ``to``
    documented with the stages that kind of card has."""
    return type(
        f"{name}MoveSerializer",
        (MoveSerializer,),
        {"to": StageSlugField(slugs=slugs, help_text="The target stage's slug"), "__module__": __name__},
    )


class MoveRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    allowed_moves = serializers.ListField(child=serializers.CharField())


# Lists check the edit right of a whole page in one query instead of one per card
# (``AllowedMovesField`` reads ``editable_ids``).
class StageListMixin:
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        model = self.get_queryset().model
        editable = access.filter_queryset(
            request.user, model.objects.filter(pk__in=[obj.pk for obj in page]), Action.EDIT
        )
        context = {**self.get_serializer_context(), "editable_ids": set(editable.values_list("pk", flat=True))}
        return self.get_paginated_response(self.get_serializer_class()(page, many=True, context=context).data)


# The ``move`` action. A viewset changes ``move_serializer_class`` when its moves take more than a
# target and a reason, and ``perform_move`` when a move is more than ``workflow.move``.
class MoveActionMixin:
    move_serializer_class = MoveSerializer

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The request and the 200 body differ per viewset; one decorator here keeps the 403/409
        # contract documented identically everywhere without repeating it on each viewset.
        if getattr(cls, "serializer_class", None) is not None:
            extend_schema_view(
                move=extend_schema(
                    request=cls.move_serializer_class,
                    responses={
                        200: cls.serializer_class,
                        400: OpenApiResponse(description="The body is malformed, or a field the move needs is wrong"),
                        403: OpenApiResponse(description="Access rights forbid changing this card"),
                        409: MoveRefusedSerializer,
                    },
                )
            )(cls)

    def perform_move(self, *, entity, by, to, reason, **details):
        return workflow.move(entity, to, by=by, reason=reason)

    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the card to the stage ``to``; a 409 says why not and where it may go. Closing
        stages need a ``reason``: a lost deal's is one of /api/v1/deals/lost-reasons/."""
        entity = self.get_object()
        body = self.move_serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        entity = service_call(self.perform_move, entity=entity, by=request.user, **body.validated_data)
        return Response(self.get_serializer(entity).data)
