from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

from .roles import is_administrator


class Admin24AdminSite(AdminSite):
    """The Django admin, open to users with the Administrator role as well as to staff flags."""

    site_header = "Admin24"
    site_title = "Admin24"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_staff or is_administrator(user))


class Admin24AdminConfig(AdminConfig):
    default_site = "admin24.admin_site.Admin24AdminSite"
