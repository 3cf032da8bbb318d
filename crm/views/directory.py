"""Companies and contacts: lists with search and filters, cards, forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from admin24.access import Action, Level, can, filter_queryset, level_for, reference, require
from admin24.boards.counts import CappedPaginator
from admin24.form_errors import add_errors
from admin24.history import history
from admin24.normalize import normalize_phone

from ..forms.directory import CompanyForm, ContactForm
from ..models import Company, Contact, ContactEmail, ContactPhone, Deal, Lead
from ..services.directory import company_create, company_update, contact_create, contact_update
from .common import readable_or_404

PER_PAGE = 50


def _may_create(user, model) -> bool:
    return level_for(user, model.access_entity, Action.EDIT) > Level.NONE


def _list_context(request, queryset, *, search: Q | None):
    query = request.GET.get("q", "").strip()[:200]
    if query and search is not None:
        queryset = queryset.filter(search)
    if request.GET.get("mine"):
        queryset = queryset.filter(responsible=request.user)
    page = CappedPaginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"page": page, "q": query, "mine": bool(request.GET.get("mine")), "filter_query": params.urlencode()}


def _text_search(query: str, *fields: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": query})
    return condition


@login_required
def company_list(request):
    query = request.GET.get("q", "").strip()[:200]
    queryset = filter_queryset(request.user, Company.objects.select_related("responsible"), Action.READ)
    search = _text_search(query, "name", "inn", "emails", "phones", "address") if query else None
    context = _list_context(request, queryset, search=search)
    context["may_create"] = _may_create(request.user, Company)
    return render(request, "crm/companies/list.html", context)


@login_required
def company_detail(request, pk: int):
    company = readable_or_404(request.user, Company.objects.select_related("responsible"), pk)
    user = request.user
    contacts = filter_queryset(user, company.contacts.prefetch_related("emails", "phones"), Action.READ)
    leads = filter_queryset(user, company.leads.select_related("responsible"), Action.READ)
    deals = filter_queryset(user, Deal.objects.filter(company=company).select_related("responsible"), Action.READ)
    context = {
        "company": company,
        "can_edit": can(user, company, Action.EDIT),
        "contacts": list(contacts[:200]),
        "leads": list(leads.order_by("-created_at")[:200]),
        "deals": list(deals.order_by("-created_at")[:200]),
        "timeline": history(company),
    }
    return render(request, "crm/companies/detail.html", context)


def _save(request, form, *, create, update, obj, detail: str, extra=None):
    if request.method == "POST" and form.is_valid():
        try:
            fields = {**form.service_fields(), **(extra(form) if extra else {})}
            saved = create(by=request.user, **fields) if obj is None else update(by=request.user, **fields)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(detail, pk=saved.pk)
    return None


def _card_to_edit(request, model, pk: int | None):
    """The card to edit (404 if unreadable, 403 if not editable) and a copy for the form to validate.

    The form validates the copy: the service must see the card as stored to check the rights on it.
    With no pk, a new card: the user must be allowed to create one.
    """
    if pk is None:
        if not _may_create(request.user, model):
            raise PermissionDenied
        return None, None
    card = readable_or_404(request.user, model.objects.all(), pk)
    require(request.user, card, Action.EDIT)
    return card, model.objects.get(pk=card.pk)


@login_required
def company_form(request, pk: int | None = None):
    company, copy = _card_to_edit(request, Company, pk)
    form = CompanyForm(request.POST or None, instance=copy, initial=None if company else {"responsible": request.user})
    saved = _save(
        request,
        form,
        create=company_create,
        update=lambda **kw: company_update(company=company, **kw),
        obj=company,
        detail="crm:company-detail",
    )
    if saved:
        return saved
    back = reverse("crm:company-detail", args=[pk]) if pk else reverse("crm:company-list")
    title = company.name if company else _("New company")
    return render(request, "crm/form.html", {"form": form, "title": title, "back_url": back})


@login_required
def contact_list(request):
    query = request.GET.get("q", "").strip()[:200]
    queryset = filter_queryset(
        request.user,
        Contact.objects.select_related("company", "responsible").prefetch_related("emails", "phones"),
        Action.READ,
    )
    search = None
    if query:
        search = _text_search(query, "full_name", "position", "company__name", "emails__email_normalized")
        if normalize_phone(query):
            search |= Q(phones__phone_normalized=normalize_phone(query))
        # A search across emails joins many rows per contact: keep each contact once.
        queryset = queryset.filter(pk__in=Contact.objects.filter(search).values("pk"))
        search = None
    context = _list_context(request, queryset, search=search)
    context["may_create"] = _may_create(request.user, Contact)
    return render(request, "crm/contacts/list.html", context)


@login_required
def contact_detail(request, pk: int):
    queryset = Contact.objects.select_related("company", "responsible", "duplicate_of__responsible").prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("position", "pk")),
        Prefetch("phones", queryset=ContactPhone.objects.order_by("position", "pk")),
    )
    contact = readable_or_404(request.user, queryset, pk)
    user = request.user
    leads = filter_queryset(user, Lead.objects.filter(contact=contact).select_related("responsible"), Action.READ)
    deals = filter_queryset(user, Deal.objects.filter(contact=contact).select_related("responsible"), Action.READ)
    context = {
        "contact": contact,
        "duplicate": reference(user, contact.duplicate_of),
        "can_edit": can(user, contact, Action.EDIT),
        "leads": list(leads.order_by("-created_at")[:200]),
        "deals": list(deals.order_by("-created_at")[:200]),
        "timeline": history(contact),
    }
    return render(request, "crm/contacts/detail.html", context)


@login_required
def contact_form(request, pk: int | None = None):
    contact, copy = _card_to_edit(request, Contact, pk)
    form = ContactForm(
        request.POST or None,
        instance=copy,
        user=request.user,
        initial=None if contact else {"responsible": request.user},
    )
    saved = _save(
        request,
        form,
        create=contact_create,
        update=lambda **kw: contact_update(contact=contact, **kw),
        obj=contact,
        detail="crm:contact-detail",
        extra=lambda f: {"emails": f.cleaned_data["email_lines"], "phones": f.cleaned_data["phone_lines"]},
    )
    if saved:
        return saved
    back = reverse("crm:contact-detail", args=[pk]) if pk else reverse("crm:contact-list")
    title = contact.full_name if contact else _("New contact")
    return render(request, "crm/form.html", {"form": form, "title": title, "back_url": back})
