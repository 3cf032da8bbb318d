"""The ticket card with its actions and thread, and "my tickets"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from admin24.access import Action, can, filter_queryset, require
from admin24.boards.counts import COUNT_CAP, capped_counts, count_label
from admin24.history import history
from admin24.workflow import DomainError, allowed_moves

from .. import services
from ..emails import client_page_path
from ..forms import AssignForm, CommentForm, DeferForm, NoteForm
from ..intake.email.store import client_bounce
from ..models import Attachment, Ticket, TicketStatus
from ..models.tickets import TicketQuerySet
from ..pipeline import PIPELINE
from ..standing import standing_of
from ..support_hours import MAX_SPENT_MINUTES
from ..ticket_rows import first_rows, rows_html


class TicketAction:
    """A button on the card: the status it is pressed from (None: any that the pipeline allows)."""

    def __init__(self, name, label, target, source=None):
        self.name, self.label, self.target, self.source = name, label, target, source


ACTIONS = {
    action.name: action
    for action in (
        TicketAction("start", gettext_lazy("Start work"), TicketStatus.IN_PROGRESS, TicketStatus.NEW),
        TicketAction("resume", gettext_lazy("Resume"), TicketStatus.IN_PROGRESS, TicketStatus.DEFERRED),
        TicketAction("reopen", gettext_lazy("Reopen"), TicketStatus.IN_PROGRESS, TicketStatus.DONE),
        TicketAction("defer", gettext_lazy("Defer"), TicketStatus.DEFERRED),
        TicketAction("complete", gettext_lazy("Complete"), TicketStatus.DONE),
    )
}


def _ticket(request, pk: int) -> Ticket:
    queryset = Ticket.objects.select_related("service", "assignee", "company", "contact", "created_by", "contract")
    ticket = filter_queryset(request.user, queryset, Action.READ).filter(pk=pk).first()
    if ticket is None:
        # Not 403: a stranger learns nothing about which tickets exist.
        raise Http404
    return ticket


def _available(ticket: Ticket, user) -> list[TicketAction]:
    targets = set(allowed_moves(ticket, user))
    return [
        action
        for action in ACTIONS.values()
        if action.target in targets and (action.source is None or action.source == ticket.status)
    ]


@login_required
def ticket_detail(request, pk: int):
    ticket = _ticket(request, pk)
    comments = ticket.comments.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk"))
    )
    context = {
        "ticket": ticket,
        "stage": PIPELINE.stage(ticket.status),
        "can_edit": can(request.user, ticket, Action.EDIT),
        "actions": _available(ticket, request.user),
        "comments": comments,
        "request_files": ticket.attachments.filter(comment__isnull=True).order_by("uploaded_at", "pk"),
        "history": history(ticket, limit=200),
        "defer_form": DeferForm(),
        "default_return_at": services.default_return_at(),
        "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}),
        "comment_form": CommentForm(),
        "client_page": client_page_path(ticket),
        "reaction_late": _late(ticket.reaction_due_at, ticket.first_reaction_at),
        "resolution_late": _late(ticket.resolution_due_at, ticket.resolved_at),
        "standing": standing_of(ticket),
        "bounce": client_bounce(ticket),
        "max_spent_minutes": MAX_SPENT_MINUTES,
    }
    return render(request, "servicedesk/staff/ticket.html", context)


def _late(due, done) -> bool:
    """Whether a deadline was missed: met after it, or not met and already past."""
    if due is None:
        return False
    return (done or timezone.now()) > due


@login_required
@require_POST
def ticket_action(request, pk: int, action: str):
    ticket = _ticket(request, pk)
    require(request.user, ticket, Action.EDIT)
    chosen = ACTIONS.get(action)
    if chosen is None:
        messages.error(request, _("There is no such action."))
        return redirect("servicedesk:ticket", pk=ticket.pk)
    if chosen.source is not None and chosen.source != ticket.status:
        messages.error(
            request,
            _("“%(action)s” is not possible: the ticket is «%(status)s».")
            % {"action": chosen.label, "status": ticket.get_status_display()},
        )
        return redirect("servicedesk:ticket", pk=ticket.pk)
    try:
        _run(request, ticket, chosen)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The ticket is «%(status)s».") % {"status": ticket.get_status_display()})
    return redirect("servicedesk:ticket", pk=ticket.pk)


def _run(request, ticket: Ticket, action: TicketAction) -> None:
    by = request.user
    if action.name == "defer":
        form = DeferForm(request.POST)
        if not form.is_valid():
            raise ValidationError([error for errors in form.errors.values() for error in errors])
        services.ticket_defer(
            ticket=ticket, by=by, return_at=form.cleaned_data["return_at"], reason=form.cleaned_data["reason"]
        )
        return
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if action.name == "start":
        services.ticket_start(ticket=ticket, by=by)
    elif action.name == "resume":
        services.ticket_resume(ticket=ticket, by=by)
    elif action.name == "reopen":
        services.ticket_reopen(ticket=ticket, by=by, reason=note)
    elif action.name == "complete":
        # Checked by the service (a clear error and no move when it is not a number of minutes).
        services.ticket_complete(ticket=ticket, by=by, note=note, spent_minutes=request.POST.get("spent_minutes"))


@login_required
@require_POST
def ticket_assign(request, pk: int):
    ticket = _ticket(request, pk)
    require(request.user, ticket, Action.EDIT)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an active employee."))
        return redirect("servicedesk:ticket", pk=ticket.pk)
    try:
        services.ticket_assign(ticket=ticket, assignee=form.cleaned_data["assignee"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Assignee: %(user)s.") % {"user": ticket.assignee or _("nobody")})
    return redirect("servicedesk:ticket", pk=ticket.pk)


@login_required
@require_POST
def ticket_comment(request, pk: int):
    ticket = _ticket(request, pk)
    require(request.user, ticket, Action.EDIT)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            comment = services.add_comment(
                ticket=ticket,
                body=form.cleaned_data["body"],
                author=request.user,
                public=form.is_public,
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The comment is sent to the client.") if comment.public else _("The internal note is saved."),
            )
            return redirect(reverse("servicedesk:ticket", args=[ticket.pk]) + f"#comment-{comment.pk}")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect("servicedesk:ticket", pk=ticket.pk)


# "My tickets" shows the most urgent open tickets and counts the rest up to a cap: an engineer with
# thousands of open tickets gets the page as fast as one with ten (the rest are on the board).
MY_OPEN_SHOWN = 50
MY_WATCHED_SHOWN = 50


@login_required
def my_tickets(request):
    user = request.user
    mine = filter_queryset(user, Ticket.objects.filter(assignee=user), Action.READ)
    now = timezone.now()
    # Each list walks its partial index on the engineer's open or done tickets, and stops.
    mine_open = mine.exclude(status=TicketStatus.DONE)
    open_tickets = list(first_rows(mine_open, ("resolution_due_at", "pk"), MY_OPEN_SHOWN))
    # The badges' counts in one query, each stopping at the cap ("1 000+" takes the plural of 1,000).
    counts = capped_counts({"open": mine_open, "overdue": mine.filter(TicketQuerySet.overdue_q(now))})
    done = list(first_rows(mine.filter(status=TicketStatus.DONE), ("-resolved_at", "-pk"), 20))
    watched_open = (
        filter_queryset(user, Ticket.objects.filter(watchers=user), Action.READ)
        .exclude(status=TicketStatus.DONE)
        .exclude(assignee=user)
    )
    watched = list(first_rows(watched_open, ("resolution_due_at", "pk"), MY_WATCHED_SHOWN))
    context = {
        "open_tickets": open_tickets,
        "done": done,
        "watched": watched,
        "open_rows": rows_html(open_tickets, show_assignee=False),
        "open_count": min(counts["open"], COUNT_CAP),
        "open_label": count_label(counts["open"]),
        "more_open": counts["open"] > len(open_tickets),
        "overdue_count": min(counts["overdue"], COUNT_CAP),
        "overdue_label": count_label(counts["overdue"]),
        "done_rows": rows_html(done, show_assignee=False),
        "watched_rows": rows_html(watched, show_assignee=True),
    }
    return render(request, "servicedesk/staff/my_tickets.html", context)
