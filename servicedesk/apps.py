from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service Desk")

    def ready(self):
        # The ticket pipeline and its clock handlers register themselves on import.
        from . import pipeline, robots  # noqa: F401
