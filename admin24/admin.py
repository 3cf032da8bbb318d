from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from . import admin_calendar  # noqa: F401 - registers the working-calendar admin
from .admin_site import Admin24ModelAdmin
from .models import AccessRule, Activity, Department, User
from .roles import Role


def role_label(group) -> str:
    """A role as its users read it: group names are stored in English."""
    return str(Role.LABELS.get(group.name, group.name))


class RoleListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return sorted(((group.pk, role_label(group)) for group in Group.objects.all()), key=lambda choice: choice[1])


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "email", "department", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", ("groups", RoleListFilter), "department")
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

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = role_label
        return field


@admin.register(Department)
class DepartmentAdmin(Admin24ModelAdmin):
    list_display = ("name", "parent", "head")
    list_select_related = ("parent", "head")
    search_fields = ("name",)
    autocomplete_fields = ("parent", "head")


@admin.register(AccessRule)
class AccessRuleAdmin(admin.ModelAdmin):
    list_display = ("role_name", "entity", "action", "level")
    list_display_links = ("role_name",)
    list_editable = ("level",)
    list_filter = (("role", RoleListFilter), "entity", "action", "level")
    list_select_related = ("role",)

    @admin.display(description=_("role"), ordering="role__name")
    def role_name(self, obj):
        return role_label(obj.role)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "role":
            field.label_from_instance = role_label
        return field


from . import admin_clock, admin_constants  # noqa: E402, F401 - importing registers their ModelAdmins


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "verb", "target_type", "target_id", "actor", "text"]
    list_filter = ["verb", "target_type"]
    list_select_related = ["actor", "target_type"]
    readonly_fields = [f.name for f in Activity._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
