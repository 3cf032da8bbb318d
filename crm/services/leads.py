"""Leads: creation from every source, editing, qualification and conversion."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from admin24 import activity, workflow
from admin24.access import Action, Level, level_for, require
from admin24.models import Activity
from admin24.normalize import normalize_email, normalize_phone
from admin24.roles import Role, role_names
from notifications.models import TelegramKind
from notifications.services import notify_staff

from ..models import ChecklistTemplate, Deal, Lead, LeadSource, LeadStage
from ..models.leads import ACTIVE_STAGES
from ..texts import say
from .directory import find_contacts
from .distribution import choose_lead_responsible

QUALIFICATION_TEMPLATE = "lead-qualification"
# The fields staff and integrations may set on a lead, in the order forms show them.
LEAD_FIELDS = (
    "title",
    "contact_name",
    "phone",
    "email",
    "company_name",
    "company_inn",
    "responsible",
    "service_kind",
    "computers",
    "servers",
    "offices",
    "client_request",
)


def _check_fields(fields: dict, function: str) -> None:
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise TypeError(f"{function}() got unexpected fields: {', '.join(sorted(unknown))}")


def find_duplicate(lead: Lead) -> tuple[Lead | None, object | None]:
    """An open lead, and a contact, with the lead's email or phone (in any format)."""
    email, phone = normalize_email(lead.email), normalize_phone(lead.phone)
    if not email and not phone:
        return None, None
    open_leads = Lead.objects.filter(stage__in=ACTIVE_STAGES).exclude(pk=lead.pk).order_by("pk")
    match = None
    if email:
        match = open_leads.filter(email_normalized=email).first()
    if match is None and phone:
        match = open_leads.filter(phone_normalized=phone).first()
    return match, find_contacts(email=email, phone=phone).first()


def _notify_assigned(lead: Lead) -> None:
    notify_staff(
        lead,
        to=lead.responsible,
        title=say("crm.lead.new.title", title=lead.title),
        text=say("crm.lead.new.text", title=lead.title, source=LeadSource(lead.source)),
        key=f"crm.lead.assigned:{lead.pk}:{lead.responsible_id}",
        kind=TelegramKind.ASSIGNED,
    )


@transaction.atomic
def lead_create(*, by, source: str = LeadSource.MANUAL, **fields) -> Lead:
    """A new lead in «Новая заявка»: assigned (unless a responsible is given), checked for duplicates,
    its manager notified and, unless it came by phone, its first call task set.
    """
    _check_fields(fields, "lead_create")
    if by is not None and level_for(by, Lead.access_entity, Action.EDIT) == Level.NONE:
        raise PermissionDenied(_("You may not create leads."))
    lead = Lead(source=source, created_by=by, **fields)
    if not lead.title:
        lead.title = lead.company_name or lead.contact_name or lead.email or lead.phone
    lead.full_clean(exclude=["responsible", "duplicate_of", "duplicate_contact", "contact", "company"])
    if not (lead.email or lead.phone):
        raise ValidationError(_("Give the client's phone or email."), code="no_contact_details")
    if lead.responsible is None:
        # A manager who enters a lead himself works it; everything else is distributed.
        own = by is not None and Role.SALES_MANAGER in role_names(by)
        lead.responsible = by if own else choose_lead_responsible()
    lead.callbacks_from = lead.created_at
    lead.duplicate_of, lead.duplicate_contact = find_duplicate(lead)
    lead.save()
    activity.record(target=lead, verb=Activity.Verb.CREATED, by=by, data={"source": source})
    if lead.is_possible_duplicate:
        activity.record(
            target=lead,
            verb=Activity.Verb.DUPLICATE_FOUND,
            data={"lead": lead.duplicate_of_id, "contact": lead.duplicate_contact_id},
        )
    workflow.start(lead, by=by)
    if lead.responsible is not None and lead.responsible != by:
        _notify_assigned(lead)
    return lead


def lead_create_from_public(*, data: dict, ip: str = "") -> Lead:
    """A lead from the public form (page or API), ``data`` being ``PublicLeadForm.cleaned_data``."""
    lead = lead_create(
        by=None,
        source=LeadSource.WEB_FORM,
        contact_name=data["name"],
        company_name=data.get("company", ""),
        phone=data.get("phone", ""),
        email=data.get("email", ""),
        computers=data.get("computers") or 0,
        servers=data.get("servers") or 0,
        offices=data.get("offices") or 0,
        client_request=data.get("message", ""),
    )
    activity.record(
        target=lead,
        verb=Activity.Verb.NOTE,
        message=say("crm.lead.consent"),
        data={"ip": ip, "consent": True},
    )
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, by, **fields) -> Lead:
    """Change the lead's fields (never its stage: that is ``move``)."""
    _check_fields(fields, "lead_update")
    require(by, lead, Action.EDIT)
    previous_responsible = lead.responsible_id
    for name, value in fields.items():
        setattr(lead, name, value)
    lead.full_clean(exclude=["duplicate_of", "duplicate_contact", "contact", "company"])
    lead.save()
    activity.record(target=lead, verb=Activity.Verb.UPDATED, by=by, data={"fields": sorted(fields)})
    if lead.responsible_id != previous_responsible and lead.responsible is not None:
        activity.record(target=lead, verb=Activity.Verb.ASSIGNED, by=by, data={"to": lead.responsible_id})
        if lead.responsible != by:
            _notify_assigned(lead)
    return lead


@transaction.atomic
def lead_mark_duplicate_of(*, lead: Lead, by, original: Lead | None = None, contact=None) -> Lead:
    """Link the lead to the card it duplicates, so it can be closed as «Дублирование клиента»."""
    require(by, lead, Action.EDIT)
    if original is not None and original.pk == lead.pk:
        raise ValidationError(_("A lead cannot duplicate itself."))
    lead.duplicate_of, lead.duplicate_contact = original, contact
    lead.save(update_fields=["duplicate_of", "duplicate_contact", "updated_at"])
    return lead


def qualification_questions() -> list[str]:
    template = ChecklistTemplate.objects.filter(code=QUALIFICATION_TEMPLATE).first()
    return template.item_list if template else []


@transaction.atomic
def lead_qualify(
    *,
    lead: Lead,
    by,
    answers: dict[str, str],
    computers: int | None = None,
    servers: int | None = None,
    offices: int | None = None,
    client_request: str | None = None,
) -> Lead:
    """Store the qualification checklist answers (questions from the admin's template) and counts."""
    require(by, lead, Action.EDIT)
    questions = qualification_questions()
    for question in answers:
        if question not in questions:
            raise ValidationError(_("“%(question)s” is not a qualification question.") % {"question": question})
    lead.qualification = [{"question": q, "answer": str(answers.get(q, "")).strip()} for q in questions]
    counts = {"computers": computers, "servers": servers, "offices": offices}
    for name, value in counts.items():
        if value is None:
            continue
        if not isinstance(value, int) or value < 0:
            raise ValidationError({name: _("Enter a whole number, zero or more.")})
        setattr(lead, name, value)
    if client_request is not None:
        lead.client_request = client_request
    lead.save()
    activity.record(target=lead, verb=Activity.Verb.UPDATED, by=by, data={"fields": ["qualification"]})
    return lead


def lead_convert(*, lead: Lead, by) -> Deal:
    """Move the lead to «Целевой клиент»: the pipeline's robot creates the contact, company and deal."""
    workflow.move(lead, LeadStage.QUALIFIED, by=by)
    return lead.deals.order_by("-pk").first()
