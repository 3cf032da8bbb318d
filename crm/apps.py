from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        # Pipelines register their stages, guards, robots and clock handlers on import.
        from . import texts  # noqa: F401 - its message keys, for timelines and tasks already written
        from .pipelines import contract, leads, regular  # noqa: F401
