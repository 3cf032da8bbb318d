from rest_framework.permissions import BasePermission

from admin24 import access

_ACTION_BY_METHOD = {
    "GET": access.Action.READ,
    "HEAD": access.Action.READ,
    "OPTIONS": access.Action.READ,
    "DELETE": access.Action.DELETE,
}


def action_for_method(method: str) -> str:
    return _ACTION_BY_METHOD.get(method, access.Action.EDIT)


class AccessRightsPermission(BasePermission):
    """Default for every endpoint: signed in, and the object's access rights allow the method.

    Lists are narrowed by ``AccessFilteredMixin``; this checks single objects.
    """

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_active)

    def has_object_permission(self, request, view, obj):
        if not hasattr(type(obj), "access_entity"):
            return True
        return access.can(request.user, obj, action_for_method(request.method))


class AccessFilteredMixin:
    """A viewset whose queryset only ever holds what the user may read (or edit/delete)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        return access.filter_queryset(self.request.user, queryset, action_for_method(self.request.method))
