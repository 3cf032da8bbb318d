"""The one kanban board every pipeline plugs into (DESIGN.md "UI").

A pipeline subclasses ``Board`` and says which model, which stages, how a card looks (``card``)
and which service moves an entity; the board does the rest: filters, columns with counts and
sums, bounded pages of cards, the move endpoint, the list and the CSV export — all within access
rights. The model keeps a ``search_text`` (``admin24.boards.search.SearchText``) for the search.

Query budget of a board page, whatever the number of cards and columns: one query for every
column's count (and sum), and one query for the first page of every column (see
``first_pages``); a column's "show more" is one more query. A count stops at ``COUNT_CAP``
("1 000+", ``counts``) unless the board sums amounts, which needs every row of the column.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext

from admin24.access import Action, can, filter_queryset
from admin24.structure import department_subtree_ids

from .. import workflow
from ..workflow import DomainError
from . import views
from .amounts import format_amount
from .cards import Card, cards_html
from .counts import COUNT_CAP, capped_counts, count_label
from .export import csv_rows
from .filters import BoardFilterForm, Scope
from .search import normalise

ACTIVE = "active"


@dataclass(frozen=True)
class Stage:
    """A column: a pipeline stage as the board needs it."""

    slug: str
    label: str
    kind: str = ACTIVE

    @property
    def is_closed(self) -> bool:
        return self.kind != ACTIVE


@dataclass(frozen=True)
class Field:
    """A column of the list view and of the CSV export."""

    label: Any
    value: Any  # callable(obj) -> value shown / exported
    sort: str | None = None  # ORDER BY expression; None means not sortable
    link: bool = False  # the list links this cell to the card


@dataclass
class Column:
    stage: Stage
    count: int = 0
    count_label: str = "0"  # what the column head shows: the count, or "1 000+" past the cap
    total: Any = None
    cards: list = field(default_factory=list)
    next_offset: int | None = None

    @property
    def total_display(self) -> str:
        return format_amount(self.total)

    @property
    def cards_html(self) -> str:
        return cards_html(self.cards)


@dataclass
class MoveOutcome:
    status: int  # HTTP status the move endpoint answers with
    message: str = ""
    allowed: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def person_fields(relation: str) -> tuple[str, ...]:
    """The user columns a card's avatar needs (``initials``, ``full_name``), for ``only()``."""
    return tuple(f"{relation}__{name}" for name in ("username", "first_name", "last_name", "patronymic"))


def local_time(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A moment of a list or CSV column in the current time zone; none stays none."""
    return timezone.localtime(moment) if moment else None


def card_moment_format() -> str:
    """How a card writes a moment: short (day, month, time), in the reader's language."""
    return pgettext("day, month and time on a card", "d.m H:i")


def card_moment(moment: datetime.datetime) -> str:
    """A moment on a card (``card_moment_format``) in the reader's time zone."""
    return formats.date_format(timezone.localtime(moment), card_moment_format())


_PK_MARK = 2_147_483_647  # a pk no row has, replaced by the real one


@lru_cache(maxsize=64)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[_PK_MARK])


