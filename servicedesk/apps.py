from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service Desk")

    def ready(self):
        # The ticket pipeline and its clock handlers register themselves on import; so do the
        # signals that keep every process's copy of the public form's settings current.
        from . import (  # noqa: F401 - identity tells other apps the company's name
            identity,
            pipeline,
            tasks,
            texts,
        )
        from .intake import snapshot, telegram  # noqa: F401 - telegram provides the bot's token
        from .intake.email import esp  # noqa: F401 - anymail's inbound signal receiver
