"""The public «request subscription support» form, standalone or embedded in a client's site."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from admin24.client_address import client_address
from admin24.company import identity
from admin24.csp import allow_framing
from admin24.form_errors import add_errors

from ..forms.common import bootstrap_widgets
from ..forms.public import PublicLeadForm, public_rate_limited
from ..services.leads import lead_create_from_public

# A field people never see; bots that fill every input fill it too.
HONEYPOT = "website"


def _form(data=None) -> PublicLeadForm:
    form = PublicLeadForm(data)
    bootstrap_widgets(form)
    return form


# Embedded in another site the page has no CSRF cookie to offer (third-party cookies are
# blocked), so the form relies on the honeypot and the per-IP rate limit instead.
@csrf_exempt
def lead_request(request):
    # Any site may show it: the code to embed it is handed out to be pasted anywhere, and the form
    # only ever makes a new lead.
    return allow_framing(_lead_request(request), ["*"])


def _lead_request(request):
    embedded = request.GET.get("embed") == "1"
    context = {"embedded": embedded, "honeypot": HONEYPOT, "company": identity()}
    if request.method != "POST":
        return render(request, "crm/public/lead_form.html", {**context, "form": _form()})
    if public_rate_limited(request):
        context["error"] = _("Too many requests from your address. Please try again in an hour.")
        return render(request, "crm/public/lead_form.html", {**context, "form": _form()}, status=429)
    if request.POST.get(HONEYPOT):
        return render(request, "crm/public/thanks.html", context)
    form = _form(request.POST)
    if form.is_valid():
        try:
            lead_create_from_public(data=form.cleaned_data, ip=client_address(request))
        except ValidationError as error:
            add_errors(form, error)
        else:
            return render(request, "crm/public/thanks.html", context)
    return render(request, "crm/public/lead_form.html", {**context, "form": form}, status=400)


@login_required
def lead_request_embed(request):
    """The form's link and the HTML code that embeds it in a client's site, both to copy."""
    url = settings.SITE_URL + reverse("crm:public-lead-form")
    snippet = (
        f'<iframe src="{url}?embed=1" title="{_("Request subscription support")}" '
        'style="width:100%;max-width:640px;height:900px;border:0" loading="lazy"></iframe>'
    )
    return render(request, "crm/public/embed.html", {"url": url, "snippet": snippet})
