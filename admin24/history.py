"""The one way a timeline entry is shown, for leads, deals, companies, contacts and tickets.

Each kind reads its ``data`` its own way: a move's ``from``/``to`` are stages of the card's
pipeline, a reminder's and an assignment's ``to`` is a person (shown by name, not an id), an
email's ``address`` and ``outbox`` row are where it went and whether it arrived. What was said
with it is the entry's message in the reader's language, or what a person typed. ``history``
renders a card's entries for ``templates/activity/_history.html``, which every card includes.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Model
from django.utils.translation import gettext as _

from admin24.activity import timeline
from admin24.models import Activity
from admin24.workflow.pipeline import Pipeline, pipeline_for

Verb = Activity.Verb


@dataclass(frozen=True)
class Entry:
    """One timeline line as a reader sees it, in the active language."""

    at: object
    who: object  # the user who did it; None: a robot
    kind: str
    what: str  # the kind's own words: «Moved: A → B», «Reminder sent to Анна Петрова»
    text: str  # what was said or typed with it
    outbox: int | None = None  # an email's outbox row, for its delivery status


def history(target: Model, *, limit: int = 100) -> list[Entry]:
    """``target``'s latest entries rendered for its card (a constant number of queries)."""
    return describe(list(timeline(target)[:limit]), target=target)


def describe(entries: list[Activity], *, target: Model | None = None) -> list[Entry]:
    pipeline = _pipeline_of(target)
    people = _people(entries)
    return [_entry(entry, pipeline, people) for entry in entries]


def _pipeline_of(target) -> Pipeline | None:
    if target is None or not hasattr(target, "pipeline_key"):
        return None
    try:
        return pipeline_for(target)
    except LookupError:
        return None


def _people(entries: list[Activity]) -> dict:
    """The people the entries name (reminded, assigned), in one query."""
    ids = {
        person
        for entry in entries
        if entry.verb in (Verb.REMINDER_SENT, Verb.ASSIGNED)
        for person in (entry.data.get("to"), entry.data.get("from"))
        if isinstance(person, int)
    }
    return get_user_model().objects.in_bulk(ids) if ids else {}


def _person(value, people: dict) -> str:
    if value is None:
        return "—"
    user = people.get(value)
    return str(user) if user is not None else f"#{value}"


def _stage(pipeline: Pipeline | None, slug) -> str:
    if not slug:
        return "—"
    return pipeline.label_of(slug) if pipeline else str(slug)


def _entry(entry: Activity, pipeline: Pipeline | None, people: dict) -> Entry:
    data = entry.data or {}
    said = entry.said
    kind = entry.verb
    if kind == Verb.MOVED:
        what = _("Moved: %(from)s → %(to)s") % {
            "from": _stage(pipeline, data.get("from")),
            "to": _stage(pipeline, data.get("to")),
        }
    elif kind == Verb.REMINDER_SENT and "to" in data:
        what = _("Reminder sent to %(person)s") % {"person": _person(data["to"], people)}
    elif kind == Verb.ASSIGNED and "to" in data:
        what = (
            _("Assigned to %(person)s") % {"person": _person(data["to"], people)}
            if data["to"] is not None
            else _("Unassigned")
        )
    elif kind == Verb.EMAIL_SENT and data.get("address"):
        what = _("Email sent to %(address)s") % {"address": data["address"]}
    else:
        what = entry.get_verb_display()
        what = what[:1].upper() + what[1:]
    outbox = data.get("outbox")
    return Entry(
        at=entry.created_at,
        who=entry.actor,
        kind=kind,
        what=what,
        text=said,
        outbox=outbox if isinstance(outbox, int) else None,
    )
