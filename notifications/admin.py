from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from admin24.admin_site import ReadOnlyAdmin
from admin24.roles import is_administrator

from . import services
from .models import Notification, OutboxMessage, StaffTelegram


class _DraftedChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # A row not sent yet shows what will go out, the page's rows rendered at once.
        self.result_list = services.outbox_drafted(list(self.result_list))


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "address", "subject", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel", "template"]
    # The subject is stored once sent: a search by it finds what went out.
    search_fields = ["address", "template", "subject", "message_id", "idempotency_key"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    list_select_related = ["recipient_user"]

    def get_changelist(self, request, **kwargs):
        return _DraftedChangeList

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        return found if found is None else services.outbox_drafted([found])[0]

    def has_retry_permission(self, request):
        return is_administrator(request.user)

    @admin.action(description=_("Send the selected messages again"), permissions=["retry"])
    def retry(self, request, queryset):
        queued = services.outbox_retry(messages=queryset)
        skipped = queryset.count() - queued
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", queued) % {"count": queued},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was skipped: it is being sent or was already sent.",
                    "%(count)d messages were skipped: they are being sent or were already sent.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "template", "shown_title", "read_at"]
    list_filter = ["template", ("read_at", admin.EmptyFieldListFilter)]
    # What is stored: the kind of notice, whom it told, about which card (no sentence to search).
    search_fields = ["template", "recipient__username", "recipient__last_name", "target_type__model"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("title"))
    def shown_title(self, obj):
        return obj.shown_title


@admin.register(StaffTelegram)
class StaffTelegramAdmin(ReadOnlyAdmin):
    """Whose chat is linked and what they get there; each user chooses on their own profile page."""

    list_display = ["user", "chat_linked", "kinds", "linked_at", "unlinked_reason"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name"]

    @admin.display(description=_("chat linked"), boolean=True)
    def chat_linked(self, obj):
        return bool(obj.user.telegram_chat_id)
