"""The per-entity activity log that feeds card timelines (``admin24.history`` shows it).

An entry has a kind (``Activity.Verb``) and, for what a robot or service says, a message key with
its parameters (``admin24.messages``), rendered in the reader's language when shown.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from admin24 import bulk, messages
from admin24.models import Activity


def record(**fields) -> Activity:
    """The entry ``build`` makes from ``fields``, written to ``target``'s timeline."""
    entry = Activity(**build(**fields))
    entry.save(force_insert=True)
    return entry


def build(
    *,
    target: Model,
    verb: str,
    by=None,
    text: str = "",
    message: messages.Message | None = None,
    data: dict | None = None,
    stay_seconds: float | None = None,
) -> dict:
    """One entry on ``target``'s timeline, as its fields' values (``record`` writes it, a batch
    writes many with ``record_many``: value rows, not instances, for a clock batch's thousands).
    ``message`` is what the system says (shown in each reader's language);
    ``text`` what a person typed (a move's reason, a task's comment), or a ``Message`` too (a
    robot's reason for a move). ``stay_seconds``: for a move, how long the target stayed in the
    stage it left."""
    if isinstance(text, messages.Message):
        message, text = text, ""
    return {
        "target_type": ContentType.objects.get_for_model(target),
        "target_id": target.pk,
        "verb": verb,
        "actor": by,
        "key": message.key if message else "",
        "params": message.params if message else {},
        "text": str(text),
        "data": data or {},
        "stay_seconds": stay_seconds,
    }


def record_many(entries: list[dict]) -> None:
    """Write entries made by ``build`` in one INSERT (the clock's batches)."""
    bulk.insert_values(Activity, entries)


def timeline(target: Model) -> QuerySet[Activity]:
    """The target's activity, newest first."""
    return Activity.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor")
