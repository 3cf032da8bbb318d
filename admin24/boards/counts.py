"""Counts that stop at what a page shows: "1 000+" rather than a count of every row.

A board column shows 50 cards and a list page 50 rows; counting the million done tickets behind
them would make the page's cost grow with rows nobody reads (an index scan of every one of them).
Each count here reads at most ``cap + 1`` rows — ``SELECT count(*) FROM (SELECT … LIMIT cap + 1)``
— and says "1 000+" (in the reader's number format) when it reached them.
"""

from collections.abc import Mapping

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet, Value
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext

COUNT_CAP = 1000


def count_label(count: int, cap: int | None = COUNT_CAP) -> str:
    """``count`` as a page shows it: "1 000+" once the count reached past ``cap`` (None: exact)."""
    if cap is not None and count > cap:
        return gettext("%(count)s+") % {"count": number_format(cap, force_grouping=True)}
    return number_format(count, force_grouping=True)


def capped_counts(querysets: Mapping[str, QuerySet], cap: int = COUNT_CAP) -> dict[str, int]:
    """The rows of each queryset (one model, one database), each count stopping at ``cap + 1``,
    in one statement: a LIMITed walk per key, counted, joined with UNION ALL. Each part is the
    queryset's own compiled SQL (its access rules and filters as they are)."""
    parts, params, counts = [], [], {}
    for key, queryset in querysets.items():
        # A constant, not the pk: an index that answers the filter alone then serves the walk.
        head = queryset.order_by().values_list(Value(1))[: cap + 1]
        try:
            sql, head_params = head.query.get_compiler(head.db).as_sql()
        except EmptyResultSet:  # ``none()``: nothing to read
            counts[key] = 0
            continue
        parts.append(f"SELECT %s, COUNT(*) FROM ({sql}) AS capped_{len(parts)}")  # noqa: S608
        params += [key, *head_params]
        db = head.db
    if parts:
        with connections[db].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            counts.update(cursor.fetchall())
    return counts


class CappedPaginator(Paginator):
    """A ``Paginator`` whose count stops ``cap`` rows past the start of the page asked for: page
    2 of a million rows reads 1,050 of them, and the page still offers "next" (``capped``)."""

    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP):
        super().__init__(object_list, per_page)
        self.cap = self.reach = cap

    def get_page(self, number):
        try:
            wanted = max(int(number), 1)
        except (TypeError, ValueError):
            wanted = 1
        self.reach = (wanted - 1) * self.per_page + self.cap
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        return capped_counts({"all": self.object_list}, self.reach).get("all", 0)

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.count > self.reach

    @property
    def count_label(self) -> str:
        return count_label(self.count, self.reach)
