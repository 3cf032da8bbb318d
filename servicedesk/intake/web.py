"""The web form and the public API: checks shared by both, then ``accept_ticket``."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from admin24 import worktime

from ..models import DeskSettings, Ticket, TicketSource
from ..services import accept_ticket
from . import guards, shared_cache, snapshot
from .forms import PublicTicketForm


def submit(*, request, form: PublicTicketForm, source: str = TicketSource.FORM) -> Ticket:
    """A ticket from a valid form (raises ``guards.Refused`` when this email sends too much)."""
    guards.check_rate_email(request, form.cleaned_data["email"])
    return accept(form=form, source=source)


def accept(*, form: PublicTicketForm, source: str = TicketSource.FORM, calendar=None) -> Ticket:
    """A ticket from a valid form whose post was counted already (``arrive``, ``submit``)."""
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
        calendar=calendar,
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


@dataclass
class Arrival:
    desk: DeskSettings
    calendar: worktime.WorkCalendar
    counters: list
    counts: list[int]


def arrive(request) -> Arrival:
    """A web form post's one cache round trip: the versions of the settings and of the working
    calendar (both kept in the process), and the post counted against its IP and the email it
    names (every post counts, valid or not)."""
    found = guards.counters(request, email=request.POST.get("email", ""))
    (settings_version, calendar_version), counts = shared_cache.read_and_count(
        [snapshot.VERSION_KEY, worktime.VERSION_KEY], [(key, seconds) for key, seconds, _ in found]
    )
    return Arrival(
        desk=snapshot.current(version=settings_version).desk,
        calendar=worktime.current_calendar(version=calendar_version),
        counters=found,
        counts=counts,
    )


def submit_form(request, arrival: Arrival) -> Outcome:
    """The web form's post: refused over a rate limit first, then by the honeypot or the stamp,
    then by the form's own checks; else the ticket."""
    form = PublicTicketForm(request.POST, request.FILES, desk=arrival.desk)
    try:
        guards.check_counts(arrival.counters, arrival.counts)
    except guards.Refused as refused:
        return _again(form, refused.message, status=429)
    try:
        guards.check_honeypot(request.POST.get("website"))
        guards.check_stamp(request.POST.get("rendered"))
    except guards.Refused as refused:
        form.is_valid()  # the field errors show with the refusal
        return _again(form, refused.message)
    if not form.is_valid():
        return _again(form, None)
    try:
        return Outcome(form, ticket=accept(form=form, calendar=arrival.calendar))
    except ValidationError as error:
        return _again(form, " ".join(error.messages))


def _again(form: PublicTicketForm, refusal, status: int = 400) -> Outcome:
    # Shown again with the client's input and a fresh render stamp.
    form.data = form.data.copy()
    form.data["rendered"] = guards.render_stamp()
    return Outcome(form, refusal=refusal, status=status)
