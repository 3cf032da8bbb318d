"""Django admin for the Service Desk: a back office next to the staff pages, not a replacement.

Status changes are not editable here: they must run the pipeline's robots (emails, SLA clock),
so the admin shows the status and the staff pages or the API change it.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from admin24.admin_site import Admin24ModelAdmin, ReadOnlyAdmin

from .models import (
    Attachment,
    DeskSettings,
    InboundEmail,
    Service,
    TelegramChat,
    TelegramTicket,
    TelegramUpdate,
    Ticket,
    TicketComment,
)


@admin.register(Service)
class ServiceAdmin(Admin24ModelAdmin):
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
        (
            _("Email"),
            {"fields": ["email_service", "reopen_window_days", "email_tickets_per_hour", "email_attach_max_mb"]},
        ),
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
class TicketAdmin(Admin24ModelAdmin):
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


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every message received: why it ended as it did, its original, and "process again"."""

    list_display = ["received_at", "from_address", "subject", "source", "status", "reason_shown", "ticket"]
    list_filter = ["status", "source"]
    search_fields = ["from_address", "subject", "message_id"]
    list_select_related = ["ticket"]
    readonly_fields = [f.name for f in InboundEmail._meta.fields] + ["reason_shown", "original"]
    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("reason"))
    def reason_shown(self, obj):
        return obj.reason_text

    @admin.display(description=_("original message"))
    def original(self, obj):
        if not obj.pk:
            return ""
        url = reverse("admin:servicedesk_inboundemail_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="servicedesk_inboundemail_raw",
            ),
            *super().get_urls(),
        ]

    def raw_view(self, request, pk):
        row = get_object_or_404(InboundEmail, pk=pk)
        if not self.has_view_permission(request, row):
            raise PermissionDenied
        return FileResponse(row.raw.open("rb"), as_attachment=True, filename=f"inbound-{row.pk}.eml")

    @admin.action(description=_("Process again"))
    def process_again(self, request, queryset):
        from .intake.email.store import process_again

        count = process_again(queryset)
        self.message_user(request, _("Processed again: %(count)d.") % {"count": count})


@admin.register(TelegramUpdate)
class TelegramUpdateAdmin(ReadOnlyAdmin):
    """Every update as Telegram sent it, and how its handling ended; a failed one can be handled again."""

    list_display = ["update_id", "received_at", "status", "attempts", "handled_at", "error"]
    list_filter = ["status"]
    search_fields = ["=update_id"]
    date_hierarchy = "received_at"
    actions = ["handle_again"]

    def has_handle_again_permission(self, request):
        return request.user.has_perm("servicedesk.view_telegramupdate")

    @admin.action(description=_("Handle the failed updates again"), permissions=["handle_again"])
    def handle_again(self, request, queryset):
        from .intake.telegram import handle_again

        count = handle_again(queryset)
        self.message_user(request, _("Queued again: %(count)d.") % {"count": count})


class TelegramTicketInline(admin.TabularInline):
    model = TelegramTicket
    fields = ["ticket", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TelegramChat)
class TelegramChatAdmin(ReadOnlyAdmin):
    list_display = ["chat_id", "first_name", "last_name", "username", "language", "step", "disabled", "updated_at"]
    list_filter = ["disabled", "language"]
    search_fields = ["=chat_id", "username", "first_name", "last_name"]
    inlines = [TelegramTicketInline]


@admin.register(TelegramTicket)
class TelegramTicketAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "chat", "created_at"]
    list_select_related = ["ticket", "chat"]
    search_fields = ["=chat__chat_id", "=ticket__number"]
