"""Serializer fields every app's API shares."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from admin24 import workflow
from admin24.models import User


def user_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """An optional active staff user given by id (a responsible, an assignee)."""
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, **kwargs
    )


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class AllowedMovesField(serializers.Field):
    """The stages the requesting user may move this card to (DESIGN.md "API": every representation lists them).

    A list passes ``editable_ids`` in the context (see ``StageListMixin``) so the edit right is
    checked once per page, not once per card.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, entity):
        editable = self.context.get("editable_ids")
        may_edit = None if editable is None else entity.pk in editable
        return workflow.allowed_moves(entity, self.context["request"].user, may_edit=may_edit)
