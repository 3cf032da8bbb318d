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


# A viewset whose lists only ever hold what the user may read. One card is looked up among the
# readable ones and its object permission decides the method, so a card the user sees but may not
# change answers 403, and one they may not see answers 404. (Comments, not a docstring: the API
# docs show a viewset's inherited docstring as the description of its operations.)
class AccessFilteredMixin:
    def get_queryset(self):
        action = access.Action.READ if self.detail else action_for_method(self.request.method)
        return access.filter_queryset(self.request.user, super().get_queryset(), action)
