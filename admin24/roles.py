"""The seeded roles (Django groups, SPEC §0). Group names are stored in English; shown translated."""

from django.utils.translation import gettext_lazy as _


class Role:
    ADMINISTRATOR = "Administrator"
    SUPPORT_ENGINEER = "Support engineer"
    SALES_MANAGER = "Sales manager"
    SUPERVISOR = "Supervisor"
    CLERK = "Clerk"
    IT_DIRECTOR = "IT director"
    ACCOUNTANT = "Accountant"

    LABELS = {
        ADMINISTRATOR: _("Administrator"),
        SUPPORT_ENGINEER: _("Support engineer"),
        SALES_MANAGER: _("Sales manager"),
        SUPERVISOR: _("Supervisor"),
        CLERK: _("Clerk"),
        IT_DIRECTOR: _("IT director"),
        ACCOUNTANT: _("Accountant"),
    }
    ALL = tuple(LABELS)


def has_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return role in role_names(user)


def role_names(user) -> frozenset[str]:
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def is_administrator(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR)
