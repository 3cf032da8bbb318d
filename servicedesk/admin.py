"""Django admin for the Service Desk: a back office next to the staff pages, not a replacement.

Status changes are not editable here: they must run the pipeline's robots (emails, SLA clock),
so the admin shows the status and the staff pages or the API change it.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Attachment, DeskSettings, Service, Ticket, TicketComment


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "responsible", "reaction_time", "resolution_time", "order"]
    list_filter = ["active"]
    list_editable = ["active", "order"]
    search_fields = ["name"]
    list_select_related = ["responsible"]
    autocomplete_fields = ["responsible"]


@admin.register(DeskSettings)
class DeskSettingsAdmin(admin.ModelAdmin):
    readonly_fields = ["form_key", "favicon_32", "favicon_180", "updated_at"]
    fieldsets = [
        (_("Speed"), {"fields": ["reaction_time", "resolution_time", "deferred_return_time"]}),
        (
            _("Company requisites"),
            {"fields": ["legal_name", "inn", "kpp", "ogrn", "legal_address", "company_email", "company_phone"]},
        ),
        (_("Form"), {"fields": ["phone_required", "header_company_name", "form_key", "allowed_origins"]}),
        (_("Uploads"), {"fields": ["max_files", "max_file_mb", "max_total_mb"]}),
        (_("Favicon"), {"fields": ["favicon_32", "favicon_180"]}),
        (_("Telegram bot"), {"fields": ["telegram_token", "telegram_username", "telegram_phone"]}),
    ]

    def has_add_permission(self, request):
        return not DeskSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class CommentInline(admin.StackedInline):
    model = TicketComment
    extra = 0
    fields = ["created_at", "author", "from_client", "public", "source", "body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["original_name", "size", "content_type", "comment", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["display_number", "subject", "status", "service", "assignee", "client_company", "created_at"]
    list_filter = ["status", "source", "service", "reaction_breached", "resolution_breached"]
    search_fields = ["=number", "subject", "client_name", "client_email", "client_company"]
    list_select_related = ["service", "assignee"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["assignee", "contact", "company", "watchers"]
    # get_absolute_url is the staff card notifications link to; the admin keeps no «View on site».
    view_on_site = False
    readonly_fields = [
        "number",
        "status",
        "source",
        "deferred_until",
        "reaction_due_at",
        "resolution_due_at",
        "first_reaction_at",
        "resolved_at",
        "reaction_breached",
        "resolution_breached",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [AttachmentInline, CommentInline]

    def has_add_permission(self, request):
        # New tickets go through create_ticket (number, SLA clock, client email): the staff pages or the API.
        return False

    @admin.display(description=_("number"), ordering="number")
    def display_number(self, obj):
        return obj.display_number
