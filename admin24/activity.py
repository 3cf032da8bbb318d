"""The per-entity activity log that feeds card timelines."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from admin24.models import Activity


def record(*, target: Model, verb: str, by=None, text: str = "", data: dict | None = None) -> Activity:
    return Activity.objects.create(
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        verb=verb,
        actor=by,
        text=str(text),
        data=data or {},
    )


def timeline(target: Model) -> QuerySet[Activity]:
    """The target's activity, newest first."""
    return Activity.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor")
