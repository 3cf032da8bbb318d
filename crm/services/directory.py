"""Companies and contacts: create, update, look up by email/phone whatever their format."""

from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils.translation import gettext as _

from admin24 import activity, bulk
from admin24.access import Action, Level, level_for, require
from admin24.models import Activity
from admin24.normalize import normalize_email, normalize_phone

from ..models import Company, Contact, ContactEmail, ContactPhone
from ..models.directory import company_name_key

COMPANY_FIELDS = {"name", "inn", "kpp", "address", "phones", "emails", "website", "responsible", "notes"}
CONTACT_FIELDS = {"full_name", "position", "company", "telegram", "responsible", "notes"}


def find_contacts(*, email: str | None = None, phone: str | None = None) -> QuerySet[Contact]:
    """Contacts having this email (any case) or this phone (any format), oldest first."""
    condition = Q()
    if normalize_email(email):
        condition |= Q(emails__email_normalized=normalize_email(email))
    if normalize_phone(phone):
        condition |= Q(phones__phone_normalized=normalize_phone(phone))
    if not condition:
        return Contact.objects.none()
    ids = Contact.objects.filter(condition).values("pk")
    return Contact.objects.filter(pk__in=ids).order_by("pk")


def find_company(*, inn: str = "", name: str = "") -> Company | None:
    """The company with this INN, else the one with this name in any case; the oldest if several."""
    inn, name = (inn or "").strip(), (name or "").strip()
    if inn:
        found = Company.objects.filter(inn=inn).order_by("pk").first()
        if found is not None:
            return found
    if name:
        return Company.objects.filter(name_key=company_name_key(name)).order_by("pk").first()
    return None


def company_for_email(email: str | None) -> Company | None:
    """The company of the oldest contact with exactly this email (any case) that has one.

    Exact only, never a part of the address: the public ticket form offers the company to whoever
    types the email.
    """
    contact = find_contacts(email=email).filter(company__isnull=False).select_related("company").first()
    return contact.company if contact is not None else None


def _ensure_can_create(by, entity: str) -> None:
    if by is not None and level_for(by, entity, Action.EDIT) == Level.NONE:
        raise PermissionDenied(_("You may not create this kind of card."))


