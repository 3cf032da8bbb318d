import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from admin24.access import Action, can, require
from admin24.downloads import protected_download
from admin24.form_errors import add_errors
from admin24.history import history
from admin24.workflow import DomainError, allowed_moves, move

from ..boards import DealBoard
from ..forms.deals import DealForm, DealMoveForm
from ..models import Deal, DealPipeline, LostReason
from ..models.deals import CONTRACT_ACTIVE
from ..services.deals import DOCUMENT_FIELDS, deal_save_card, deal_settable_fields, require_settable
from .common import readable_or_404


def _deal(request, pk: int) -> Deal:
    queryset = Deal.objects.select_related(
        "responsible", "company", "contact", "source_lead", "renews", "contract", "lost_reason"
    )
    return readable_or_404(request.user, queryset, pk)


def _collapsed_before(deal: Deal):
    """Sections of stages the deal has not reached yet start collapsed."""
    if deal.pipeline != DealPipeline.CONTRACT:
        return lambda stage: False
    current = deal.suspended_from or deal.stage
    if current not in CONTRACT_ACTIVE:
        return lambda stage: False
    reached = CONTRACT_ACTIVE.index(current)
    return lambda stage: CONTRACT_ACTIVE.index(stage) > reached


def _card(request, deal: Deal, form: DealForm | None = None):
    pipeline = DealBoard.pipeline_of(deal)
    may_edit = can(request.user, deal, Action.EDIT)
    settable = deal_settable_fields(request.user, deal)
    form = form or DealForm(instance=Deal.objects.get(pk=deal.pk), user=request.user, settable=settable)
    context = {
        "deal": deal,
        "pipeline": pipeline,
        "stage": pipeline.stage(deal.stage),
        "moves": [pipeline.stage(slug) for slug in allowed_moves(deal, request.user, may_edit=may_edit)],
        "can_edit": may_edit,
        "can_fill": bool(settable),
        "sections": form.sections(collapsed_before=_collapsed_before(deal)),
        "form": form,
        "lost_reasons": LostReason.objects.filter(active=True),
        "tasks": deal.tasks.select_related("responsible").order_by("status", "deadline", "pk"),
        "timeline": history(deal),
        "board_url": ("crm:regular_deals_board" if deal.pipeline == DealPipeline.REGULAR else "crm:deals_board"),
    }
    return render(request, "crm/deals/detail.html", context)


@login_required
def deal_detail(request, pk: int):
    return _card(request, _deal(request, pk))


@login_required
@require_POST
def deal_save(request, pk: int):
    deal = _deal(request, pk)
    settable = deal_settable_fields(request.user, deal)
    require_settable(request.user, deal)
    form = DealForm(
        request.POST, request.FILES, instance=Deal.objects.get(pk=deal.pk), user=request.user, settable=settable
    )
    if not form.is_valid():
        messages.error(request, _("The deal is not saved: check the fields marked below."))
        return _card(request, deal, form)
    try:
        deal_save_card(deal=deal, by=request.user, fields=form.service_fields(), files=form.uploads())
    except ValidationError as error:
        add_errors(form, error)
        messages.error(request, _("The deal is not saved: %(errors)s") % {"errors": " ".join(error.messages)})
        return _card(request, deal, form)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The deal is saved."))
    return redirect("crm:deal-detail", pk=deal.pk)


@login_required
@require_POST
def deal_move(request, pk: int):
    deal = _deal(request, pk)
    require(request.user, deal, Action.EDIT)
    form = DealMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the stage to move the deal to."))
        return redirect("crm:deal-detail", pk=deal.pk)
    try:
        move(deal, form.cleaned_data["to"], by=request.user, reason=form.reason_text())
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("The deal is in «%(stage)s».") % {"stage": DealBoard.pipeline_of(deal).label_of(deal.stage)}
        )
    return redirect("crm:deal-detail", pk=deal.pk)


@login_required
@require_GET
def deal_file(request, pk: int, kind: str):
    """A deal's document, for those who may read the deal (uploads are not public media)."""
    deal = readable_or_404(request.user, Deal.objects.all(), pk)
    field_file = getattr(deal, DOCUMENT_FIELDS.get(kind, ""), None)
    if not field_file:
        raise Http404
    return protected_download(field_file, filename=os.path.basename(field_file.name))
