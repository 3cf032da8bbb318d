"""What the lead and deal boards share."""

from django.db.models import OuterRef, Subquery

from ..models import Task


def next_open_task_deadline(owner_field: str) -> Subquery:
    """The earliest deadline among the open tasks of the outer row (``lead`` or ``deal``)."""
    tasks = Task.objects.filter(
        **{owner_field: OuterRef("pk")}, status=Task.Status.OPEN, deadline__isnull=False
    ).order_by("deadline")
    return Subquery(tasks.values("deadline")[:1])
