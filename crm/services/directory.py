"""Companies and contacts: create, update, look up by email/phone whatever their format."""

import functools
from collections.abc import Iterable
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet
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
    for values, stored, model, name in ((emails, contact.emails, ContactEmail, "email"),
                                        (phones, contact.phones, ContactPhone, "phone")):  # fmt: skip
        if values is None:
            continue
        stored.all().delete()
        for position, value in enumerate(v.strip() for v in values if v and v.strip()):
            row = model(contact=contact, position=position, **{name: value})
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


def clients_link(clients: list[Client], *, log: list[dict]) -> list[tuple[Contact | None, Company | None]]:
    """Each client's contact and company (SPEC §1): the oldest contact with the email (and its
    company), else a new contact — with its company found by name or created — flagged as a
    possible duplicate of the oldest contact sharing its phone. The same as one client after
    another: a client twice in the list is created once, and a contact created earlier in the
    list counts as older. None for a client without an email.

    One read for all the clients (``_look_up``), which also takes the new rows' ids; the INSERTs
    go through ``bulk.insert_rows``, so that a caller's ``bulk.one_statement`` sends them with its
    own writes. The timeline entries (the contacts', the companies') are added to ``log`` for the
    caller to write with its own.
    """
    keys = [normalize_email(client.email) if client.email else "" for client in clients]
    first: dict[str, Client] = {}  # a client twice in the list: its first time counts
    for key, client in zip(keys, clients, strict=True):
        if key:
            first.setdefault(key, client)
    if not first:
        return [(None, None)] * len(keys)
    known = _look_up(first)
    new = {key: client for key, client in first.items() if key not in known.contacts}
    if new:
        _create_contacts(new, known, log)
    found = known.contacts
    return [(found[key], found[key].company) if key else (None, None) for key in keys]


class _Known(NamedTuple):
    """What ``_look_up`` found for the clients, by email key, company name key and phone."""

    contacts: dict[str, Contact]  # the oldest with the email, and its company (new ones join)
    companies: dict[str, Company]  # the oldest with the name, for a new client's company (new ones join)
    older: dict[str, int]  # the oldest contact with the phone, for a new client's phone
    contact_ids: dict[str, int]  # an id for each email no contact has
    company_ids: dict[str, int]  # an id for each company name of those no company has


def _wants(first: dict[str, Client]) -> tuple[list[str], list[str], list[str]]:
    """The email keys, and each one's company name key and phone ("" when none), in one order."""
    company_keys = [
        company_name_key(client.company.strip()) if client.company.strip() else "" for client in first.values()
    ]
    phones = [normalize_phone(client.phone) or "" for client in first.values()]
    return list(first), company_keys, phones


# One round trip for everything a batch of clients needs read: the contacts with their emails and
# those contacts' companies; for the emails nobody has, the companies by name, the phones' oldest
# owners and the ids of the contacts and companies to create (taken from their sequences, so that
# the INSERTs need not return them and can wait for the caller's one statement). An id taken and
# not used (the transaction rolls back) is a gap, as after any failed INSERT. The tables and
# columns are named by ``_look_up_sql`` as the models name them.
_LOOK_UP = """
WITH client AS (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]) AS c(key, company_key, phone)),
found AS (
    SELECT {email_key} AS key, MIN({email_contact}) AS id FROM {email}
    WHERE {email_key} IN (SELECT key FROM client) GROUP BY {email_key}
),
new AS (SELECT * FROM client WHERE key NOT IN (SELECT key FROM found)),
named AS (
    SELECT {company_key} AS name_key, MIN({company_id}) AS id FROM {company}
    WHERE {company_key} IN (SELECT company_key FROM new) GROUP BY {company_key}
)
SELECT 'contact', found.key, found.id, contact.{contact_company}, company.{company_name}
FROM found JOIN {contact} contact ON contact.{contact_id} = found.id
LEFT JOIN {company} company ON company.{company_id} = contact.{contact_company}
UNION ALL SELECT 'company', name_key, id, NULL, NULL FROM named
UNION ALL
SELECT 'older', {phone_key}, MIN({phone_contact}), NULL, NULL FROM {phone}
WHERE {phone_key} IN (SELECT phone FROM new WHERE phone <> '') GROUP BY {phone_key}
UNION ALL
SELECT 'new contact', key, nextval(pg_get_serial_sequence('{contact}', '{contact_id_name}')), NULL, NULL FROM new
UNION ALL
SELECT 'new company', company_key, nextval(pg_get_serial_sequence('{company}', '{company_id_name}')), NULL, NULL
FROM (SELECT DISTINCT company_key FROM new
      WHERE company_key <> '' AND company_key NOT IN (SELECT name_key FROM named)) missing
"""


@functools.cache
def _look_up_sql() -> str:
    """``_LOOK_UP`` naming the tables and columns from the models' ``_meta``: a renamed table or
    column is renamed here too, rather than failing at the first ticket after the migration."""
    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    return _LOOK_UP.format(
        email=quote(ContactEmail._meta.db_table),
        email_key=column(ContactEmail, "email_normalized"),
        email_contact=column(ContactEmail, "contact"),
        phone=quote(ContactPhone._meta.db_table),
        phone_key=column(ContactPhone, "phone_normalized"),
        phone_contact=column(ContactPhone, "contact"),
        contact=quote(Contact._meta.db_table),
        contact_id=column(Contact, "id"),
        contact_id_name=Contact._meta.pk.column,
        contact_company=column(Contact, "company"),
        company=quote(Company._meta.db_table),
        company_id=column(Company, "id"),
        company_id_name=Company._meta.pk.column,
        company_key=column(Company, "name_key"),
        company_name=column(Company, "name"),
    )