def _check_fields(fields: dict, allowed: set[str], function: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{function}() got unexpected fields: {', '.join(sorted(unknown))}")


@transaction.atomic
def company_create(*, by, name: str, **fields) -> Company:
    _check_fields(fields, COMPANY_FIELDS, "company_create")
    _ensure_can_create(by, Company.access_entity)
    fields.setdefault("responsible", by)
    company = Company(name=name, **fields)
    company.full_clean()
    company.save()
    activity.record(target=company, verb=Activity.Verb.CREATED, by=by)
    return company


@transaction.atomic
def company_update(*, company: Company, by, **fields) -> Company:
    _check_fields(fields, COMPANY_FIELDS, "company_update")
    require(by, company, Action.EDIT)
    for name, value in fields.items():
        setattr(company, name, value)
    company.full_clean()
    company.save()
    activity.record(target=company, verb=Activity.Verb.UPDATED, by=by, data={"fields": sorted(fields)})
    return company


def _set_channels(contact: Contact, *, emails: Iterable[str] | None, phones: Iterable[str] | None) -> None:
    """Replace the contact's emails/phones with these, in this order (None leaves them alone)."""
    if emails is not None:
        contact.emails.all().delete()
        for position, email in enumerate(e.strip() for e in emails if e and e.strip()):
            row = ContactEmail(contact=contact, email=email, position=position)
            row.full_clean(exclude=["contact"])
            row.save()
    if phones is not None:
        contact.phones.all().delete()
        for position, phone in enumerate(p.strip() for p in phones if p and p.strip()):
            row = ContactPhone(contact=contact, phone=phone, position=position)
            row.full_clean(exclude=["contact"])
            row.save()


def _flag_duplicate(contact: Contact) -> None:
    emails = list(contact.emails.values_list("email", flat=True))
    phones = list(contact.phones.values_list("phone", flat=True))
    others = Contact.objects.none()
    for email in emails:
        others |= find_contacts(email=email)
    for phone in phones:
        others |= find_contacts(phone=phone)
    match = others.exclude(pk=contact.pk).order_by("pk").first()
    if match is not None and contact.duplicate_of_id != match.pk:
        contact.duplicate_of = match
        contact.save(update_fields=["duplicate_of"])
        activity.record(target=contact, verb=Activity.Verb.DUPLICATE_FOUND, data={"contact": match.pk})


class Client(NamedTuple):
    """Who a client says they are (a ticket's fields), for ``clients_link``."""

    name: str
    email: str
    phone: str
    company: str


def clients_link(clients: list[Client], *, log: list[Activity]) -> list[tuple[Contact | None, Company | None]]:
    """Each client's contact and company (SPEC §1): the oldest contact with the email (and its
    company), else a new contact — with its company found by name or created — flagged as a
    possible duplicate of the oldest contact sharing its phone. The same as one client after
    another: a client twice in the list is created once, and a contact created earlier in the
    list counts as older. None for a client without an email.

    One statement per step for all the clients; the timeline entries (the contacts', the
    companies') are added to ``log`` for the caller to write with its own.
    """
    keys = [normalize_email(client.email) if client.email else "" for client in clients]
    found: dict[str, Contact] = {}
    if any(keys):
        matched = Contact.objects.filter(emails__email_normalized__in={key for key in keys if key})
        for contact in matched.select_related("company").annotate(key=F("emails__email_normalized")).order_by("pk"):
            found.setdefault(contact.key, contact)
    # One new contact per email not found, made from its first client in the list.
    new: dict[str, Client] = {}
    for key, client in zip(keys, clients, strict=True):
        if key and key not in found:
            new.setdefault(key, client)
    if new:
        _create_contacts(new, found, log)
    return [
        (found[key], found[key].company) if key else (None, None) for key in keys
    ]  # a new contact's company is the one it was created with


def _create_contacts(new: dict[str, Client], found: dict[str, Contact], log: list[Activity]) -> None:
    """Create the contacts of ``new`` (email key → client) into ``found``, with their companies."""
    companies = _companies_for([client.company.strip() for client in new.values() if client.company.strip()], log)
    contacts, emails, phones = [], [], []
    for client in new.values():
        company = client.company.strip()
        contact = Contact(
            full_name=(client.name or client.email).strip()[:300],
            company=companies.get(company_name_key(company)) if company else None,
        )
        contact.full_clean(exclude=["duplicate_of", "company"])  # the company was just found or made
        contacts.append(contact)
        # bulk_create does not call save(): prepare_insert() derives what save() would.
        email = ContactEmail(contact=contact, email=client.email.strip(), position=0)
        email.prepare_insert()
        email.full_clean(exclude=["contact"])
        emails.append(email)
        if normalize_phone(client.phone):
            phone = ContactPhone(contact=contact, phone=client.phone.strip(), position=0)
            phone.prepare_insert()
            phone.full_clean(exclude=["contact"])
            phones.append(phone)
    # Possible duplicates: an email cannot match (a contact with it would have been found), a phone
    # can. The oldest contact already there with the phone, else one created before in this list.
    older = dict(
        ContactPhone.objects.filter(phone_normalized__in={p.phone_normalized for p in phones})
        .values("phone_normalized")
        .annotate(first=Min("contact_id"))
        .values_list("phone_normalized", "first")
    ) if phones else {}  # fmt: skip
    for phone in phones:
        phone.contact.duplicate_of_id = older.get(phone.phone_normalized)
    Contact.objects.bulk_create(contacts)
    # Nobody reads these back: a caller's ``bulk.one_statement`` may send them with its own writes.
    bulk.insert_rows(emails)
    bulk.insert_rows(phones)
    # A phone first seen in this list: the contacts after the first with it are its duplicates.
    first_in_list: dict[str, int] = {}
    later = []
    for phone in phones:
        first = first_in_list.setdefault(phone.phone_normalized, phone.contact_id)
        if phone.contact.duplicate_of_id is None and first != phone.contact_id:
            phone.contact.duplicate_of_id = first
            later.append(phone.contact)
    if later:
        Contact.objects.bulk_update(later, ["duplicate_of"])
    for key, contact in zip(new, contacts, strict=True):
        found[key] = contact
        log.append(activity.build(target=contact, verb=Activity.Verb.CREATED))
        if contact.duplicate_of_id is not None:
            log.append(
                activity.build(
                    target=contact, verb=Activity.Verb.DUPLICATE_FOUND, data={"contact": contact.duplicate_of_id}
                )
            )


def _companies_for(names: list[str], log: list[Activity]) -> dict[str, Company]:
    """The company of each name by ``name_key`` (the oldest when several), created as first written when missing."""
    if not names:
        return {}
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(company_name_key(name), name)
    companies: dict[str, Company] = {}
    for company in Company.objects.filter(name_key__in=wanted).order_by("pk"):
        companies.setdefault(company.name_key, company)
    missing = []
    for key, name in wanted.items():
        if key not in companies:
            company = Company(name=name[:300])
            company.prepare_insert()  # what save() derives; bulk_create does not call it
            company.full_clean()
            companies[key] = company
            missing.append(company)
    Company.objects.bulk_create(missing)
    log.extend(activity.build(target=company, verb=Activity.Verb.CREATED) for company in missing)
    return companies


@transaction.atomic
def contact_create(*, by, full_name: str, emails: Iterable[str] = (), phones: Iterable[str] = (), **fields) -> Contact:
    """A new contact. One sharing an email or phone with another is flagged as a possible duplicate."""
    _check_fields(fields, CONTACT_FIELDS, "contact_create")
    _ensure_can_create(by, Contact.access_entity)
    fields.setdefault("responsible", by)
    contact = Contact(full_name=full_name, **fields)
    contact.full_clean(exclude=["duplicate_of"])
    contact.save()
    _set_channels(contact, emails=list(emails), phones=list(phones))
    activity.record(target=contact, verb=Activity.Verb.CREATED, by=by)
    _flag_duplicate(contact)
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, by, emails: Iterable[str] | None = None, phones: Iterable[str] | None = None, **fields
) -> Contact:
    _check_fields(fields, CONTACT_FIELDS, "contact_update")
    require(by, contact, Action.EDIT)
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean(exclude=["duplicate_of"])
    contact.save()
    _set_channels(
        contact,
        emails=None if emails is None else list(emails),
        phones=None if phones is None else list(phones),
    )
    changed = sorted(
        {*fields, *(["emails"] if emails is not None else []), *(["phones"] if phones is not None else [])}
    )
    activity.record(target=contact, verb=Activity.Verb.UPDATED, by=by, data={"fields": changed})
    _flag_duplicate(contact)
    return contact
