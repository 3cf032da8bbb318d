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


def accept(*, form: PublicTicketForm, source: str = TicketSource.FORM, calendar=None, counted: bool = False) -> Ticket:
    """A ticket from a valid form whose post was checked already (``arrive``, ``submit``); the
    accepted ticket counts against its email's limit (``counted``: the arrival counted it)."""
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
    if not counted:
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
    email_counter: tuple | None = None  # counted already: given back unless the ticket is accepted
    sent_counter: tuple | None = None  # this post's own mark: given back unless the ticket is accepted
    sent_count: int = 0


def arrive(request) -> Arrival:
    """A web form post's one cache round trip: the versions of the settings and of the working
    calendar (both kept in the process), the post counted against its client address (every
    post counts, valid or not) and against the email it names — as the ticket it may become, so
    that an accepted post needs no second round trip; ``submit_form`` gives that count back
    when the post is not accepted (only accepted tickets count against an email)."""
    email = guards.email_counter(request.POST.get("email", ""))
    found = [guards.ip_counter(request), *([email] if email else [])]
    sent = guards.sent_counter(request)
    keys = [snapshot.VERSION_KEY, worktime.VERSION_KEY]
    values, (*counts, sent_count) = shared_cache.read_and_count(
        keys, [(key, seconds) for key, seconds, _ in [*found, sent]]
    )
    return Arrival(
        desk=snapshot.current(version=values[0]).desk,
        calendar=worktime.current_calendar(version=values[1]),
        counters=found,
        counts=counts,
        email_counter=email,
        sent_counter=sent,
        sent_count=sent_count,
    )


def submit_form(request, arrival: Arrival) -> Outcome:
    """The web form's post: refused over a rate limit first, then by the honeypot or the stamp,
    then as the same post sent twice, then by the form's own checks; else the ticket. Whatever is
    not accepted gives its email's count and its own mark back (``arrive`` counted both): a post
    that failed may be sent again as it was."""
    outcome = None
    try:
        outcome = _submit_form(request, arrival)
    finally:
        if outcome is None or outcome.ticket is None:
            for counter in (arrival.email_counter, arrival.sent_counter):
                if counter is not None:
                    shared_cache.uncount(counter[0])
    return outcome


def _submit_form(request, arrival: Arrival) -> Outcome:
    form = PublicTicketForm(request.POST, request.FILES, desk=arrival.desk)
    try:
        guards.check_counts(arrival.counters, arrival.counts)
    except guards.Refused as refused:
        return _again(form, refused.message, status=429)
    try:
        guards.check_honeypot(request.POST.get("website"))
        guards.check_stamp(request.POST.get("rendered"))
        guards.check_sent_once(arrival.sent_count)
    except guards.Refused as refused:
        form.is_valid()  # the field errors show with the refusal
        return _again(form, refused.message, status=refused.status_code)
    if not form.is_valid():
        return _again(form, None)
    try:
        return Outcome(form, ticket=accept(form=form, calendar=arrival.calendar, counted=True))
    except ValidationError as error:
        return _again(form, " ".join(error.messages))


def _again(form: PublicTicketForm, refusal, status: int = 400) -> Outcome:
    # Shown again with the client's input and a fresh render stamp.
    form.data = form.data.copy()
    form.data["rendered"] = guards.render_stamp()
    return Outcome(form, refusal=refusal, status=status)
