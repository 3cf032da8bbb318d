"""Ticket files for staff: a download, only for those who may read the ticket."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from admin24.access import Action, can

from .models import Attachment
from .public_views import download


@login_required
@require_GET
def attachment_download(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("ticket", "comment"), pk=pk)
    if not can(request.user, attachment.ticket, Action.READ):
        # Not 403: a stranger learns nothing about which files exist.
        raise Http404
    return download(attachment)
