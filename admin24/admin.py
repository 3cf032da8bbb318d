from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import admin_calendar  # noqa: F401 - registers the working-calendar admin
from .models import AccessRule, Department, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "email", "department", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "groups", "department")
    search_fields = ("username", "email", "first_name", "last_name", "phone")
    list_select_related = ("department",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "patronymic", "email", "phone")}),
        (_("Work"), {"fields": ("department", "groups", "language", "time_zone", "telegram_chat_id")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "last_name",
                    "first_name",
                    "department",
                    "groups",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    @admin.display(description=_("full name"))
    def full_name(self, obj):
        return obj.full_name


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "head")
    list_select_related = ("parent", "head")
    search_fields = ("name",)
    autocomplete_fields = ("parent", "head")


@admin.register(AccessRule)
class AccessRuleAdmin(admin.ModelAdmin):
    list_display = ("role", "entity", "action", "level")
    list_editable = ("level",)
    list_filter = ("role", "entity", "action", "level")
    list_select_related = ("role",)


from . import admin_clock, admin_constants  # noqa: E402, F401 - importing registers their ModelAdmins
