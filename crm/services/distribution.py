"""Who gets a new lead: a fixed person, or the next active sales manager in turn."""

from django.db import transaction

from admin24.models import User
from admin24.roles import Role

from ..models import CrmSettings


@transaction.atomic
def choose_lead_responsible() -> User | None:
    """The responsible for a new lead, per the CRM settings; None when nobody can take it.

    The round-robin pointer lives in the settings row, locked while it moves, so every web and
    worker process takes turns from the same place.
    """
    CrmSettings.load()
    settings = CrmSettings.objects.select_for_update().get(pk=1)
    fixed = settings.lead_fixed_responsible
    if settings.lead_distribution == CrmSettings.Distribution.FIXED and fixed is not None and fixed.is_active:
        return fixed
    managers = User.objects.filter(is_active=True, groups__name=Role.SALES_MANAGER).distinct().order_by("pk")
    chosen = managers.filter(pk__gt=settings.last_lead_responsible_id or 0).first() or managers.first()
    if chosen is not None:
        settings.last_lead_responsible = chosen
        settings.save(update_fields=["last_lead_responsible"])
    return chosen
