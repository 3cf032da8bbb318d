"""The CRM report pages and their CSV exports (issue 16): leads, «Заключение договора», «Регулярные платежи»."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from admin24.access import Action, Level, level_for

from ..reports.common import CrmReportForm
from ..reports.deals import deal_report
from ..reports.leads import lead_report
from ..reports.regular import regular_report

PAGES = {
    "leads": ("lead", lead_report, _("Leads")),
    "deals": ("deal", deal_report, _("Contract signing")),
    "regular": ("deal", regular_report, _("Regular payments")),
}


@login_required
@require_GET
def report_page(request, page: str = "leads"):
    if page not in PAGES:
        raise Http404
    entity, build, title = PAGES[page]
    if level_for(request.user, entity, Action.READ) == Level.NONE:
        raise PermissionDenied
    form = CrmReportForm(request.GET or None)
    report = build(request.user, form)
    if wanted := request.GET.get("csv"):
        return report.csv_response(wanted)
    tabs = [
        (name, label, level_for(request.user, tab_entity, Action.READ) != Level.NONE)
        for name, (tab_entity, _build, label) in PAGES.items()
    ]
    context = {
        "form": form,
        "report": report,
        "csv_query": form.querystring(),
        "page": page,
        "title": title,
        "tabs": tabs,
    }
    return render(request, "crm/reports/report.html", context)
