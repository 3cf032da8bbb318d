"""The web form and the public API: checks shared by both, then ``accept_ticket``."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from admin24 import worktime

from ..models import DeskSettings, Ticket, TicketSource
from ..services import accept_ticket
from . import guards, shared_cache, snapshot
from .forms import PublicTicketForm


def submit(*, request, form: PublicTicketForm, source: str = TicketSource.FORM) -> Ticket:
    """A ticket from a valid form (raises ``guards.Refused`` when this email had its fill)."""
    guards.check_rate_email(form.cleaned_data["email"])
    return accept(form=form, source=source)


def accept(*, form: PublicTicketForm, source: str = TicketSource.FORM, calendar=None) -> Ticket:
    """A ticket from a valid form whose post was checked already (``arrive``, ``submit``); the
    accepted ticket counts against its email's limit."""
    data = form.cleaned_data
    ticket = accept_ticket(
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
    guards.count_accepted(data["email"])
    return ticket


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
    email_counter: tuple | None = None
    accepted: int | None = None


def arrive(request) -> Arrival:
    """A web form post's one cache round trip: the versions of the settings and of the working
    calendar (both kept in the process), the post counted against its client address (every
    post counts, valid or not) and the tickets accepted for the email it names read."""
    found = [guards.ip_counter(request)]
    email = guards.email_counter(request.POST.get("email", ""))
    keys = [snapshot.VERSION_KEY, worktime.VERSION_KEY, *([email[0]] if email else [])]
    values, counts = shared_cache.read_and_count(keys, [(key, seconds) for key, seconds, _ in found])
    return Arrival(
        desk=snapshot.current(version=values[0]).desk,
        calendar=worktime.current_calendar(version=values[1]),
        counters=found,
        counts=counts,
        email_counter=email,
        accepted=values[2] if email else None,
    )


def submit_form(request, arrival: Arrival) -> Outcome:
    """The web form's post: refused over a rate limit first, then by the honeypot or the stamp,
    then by the form's own checks; else the ticket."""
    form = PublicTicketForm(request.POST, request.FILES, desk=arrival.desk)
    try:
        guards.check_counts(arrival.counters, arrival.counts)
        guards.check_accepted(arrival.email_counter, arrival.accepted)
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
