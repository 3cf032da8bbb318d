"""Template helpers of the staff pages: deadline countdowns and a CRM card's tickets."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from admin24.access import Action, Level, filter_queryset, level_for
from crm.models import Company, Contact

from ..models import Ticket
from ..reports.company import company_sla

register = template.Library()

TICKETS_ON_CARD = 20


def countdown_writer(now=None):
    """``countdown`` for the many deadlines of one page: one clock reading, the words translated once."""
    now = now or timezone.now()
    days_hours, hours_minutes, minutes_only = (
        _("%(days)d d %(hours)d h"),
        _("%(hours)d h %(minutes)d min"),
        _("%(minutes)d min"),
    )
    left, late = _("%(span)s left"), _("%(span)s late")

    def span(seconds: int) -> str:
        minutes = max(seconds // 60, 1)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return days_hours % {"days": days, "hours": hours}
        if hours:
            return hours_minutes % {"hours": hours, "minutes": minutes}
        return minutes_only % {"minutes": minutes}

    def write(moment) -> str:
        if not moment:
            return ""
        seconds = int((moment - now).total_seconds())
        if seconds >= 0:
            return left % {"span": span(seconds)}
        return late % {"span": span(-seconds)}

    return write


@register.filter
def countdown(moment) -> str:
    """“3 h 20 min left” before a deadline, “1 d 2 h late” after it (wall-clock time)."""
    return countdown_writer()(moment) if moment else ""


@register.filter
def hours_minutes(value) -> str:
    """A duration as people enter it on the settings page: “2 h 30 min”."""
    if value is None:
        return ""
    return minutes_span(int(value.total_seconds() // 60))


@register.filter
def minutes_span(minutes) -> str:
    """Logged minutes as “1 h 05 min”."""
    if minutes is None:
        return ""
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.simple_tag(takes_context=True)
def tickets_for(context, owner) -> dict | None:
    """The newest tickets of a CRM company or contact the signed-in user may read, and their count.

    None for a user who may read no tickets at all: the card then says nothing about tickets.
    """
    user = context["request"].user
    if level_for(user, Ticket.access_entity, Action.READ) == Level.NONE:
        return None
    if isinstance(owner, Company):
        scope, query = {"company": owner}, f"company={owner.pk}"
    elif isinstance(owner, Contact):
        scope, query = {"contact": owner}, f"contact={owner.pk}"
    else:
        raise TypeError(f"tickets_for() takes a company or a contact, not {type(owner).__name__}")
    readable = filter_queryset(user, Ticket.objects.filter(**scope), Action.READ)
    tickets = list(readable.select_related("assignee").order_by("-created_at", "-pk")[:TICKETS_ON_CARD])
    count = len(tickets) if len(tickets) < TICKETS_ON_CARD else readable.count()
    return {"tickets": tickets, "count": count, "list_query": f"status=all&{query}"}


@register.simple_tag(takes_context=True)
def sla_of_company(context, company) -> dict | None:
    """The company's SLA compliance under its contract (``servicedesk.reports.company``)."""
    return company_sla(context["request"].user, company)
