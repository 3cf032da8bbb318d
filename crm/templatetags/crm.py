import os

from django import template

from admin24.access import Action, filter_queryset

from ..links import card_link
from ..models import Task

register = template.Library()


@register.simple_tag
def open_task_count(user) -> int:
    """The user's open tasks, for the navigation badge."""
    if not getattr(user, "is_authenticated", False):
        return 0
    tasks = Task.objects.filter(responsible=user, status=Task.Status.OPEN)
    return filter_queryset(user, tasks, Action.READ).count()


@register.filter
def card_url(obj) -> str:
    return card_link(obj)


@register.filter
def filename(path: str) -> str:
    """A stored file's own name, without the upload folders."""
    return os.path.basename(path or "")
