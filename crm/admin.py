from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admin24.admin_site import Admin24ModelAdmin
from admin24.workflow import DomainError

from .models import (
    ChecklistTemplate,
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    Contract,
    CrmSettings,
    Deal,
    Lead,
    LostReason,
    Task,
    TaskChecklistItem,
)
from .services.deals import deals_mark_payment_received


@admin.register(Company)
class CompanyAdmin(Admin24ModelAdmin):
    list_display = ["name", "inn", "kpp", "responsible", "created_at"]
    search_fields = ["name", "inn"]
    list_select_related = ["responsible"]
    autocomplete_fields = ["responsible"]


class ContactEmailInline(admin.TabularInline):
    model = ContactEmail
    extra = 0
    fields = ["email", "position"]


class ContactPhoneInline(admin.TabularInline):
    model = ContactPhone
    extra = 0
    fields = ["phone", "position"]


@admin.register(Contact)
class ContactAdmin(Admin24ModelAdmin):
    list_display = ["full_name", "company", "responsible", "duplicate_of"]
    search_fields = ["full_name", "emails__email_normalized", "phones__phone_normalized"]
    list_select_related = ["company", "responsible", "duplicate_of"]
    autocomplete_fields = ["company", "responsible", "duplicate_of"]
    inlines = [ContactEmailInline, ContactPhoneInline]


@admin.register(Lead)
class LeadAdmin(Admin24ModelAdmin):
    """Stage changes happen on the board and the card (through the move service), not here."""

    list_display = ["title", "stage", "source", "responsible", "failed_calls", "created_at"]
    list_filter = ["stage", "source"]
    search_fields = ["title", "contact_name", "company_name", "email_normalized", "phone_normalized"]
    list_select_related = ["responsible"]
    readonly_fields = ["stage", "stage_changed_at", "failed_calls", "callbacks_from", "closing_reason"]
    autocomplete_fields = ["responsible", "duplicate_of", "duplicate_contact", "contact", "company", "created_by"]
    # get_absolute_url is the staff card notifications link to; the admin keeps no «View on site».
    view_on_site = False


@admin.register(Deal)
class DealAdmin(Admin24ModelAdmin):
    list_display = ["title", "pipeline", "stage", "company", "responsible", "amount", "created_at"]
    list_filter = ["pipeline", "stage"]
    search_fields = ["title", "company__name"]
    list_select_related = ["company", "responsible"]
    # The stage, and the payment flag that moves it, change only through the services.
    readonly_fields = [
        "stage",
        "stage_changed_at",
        "closing_reason",
        "lost_reason",
        "payment_received",
        "contract",
        "won_at",
    ]
    autocomplete_fields = ["company", "contact", "responsible", "source_lead", "renews"]
    # get_absolute_url is the staff card notifications link to; the admin keeps no «View on site».
    view_on_site = False
    actions = ["mark_payment_received"]

    @admin.action(description=gettext_lazy("Mark the payment received (deals awaiting payment move on)"))
    def mark_payment_received(self, request, queryset):
        try:
            count = deals_mark_payment_received(deals=queryset, by=request.user)
        except DomainError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
        else:
            self.message_user(request, _("Payment received on %(count)d deals.") % {"count": count})


class TaskChecklistItemInline(admin.TabularInline):
    model = TaskChecklistItem
    extra = 0


@admin.register(Task)
class TaskAdmin(Admin24ModelAdmin):
    list_display = ["title", "kind", "status", "responsible", "deadline", "is_automatic"]
    list_filter = ["status", "kind", "is_automatic"]
    search_fields = ["title"]
    list_select_related = ["responsible"]
    autocomplete_fields = ["responsible", "lead", "deal", "created_by", "completed_by"]
    inlines = [TaskChecklistItemInline]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(CrmSettings)
class CrmSettingsAdmin(Admin24ModelAdmin):
    list_display = ["__str__", "lead_distribution", "lead_fixed_responsible"]
    autocomplete_fields = ["lead_fixed_responsible"]

    def has_add_permission(self, request):
        return not CrmSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "position"]
    list_editable = ["active", "position"]


@admin.register(Contract)
class ContractAdmin(Admin24ModelAdmin):
    list_display = ["number", "company", "signed_on", "ends_on", "monthly_amount", "status", "responsible"]
    list_filter = ["status"]
    search_fields = ["number", "company__name"]
    list_select_related = ["company", "responsible"]
    autocomplete_fields = ["company", "contact", "responsible"]
