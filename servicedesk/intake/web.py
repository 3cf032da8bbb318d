"""The web form and the public API: checks shared by both, then ``create_ticket``."""

from ..models import DeskSettings, Ticket, TicketSource
from ..services import create_ticket
from . import guards
from .forms import PublicTicketForm


def pre_checks(request, data) -> None:
    """What is refused before the form is even validated (raises ``guards.Refused``)."""
    guards.check_rate_ip(request)
    guards.check_honeypot(data.get("website"))
    guards.check_stamp(data.get("rendered"))


def submit(*, request, form: PublicTicketForm, source: str = TicketSource.FORM) -> Ticket:
    """A ticket from a valid form (raises ``guards.Refused`` when this email sends too much)."""
    data = form.cleaned_data
    guards.check_rate_email(request, data["email"])
    return create_ticket(
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