def card_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a page whose only argument is a pk, reversed once per
    URL name: reversing costs as much as rendering the rest of a card."""
    return _url_pattern(name).replace(str(_PK_MARK), str(pk), 1)


class Board:
    """Subclass per pipeline; an instance is stateless and shared by every request."""

    slug: ClassVar[str]  # URL names: <namespace>:<slug>_board, _column, _move, _list, _csv
    namespace: ClassVar[str]
    title: ClassVar[Any]
    model: ClassVar[type[Model]]
    stage_field: ClassVar[str] = "stage"
    responsible_field: ClassVar[str] = "responsible"
    created_field: ClassVar[str] = "created_at"
    amount_field: ClassVar[str | None] = None
    source_field: ClassVar[str | None] = None
    per_column: ClassVar[int] = 50
    list_per_page: ClassVar[int] = 50
    list_fields: ClassVar[list[Field]] = []
    csv_fields: ClassVar[list[Field] | None] = None  # defaults to list_fields
    csv_filename: ClassVar[str] = "export.csv"
    create_label: ClassVar[Any] = ""

    # --- what a pipeline provides -------------------------------------------------------------
    def stages(self) -> list[Stage]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def with_card_fields(self, queryset: QuerySet) -> QuerySet:
        """Related rows and annotations a list row and a CSV line show; no query per row."""
        return queryset.select_related(self.responsible_field)

    def csv_lines(self, queryset: QuerySet) -> Iterator[str]:
        """The CSV export of ``queryset`` (filtered and ordered); a board with many rows to
        export reads them with ``values_list`` instead (``export.csv_value_lines``)."""
        return csv_rows(self.csv_fields or self.list_fields, self.with_card_fields(queryset))

    def card_rows(self, queryset: QuerySet) -> QuerySet:
        """The rows ``card`` reads, ideally narrowed with ``only()``: building a model instance
        costs per column, and a board builds hundreds."""
        return self.with_card_fields(queryset)

    def move(self, obj, to: str, *, by, reason: str = "") -> None:
        """The one way cards change stage; a board whose moves are a use case of their own overrides it."""
        workflow.move(obj, to, by=by, reason=reason)

    def card_url(self, obj) -> str | None:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None

    def create_url(self, user) -> str | None:
        """Where the board's "new" button leads, or None to show no button."""
        return None

    def source_choices(self) -> list[tuple[str, Any]]:
        if not self.source_field:
            return []
        return list(self.model._meta.get_field(self.source_field).choices or [])

    # --- URLs --------------------------------------------------------------------------------
    def urlpatterns(self, prefix: str) -> list:
        return [
            path(f"{prefix}", views.board_page, {"board": self}, name=f"{self.slug}_board"),
            path(f"{prefix}column/", views.board_column, {"board": self}, name=f"{self.slug}_column"),
            path(f"{prefix}move/", views.board_move, {"board": self}, name=f"{self.slug}_move"),
            path(f"{prefix}list/", views.board_list, {"board": self}, name=f"{self.slug}_list"),
            path(f"{prefix}export.csv", views.board_csv, {"board": self}, name=f"{self.slug}_csv"),
        ]

    def url(self, kind: str) -> str:
        return reverse(f"{self.namespace}:{self.slug}_{kind}")

    # --- filtering -----------------------------------------------------------------------------
    def filter_form(self, user, data) -> BoardFilterForm:
        form = BoardFilterForm(data or None, board=self, user=user)
        form.is_valid()  # invalid fields are reported on the page and ignored, never a 500
        return form

    def readable(self, user) -> QuerySet:
        return filter_queryset(user, self.get_queryset(), Action.READ)

    def filtered(self, user, form: BoardFilterForm) -> QuerySet:
        """The rows the user may read, narrowed by the filters (every stage)."""
        queryset = self.readable(user)
        data = getattr(form, "cleaned_data", {})
        if data.get("stage"):
            # One stage asked for by name (a report's link), closed or not.
            queryset = queryset.filter(**{self.stage_field: data["stage"]})
        elif not data.get("closed"):
            queryset = queryset.filter(**{f"{self.stage_field}__in": [s.slug for s in self.visible_stages(form)]})
        if data.get("entered_after"):
            queryset = queryset.filter(stage_changed_at__gte=data["entered_after"])
        if data.get("entered_before"):
            queryset = queryset.filter(stage_changed_at__lt=data["entered_before"])
        owner = self.responsible_field
        scope = data.get("scope") or Scope.ALL
        if scope == Scope.MINE:
            queryset = queryset.filter(**{owner: user.pk})
        elif scope == Scope.DEPARTMENT:
            mine = Q(**{owner: user.pk})
            if user.department_id is not None:
                # The members' ids rather than a join to the users: the (responsible, stage, …)
                # index then serves the column walks.
                members = get_user_model().objects.filter(department_id__in=department_subtree_ids(user.department_id))
                mine |= Q(**{f"{owner}__in": members.values("pk")})
            queryset = queryset.filter(mine)
        if data.get("responsible"):
            queryset = queryset.filter(**{owner: data["responsible"]})
        if self.source_field and data.get("source"):
            queryset = queryset.filter(**{self.source_field: data["source"]})
        # Bounds as moments of the user's time zone, so an index on the creation time serves them.
        if data.get("created_from"):
            queryset = queryset.filter(**{f"{self.created_field}__gte": _day_start(data["created_from"])})
        if data.get("created_to"):
            end = _day_start(data["created_to"] + datetime.timedelta(days=1))
            queryset = queryset.filter(**{f"{self.created_field}__lt": end})
        if data.get("q"):
            queryset = queryset.filter(search_text__contains=normalise(data["q"]))
        return queryset

    def visible_stages(self, form: BoardFilterForm) -> list[Stage]:
        show_closed = getattr(form, "cleaned_data", {}).get("closed")
        return [stage for stage in self.stages() if show_closed or not stage.is_closed]

    def stage(self, slug: str) -> Stage | None:
        return next((stage for stage in self.stages() if stage.slug == slug), None)

    # --- reading -------------------------------------------------------------------------------
    def ordered(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by(f"-{self.created_field}", "-pk")

    def stage_totals(self, queryset: QuerySet, stages: list[Stage]) -> dict[str, tuple[int, Any]]:
        """Count (and sum of amounts) per stage, in one query. Without amounts a count stops past
        ``COUNT_CAP`` (``counts.capped_counts``: a LIMITed walk per column), so a column of a
        million done tickets costs what one of a thousand does; a sum needs every row."""
        if not self.amount_field:
            counts = capped_counts({s.slug: queryset.filter(**{self.stage_field: s.slug}) for s in stages}, COUNT_CAP)
            return {slug: (count, None) for slug, count in counts.items()}
        aggregates = {"n": Count("*"), "total": Sum(self.amount_field)}  # COUNT(*): an index answers alone
        rows = queryset.order_by().values(self.stage_field).annotate(**aggregates)
        wanted = {stage.slug for stage in stages}
        return {row[self.stage_field]: (row["n"], row["total"]) for row in rows if row[self.stage_field] in wanted}

    def count_label(self, count: int) -> str:
        """A column's count as its head shows it: exact where the board sums amounts, else capped."""
        return count_label(count, None if self.amount_field else COUNT_CAP)

    def cards(self, queryset: QuerySet, stage: Stage, offset: int = 0) -> tuple[list[Card], int | None]:
        """One page of a column and the offset of the next page (None when this is the last)."""
        rows = self.card_rows(self.ordered(queryset.filter(**{self.stage_field: stage.slug})))
        return self._page(list(rows[offset : offset + self.per_column + 1]), offset)

    def first_pages(self, queryset: QuerySet, stages: list[Stage]) -> dict[str, list]:
        """The first page (and one row more) of every column, in one query.

        Each column's rows are picked by its own LIMITed subquery, which walks the
        ``(stage, created)`` index and stops; the card annotations are computed in the outer
        query for those few rows only. (A ROW_NUMBER() window over the stages would number
        every row of every visible stage first: 100,000 rows for an all-stages view.)
        """
        if not stages:
            return {}
        size = self.per_column + 1
        heads = [
            self.model._default_manager.filter(
                pk__in=self.ordered(queryset.filter(**{self.stage_field: stage.slug})).values("pk")[:size]
            )
            .order_by()  # the model's default ordering is not allowed inside a UNION on SQLite
            .values("pk")
            for stage in stages
        ]
        chosen = heads[0].union(*heads[1:], all=True) if len(heads) > 1 else heads[0]
        rows = self.card_rows(self.ordered(self.model._default_manager.filter(pk__in=chosen)))
        pages = {stage.slug: [] for stage in stages}
        for row in rows:
            pages[getattr(row, self.stage_field)].append(row)
        return pages

    def _page(self, rows: list, offset: int) -> tuple[list[Card], int | None]:
        cards = self.cards_for(rows[: self.per_column], timezone.now())
        return cards, offset + self.per_column if len(rows) > self.per_column else None

    def cards_for(self, rows: list, now: datetime.datetime) -> list[Card]:
        """The cards of ``rows``; a board showing hundreds overrides it to translate its words
        and read its formats once for all of them rather than in ``card`` for each."""
        return [self.card(row, now) for row in rows]

    def card(self, obj, now: datetime.datetime) -> Card:
        """What a card shows, computed here: a template filter or {% url %} per card costs more
        than the whole query of a column."""
        card = Card(pk=obj.pk, url=self.card_url(obj) or "", title=str(obj))
        card.set_person(getattr(obj, self.responsible_field, None))
        deadline = getattr(obj, "next_task_deadline", None)
        if deadline is not None:
            card.overdue = deadline < now
            card.when = card_moment(deadline)
            card.when_title = gettext("Next task deadline")
        return card

    def column_heads(self, queryset: QuerySet, form: BoardFilterForm) -> list[Column]:
        """The visible columns with what their heads show (count, its label, the sum), no cards:
        the board page and the move endpoint's answer both say these figures."""
        stages = self.visible_stages(form)
        totals = self.stage_totals(queryset, stages)
        columns = []
        for stage in stages:
            count, total = totals.get(stage.slug, (0, None))
            columns.append(
                Column(
                    stage=stage,
                    count=count,
                    count_label=self.count_label(count),
                    total=total if self.amount_field else None,
                )
            )
        return columns

    def columns(self, user, form: BoardFilterForm) -> list[Column]:
        queryset = self.filtered(user, form)
        columns = self.column_heads(queryset, form)
        # An empty column is not asked for cards: its LIMITed walk would find none only after
        # reading every row of the stage (all done tickets, when only overdue ones are wanted).
        pages = self.first_pages(queryset, [column.stage for column in columns if column.count])
        for column in columns:
            column.cards, column.next_offset = self._page(pages.get(column.stage.slug, []), 0)
        return columns

    # --- moving --------------------------------------------------------------------------------
    def try_move(self, obj, to: str, *, by, reason: str = "") -> MoveOutcome:
        if self.stage(to) is None:
            return MoveOutcome(400, gettext("There is no such stage on this board."))
        if not can(by, obj, Action.EDIT):
            return MoveOutcome(403, gettext("You may not change this card."))
        try:
            self.move(obj, to, by=by, reason=reason)
        except DomainError as refusal:
            return MoveOutcome(refusal.status_code, refusal.message, refusal.allowed or [])
        return MoveOutcome(200)
