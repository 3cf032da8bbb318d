"""Turning a qualified lead into a client: contact, company and a deal (SPEC §2)."""

from admin24 import activity, workflow
from admin24.models import Activity

from ..models import Company, Contact, Deal, DealPipeline, Lead
from ..models.deals import ContractStage
from ..texts import say
from .directory import company_create, contact_create, find_company, find_contacts


def _contact_for(lead: Lead, *, company: Company | None, by) -> Contact:
    existing = find_contacts(email=lead.email).first() or find_contacts(phone=lead.phone).first()
    if existing is not None:
        if existing.company_id is None and company is not None:
            existing.company = company
            existing.save(update_fields=["company", "updated_at"])
        return existing
    return contact_create(
        by=None,
        full_name=lead.contact_name or lead.company_name or lead.title,
        emails=[lead.email] if lead.email else [],
        phones=[lead.phone] if lead.phone else [],
        company=company,
        responsible=lead.responsible or by,
    )


def _company_for(lead: Lead, *, by) -> Company | None:
    company = find_company(inn=lead.company_inn, name=lead.company_name)
    if company is not None or not lead.company_name:
        return company
    return company_create(by=None, name=lead.company_name, inn=lead.company_inn, responsible=lead.responsible or by)


def convert_lead(lead: Lead, *, by) -> Deal:
    """Reuse or create the contact and company, create the deal at «Формирование КП», link them.

    Runs inside the move to «Целевой клиент», so a failure anywhere rolls all of it back.
    """
    company = _company_for(lead, by=by)
    contact = _contact_for(lead, company=company, by=by)
    if company is None and contact.company_id is not None:
        company = contact.company
    deal = Deal.objects.create(
        pipeline=DealPipeline.CONTRACT,
        stage=ContractStage.PROPOSAL,
        title=lead.title,
        company=company,
        contact=contact,
        responsible=lead.responsible or by,
        source_lead=lead,
        service_kind=lead.service_kind,
        computers=lead.computers,
        servers=lead.servers,
        offices=lead.offices,
        client_request=lead.client_request,
    )
    activity.record(target=deal, verb=Activity.Verb.CREATED, by=by, data={"lead": lead.pk})
    workflow.start(deal, by=by)
    lead.contact, lead.company = contact, company
    lead.save(update_fields=["contact", "company", "updated_at"])
    activity.record(
        target=lead,
        verb=Activity.Verb.CONVERTED,
        by=by,
        message=say("crm.lead.converted", deal=deal.title),
        data={"deal": deal.pk, "contact": contact.pk, "company": company.pk if company else None},
    )
    return deal
