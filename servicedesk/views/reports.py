"""The Service Desk report page and its CSV exports (issue 16)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from admin24.access import Action, Level, level_for

from ..models import Ticket
from ..reports.tickets import DeskReportForm, desk_report


@login_required
@require_GET
def desk_report_page(request):
    if level_for(request.user, Ticket.access_entity, Action.READ) == Level.NONE:
        raise PermissionDenied
    form = DeskReportForm(request.GET or None)
    wanted = request.GET.get("csv")
    report = desk_report(request.user, form, whole=bool(wanted))
    if wanted:
        return report.csv_response(wanted)
    return render(
        request, "servicedesk/reports/desk.html", {"form": form, "report": report, "csv_query": form.querystring()}
    )
