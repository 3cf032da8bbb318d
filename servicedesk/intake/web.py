"""The web form and the public API: checks shared by both, then ``accept_ticket``."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ..models import DeskSettings, Ticket, TicketSource
from ..services import accept_ticket
from . import guards
from .forms import PublicTicketForm


def pre_checks(request, data) -> None:
    """What is refused before the form is even validated (raises ``guards.Refused``)."""
    guards.check_rate_ip(request)
    guards.check_honeypot(data.get("website"))
    guards.check_stamp(data.get("rendered"))


def submit(*, request, form: PublicTicketForm, source: str = TicketSource.FORM) -> Ticket:
    """A ticket from a valid form (raises ``guards.Refused`` when this email sends too much)."""
    guards.check_rate_email(request, form.cleaned_data["email"])
    return accept(form=form, source=source)


def accept(*, form: PublicTicketForm, source: str = TicketSource.FORM) -> Ticket:
    """A ticket from a valid form whose post was counted already (``guards.count_post``)."""
    data = form.cleaned_data
    return accept_ticket(
        service=data["service"],
        name=data["name"],
        email=data["email"],
        phone=data["phone"],
        company=data["company"],
        subject=data["subject"],
        description=data["description"],
        files=data["files"],
        source=source,
        desk=form.desk,
    )


def form_for(desk: DeskSettings, data=None, files=None) -> PublicTicketForm:
    return PublicTicketForm(data, files, desk=desk, initial={"rendered": guards.render_stamp()})


@dataclass
class Outcome:
    """A web form post's result: the ticket, or the form to show again with the refusal."""

    form: PublicTicketForm
    ticket: Ticket | None = None
    refusal: str | None = None
    status: int = 400


def submit_form(request, desk: DeskSettings) -> Outcome:
    """The web form's post. The checks that need no network run first; then one cache round trip
    counts the post against the sender's IP and, when the form is valid, the client's email. An
    IP over its limit is refused before anything else."""
    form = PublicTicketForm(request.POST, request.FILES, desk=desk)
    refusal = None
    try:
        guards.check_honeypot(request.POST.get("website"))
        guards.check_stamp(request.POST.get("rendered"))
    except guards.Refused as refused:
        refusal = refused.message
    valid = refusal is None and form.is_valid()
    try:
        guards.count_post(request, email=form.cleaned_data["email"] if valid else "")
        if valid:
            return Outcome(form, ticket=accept(form=form))
    except guards.Refused as refused:
        return _again(form, refused.message, status=429 if refused.message == guards.TOO_MANY else 400)
    except ValidationError as error:
        refusal = " ".join(error.messages)
    return _again(form, refusal)


def _again(form: PublicTicketForm, refusal, status: int = 400) -> Outcome:
    # Shown again with the client's input and a fresh render stamp.
    form.data = form.data.copy()
    form.data["rendered"] = guards.render_stamp()
    return Outcome(form, refusal=refusal, status=status)
