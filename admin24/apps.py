from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Admin24Config(AppConfig):
    name = "admin24"
    verbose_name = _("Admin24 kernel")
