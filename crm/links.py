"""Links to CRM cards for notifications and API representations."""

from django.urls import NoReverseMatch, reverse


def card_link(obj) -> str:
    """The path of the object's card page; the admin page when the CRM pages do not have one."""
    meta = obj._meta
    try:
        return reverse(f"crm:{meta.model_name}-detail", args=[obj.pk])
    except NoReverseMatch:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
