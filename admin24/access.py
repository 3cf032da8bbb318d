"""Access rights: role × entity × action → level (SPEC §0).

Every view, API endpoint, board and export asks these functions; nothing else decides
who sees what. A model takes part by declaring ``access_entity`` (an ``Entity`` value) and
``access_owner_field`` (the name of its responsible-user foreign key). ``require`` is ``can``
for code that must stop: the one permission error every service and view raises.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext_lazy

from .models.access import AccessRule, Action, Entity, Level
from .structure import department_subtree_ids

__all__ = ["Action", "Entity", "Level", "can", "filter_queryset", "level_for", "linkable", "require"]

# What ``require`` says by default, per action; a caller naming its object better passes its own.
DENIED = {
    Action.READ: gettext_lazy("You may not see this card."),
    Action.EDIT: gettext_lazy("You may not change this card."),
    Action.DELETE: gettext_lazy("You may not delete this card."),
}


def _levels(user) -> dict[tuple[str, str], int]:
    cached = getattr(user, "_access_levels", None)
    if cached is None:
        rows = (
            AccessRule.objects.filter(role__in=user.groups.all())
            .values_list("entity", "action")
            .annotate(level=Max("level"))
        )
        cached = {(entity, action): level for entity, action, level in rows}
        user._access_levels = cached
    return cached


def level_for(user, entity: str, action: str = Action.READ) -> Level:
    if user is None or not user.is_authenticated or not user.is_active:
        return Level.NONE
    if user.is_superuser:
        return Level.ALL
    return Level(_levels(user).get((entity, action), Level.NONE))


def _subtree(user) -> set[int]:
    cached = getattr(user, "_department_subtree", None)
    if cached is None:
        cached = department_subtree_ids(user.department_id)
        user._department_subtree = cached
    return cached


def filter_queryset(user, queryset: QuerySet, action: str = Action.READ, *, entity: str | None = None) -> QuerySet:
    """The rows of ``queryset`` the user may ``action``."""
    model = queryset.model
    entity = entity or model.access_entity
    level = level_for(user, entity, action)
    if level == Level.ALL:
        return queryset
    if level == Level.NONE:
        return queryset.none()
    owner = model.access_owner_field
    mine = Q(**{owner: user.pk})
    if level == Level.DEPARTMENT and user.department_id is not None:
        mine |= Q(**{f"{owner}__department_id__in": _subtree(user)})
    return queryset.filter(mine)


def linkable(user, model_or_queryset, *, current=None) -> QuerySet:
    """The rows a user may link a card to (a choice list, a foreign key a form or the API takes):
    exactly those the lists show them, plus ``current`` (the id the card holds already, which
    saving it unchanged must not refuse). ``user=None`` is the system, which rights do not bind."""
    queryset = model_or_queryset
    if not isinstance(queryset, QuerySet):
        queryset = queryset._default_manager.all()
    if user is None:
        return queryset
    readable = filter_queryset(user, queryset, Action.READ)
    if current is None:
        return readable
    return queryset.filter(Q(pk__in=readable.values("pk")) | Q(pk=current))


class Reference:
    """A card another card points at (a possible duplicate), as one user may be told of it:
    ``card`` when they may read it, else only that it exists and whom to ask (its responsible)."""

    def __init__(self, user, card):
        self.card = card if can(user, card, Action.READ) else None
        owner = getattr(card, type(card).access_owner_field, None)
        self.ask = str(owner) if owner is not None and self.card is None else ""


def reference(user, card) -> Reference | None:
    return None if card is None else Reference(user, card)


def can(user, obj, action: str = Action.READ, *, entity: str | None = None) -> bool:
    """Whether the user may ``action`` this object."""
    entity = entity or type(obj).access_entity
    level = level_for(user, entity, action)
    if level == Level.ALL:
        return True
    if level == Level.NONE:
        return False
    owner_id = getattr(obj, f"{type(obj).access_owner_field}_id")
    if owner_id == user.pk:
        return True
    if level == Level.DEPARTMENT and user.department_id is not None and owner_id is not None:
        from .models import User

        owner_department = User.objects.filter(pk=owner_id).values_list("department_id", flat=True).first()
        return owner_department in _subtree(user)
    return False


def require(user, obj, action: str, *, entity: str | None = None, message=None) -> None:
    """Raise ``PermissionDenied`` unless the user may ``action`` this object.

    ``user=None`` is the system itself (a robot, the clock, an import), which access rights do
    not bind. ``message`` is what people read (``DENIED[action]`` unless given).
    """
    if user is None or can(user, obj, action, entity=entity):
        return
    raise PermissionDenied(str(message if message is not None else DENIED[action]))