def _look_up(first: dict[str, Client]) -> _Known:
    """``_Known`` for the clients of ``first`` (email key → client): on PostgreSQL one query
    (``_LOOK_UP``), elsewhere one per kind. Found rows carry only what the follow-up uses (the
    rest of their fields load when read)."""
    keys, company_keys, phones = _wants(first)
    if connection.vendor != "postgresql":
        return _look_up_apart(keys, company_keys, phones)
    known = _Known({}, {}, {}, {}, {})
    with connection.cursor() as cursor:
        cursor.execute(_look_up_sql(), [keys, company_keys, phones])
        rows = cursor.fetchall()
    for kind, key, pk, company_id, company_name in rows:
        if kind == "contact":
            contact = Contact.from_db(connection.alias, ["id", "company_id"], [pk, company_id])
            if company_id is not None:
                contact.company = Company.from_db(connection.alias, ["id", "name"], [company_id, company_name])
            known.contacts[key] = contact
        elif kind == "company":
            known.companies[key] = Company.from_db(connection.alias, ["id", "name_key"], [pk, key])
        elif kind == "older":
            known.older[key] = pk
        elif kind == "new contact":
            known.contact_ids[key] = pk
        else:
            known.company_ids[key] = pk
    return known


def _look_up_apart(keys: list[str], company_keys: list[str], phones: list[str]) -> _Known:
    """``_look_up`` without PostgreSQL (SQLite in development): a query per kind, ids from ``bulk.next_ids``."""
    firsts = dict(
        ContactEmail.objects.filter(email_normalized__in=keys)
        .values("email_normalized").annotate(first=Min("contact_id")).values_list("email_normalized", "first")
    )  # fmt: skip
    by_pk = Contact.objects.select_related("company").in_bulk(firsts.values())
    contacts = {key: by_pk[pk] for key, pk in firsts.items()}
    new = [(company_key, phone) for key, company_key, phone in zip(keys, company_keys, phones, strict=True)
           if key not in contacts]  # fmt: skip
    companies = {company.name_key: company for company in Company.objects.filter(
        pk__in=Company.objects.filter(name_key__in={c for c, _p in new if c}).values("name_key").annotate(
            first=Min("id")).values("first"))}  # fmt: skip
    older = dict(
        ContactPhone.objects.filter(phone_normalized__in={p for _c, p in new if p})
        .values("phone_normalized").annotate(first=Min("contact_id")).values_list("phone_normalized", "first")
    )  # fmt: skip
    new_keys = [key for key in keys if key not in contacts]
    missing = list(dict.fromkeys(c for c, _p in new if c and c not in companies))
    return _Known(
        contacts,
        companies,
        older,
        dict(zip(new_keys, bulk.next_ids(Contact, len(new_keys)), strict=True)),
        dict(zip(missing, bulk.next_ids(Company, len(missing)), strict=True)),
    )


def _create_contacts(new: dict[str, Client], known: _Known, log: list[dict]) -> None:
    """Create the contacts of ``new`` (email key → client) into ``known.contacts``, with their
    companies, under the ids ``known`` holds for them."""
    companies, created = known.companies, []
    for client in new.values():
        name = client.company.strip()
        if name and company_name_key(name) not in companies:
            company = Company(pk=known.company_ids[company_name_key(name)], name=name[:300])
            company.prepare_insert()  # what save() derives; bulk_create does not call it
            company.full_clean(exclude=["id"])  # new from the sequence: no row has it
            companies[company.name_key] = company
            created.append(company)
    contacts, emails, phones = [], [], []
    first_in_list: dict[str, int] = {}  # a phone first seen in this list: the contacts after the first are duplicates
    for key, client in new.items():
        company = client.company.strip()
        contact = Contact(
            pk=known.contact_ids[key],
            full_name=(client.name or client.email).strip()[:300],
            company=companies[company_name_key(company)] if company else None,
        )
        # The id is new from the sequence, the company was just found or made.
        contact.full_clean(exclude=["id", "duplicate_of", "company"])
        contacts.append(contact)
        # These INSERTs do not call save(): prepare_insert() derives what save() would.
        email = ContactEmail(contact=contact, email=client.email.strip(), position=0)
        email.prepare_insert()
        email.full_clean(exclude=["contact"])
        emails.append(email)
        if normalize_phone(client.phone):
            phone = ContactPhone(contact=contact, phone=client.phone.strip(), position=0)
            phone.prepare_insert()
            phone.full_clean(exclude=["contact"])
            phones.append(phone)
            # An email cannot match (a contact with it would have been found), a phone can: the
            # oldest contact already there with it, else one created before in this list.
            first = first_in_list.setdefault(phone.phone_normalized, contact.pk)
            older = known.older.get(phone.phone_normalized)
            contact.duplicate_of_id = older or (first if first != contact.pk else None)
    bulk.insert_rows(created)
    bulk.insert_rows(contacts)
    bulk.insert_rows(emails)
    bulk.insert_rows(phones)
    log.extend(activity.build(target=company, verb=Activity.Verb.CREATED) for company in created)
    for key, contact in zip(new, contacts, strict=True):
        known.contacts[key] = contact
        log.append(activity.build(target=contact, verb=Activity.Verb.CREATED))
        if contact.duplicate_of_id is not None:
            log.append(
                activity.build(
                    target=contact, verb=Activity.Verb.DUPLICATE_FOUND, data={"contact": contact.duplicate_of_id}
                )
            )


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
