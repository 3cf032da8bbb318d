from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The kernel reports to listeners instead of importing this app; the delivery task is
        # registered in every process (web included), because the services publish it by name.
        from . import listeners, staff_telegram, tasks  # noqa: F401
