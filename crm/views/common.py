from django.db.models import QuerySet
from django.http import Http404

from admin24.access import Action, filter_queryset


def readable_or_404(user, queryset: QuerySet, pk: int):
    """The object if the user may read it; otherwise it does not exist for them."""
    obj = filter_queryset(user, queryset, Action.READ).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
