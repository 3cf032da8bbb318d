"""Serializer fields every app's API shares."""

from collections.abc import Iterable

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from admin24 import access, workflow
from admin24.models import User


def user_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """An optional active staff user given by id (a responsible, an assignee)."""
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, **kwargs
    )


class LinkableField(serializers.PrimaryKeyRelatedField):
    """An optional card given by id, among those the requesting user may read
    (``access.linkable``): another's id is "does not exist", as an unknown one."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(queryset=model._default_manager.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model._default_manager.none()
        instance = getattr(self.parent, "instance", None)
        current = getattr(instance, f"{self.source}_id", None) if instance is not None else None
        return access.linkable(request.user, self.model, current=current)


class ReferenceField(serializers.PrimaryKeyRelatedField):
    """A card this one points at (a possible duplicate), by id only to those who may read it;
    null otherwise (the card's ``is_possible_duplicate`` still says there is one)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        request = self.context.get("request")
        if request is None or not access.can(request.user, value, access.Action.READ):
            return None
        return value.pk


class MessageKeyField(serializers.CharField):
    """The key of a model's message field (``admin24.messages``), beside its text shown in the
    request's language, for clients that act on what happened rather than on words; empty for a
    text a person typed."""

    def __init__(self, message_field: str, **kwargs):
        self.message_field = message_field
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        return (getattr(obj, self.message_field) or {}).get("key", "")


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


class StageSlugField(serializers.CharField):
    """A stage or status slug. It is checked by the pipeline, not here (an unknown target is a 409
    that lists the allowed ones), yet the schema lists every value, so a generated client knows them."""

    def __init__(self, *, slugs: Iterable[str], **kwargs):
        self.slugs = list(dict.fromkeys(str(slug) for slug in slugs))
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)


class StageSlugFieldExtension(OpenApiSerializerFieldExtension):
    target_class = StageSlugField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": self.target.slugs}


def stage_param_description(slugs: Iterable[str], what: str = "Stage") -> str:
    """A list filter's description: comma-separated slugs, and which there are."""
    return f"{what} slugs, comma-separated: " + ", ".join(dict.fromkeys(str(slug) for slug in slugs))
