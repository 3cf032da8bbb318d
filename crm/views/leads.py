from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admin24.access import Action, Level, can, filter_queryset, level_for, reference, require
from admin24.form_errors import add_errors
from admin24.history import history
from admin24.workflow import DomainError, allowed_moves, move

from ..forms.leads import LeadForm, LeadMoveForm, QualificationForm
from ..models import Lead, LeadStage
from ..pipelines.leads import PIPELINE
from ..services.leads import (
    lead_convert,
    lead_create,
    lead_mark_duplicate_of,
    lead_qualify,
    lead_update,
    qualification_questions,
)
from .common import readable_or_404


def _lead(request, pk: int) -> Lead:
    queryset = Lead.objects.select_related(
        "responsible",
        "company",
        "contact",
        "duplicate_of__responsible",
        "duplicate_contact__responsible",
        "created_by",
    )
    return readable_or_404(request.user, queryset, pk)


@login_required
def lead_detail(request, pk: int):
    lead = _lead(request, pk)
    questions = qualification_questions()
    moves = [PIPELINE.stage(slug) for slug in allowed_moves(lead, request.user)]
    context = {
        "lead": lead,
        "stage": PIPELINE.stage(lead.stage),
        "moves": [stage for stage in moves if stage.slug != LeadStage.QUALIFIED],
        "can_convert": any(stage.slug == LeadStage.QUALIFIED for stage in moves),
        "can_link_duplicate": not lead.is_possible_duplicate
        and any(stage.slug == LeadStage.DUPLICATE for stage in moves),
        "can_edit": can(request.user, lead, Action.EDIT),
        # Another's lead or contact is named only to those who may read it (issue 12 §7).
        "duplicate_lead": reference(request.user, lead.duplicate_of),
        "duplicate_contact": reference(request.user, lead.duplicate_contact),
        "qualification": QualificationForm.for_lead(lead, questions, editable=can(request.user, lead, Action.EDIT)),
        "tasks": lead.tasks.select_related("responsible").order_by("status", "deadline", "pk"),
        "deals": lead.deals.select_related("responsible").order_by("-pk"),
        "timeline": history(lead),
    }
    return render(request, "crm/leads/detail.html", context)


@login_required
def lead_create_view(request):
    if level_for(request.user, Lead.access_entity, Action.EDIT) == Level.NONE:
        raise PermissionDenied
    form = LeadForm(request.POST or None, initial={"responsible": None})
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_create(by=request.user, source=form.cleaned_data["source"], **form.service_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The lead is created."))
            return redirect("crm:lead-detail", pk=lead.pk)
    return render(
        request, "crm/form.html", {"form": form, "title": _("New lead"), "back_url": reverse("crm:leads_board")}
    )


@login_required
def lead_edit(request, pk: int):
    lead = _lead(request, pk)
    require(request.user, lead, Action.EDIT)
    form = LeadForm(request.POST or None, instance=Lead.objects.get(pk=lead.pk))
    if request.method == "POST" and form.is_valid():
        try:
            lead_update(lead=lead, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The lead is saved."))
            return redirect("crm:lead-detail", pk=lead.pk)
    return render(
        request,
        "crm/form.html",
        {"form": form, "title": lead.title, "back_url": reverse("crm:lead-detail", args=[lead.pk])},
    )


@login_required
@require_POST
def lead_move(request, pk: int):
    lead = _lead(request, pk)
    require(request.user, lead, Action.EDIT)
    form = LeadMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the stage to move the lead to."))
        return redirect("crm:lead-detail", pk=lead.pk)
    if form.cleaned_data["to"] == LeadStage.QUALIFIED:
        _convert(request, lead)
        return redirect("crm:lead-detail", pk=lead.pk)
    try:
        move(lead, form.cleaned_data["to"], by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The lead is in «%(stage)s».") % {"stage": PIPELINE.label_of(lead.stage)})
    return redirect("crm:lead-detail", pk=lead.pk)


def _convert(request, lead: Lead) -> None:
    try:
        deal = lead_convert(lead=lead, by=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The lead is converted: the deal “%(title)s” is created.") % {"title": deal})


@login_required
@require_POST
def lead_qualification(request, pk: int):
    lead = _lead(request, pk)
    require(request.user, lead, Action.EDIT)
    form = QualificationForm(request.POST, questions=qualification_questions())
    if form.is_valid():
        data = form.cleaned_data
        try:
            lead_qualify(
                lead=lead,
                by=request.user,
                answers=form.answers(),
                computers=data["computers"],
                servers=data["servers"],
                offices=data["offices"],
                client_request=data["client_request"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if request.POST.get("convert"):
                # «Конвертировать» submits the answers typed so far with it: they are kept, then
                # the lead is converted with them (a refused conversion keeps them too).
                _convert(request, lead)
            else:
                messages.success(request, _("The qualification is saved."))
    else:
        messages.error(request, _("The qualification is not saved: %(errors)s") % {"errors": _errors(form)})
    return redirect("crm:lead-detail", pk=lead.pk)


def _errors(form) -> str:
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errs)}".strip(": ")
        for name, errs in form.errors.items()
    )


@login_required
@require_POST
def lead_duplicate_link(request, pk: int):
    """Link the lead to the one it duplicates, so that it can be closed as a duplicate."""
    lead = _lead(request, pk)
    require(request.user, lead, Action.EDIT)
    try:
        original_pk = int(request.POST.get("original", ""))
    except ValueError:
        original_pk = None
    original = filter_queryset(request.user, Lead.objects.all(), Action.READ).filter(pk=original_pk).first()
    if original is None:
        messages.error(request, _("There is no lead with this number that you can see."))
        return redirect("crm:lead-detail", pk=lead.pk)
    try:
        lead_mark_duplicate_of(lead=lead, by=request.user, original=original)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The lead is linked to “%(title)s”.") % {"title": original.title})
    return redirect("crm:lead-detail", pk=lead.pk)
