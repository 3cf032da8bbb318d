"""The one kanban board every pipeline plugs into (DESIGN.md "UI").

A pipeline subclasses ``Board`` and says which model, which stages, how a card looks and which
service moves an entity; the board does the rest: filters, columns with counts and sums, bounded
pages of cards, the move endpoint, the list and the CSV export — all within access rights.

Query budget of a board page, whatever the number of cards: one aggregate query for every
column's count and sum, then one LIMITed query per visible column (cards come with their
related rows and annotations in that same query). A per-column LIMIT lets PostgreSQL walk an
index and evaluate expensive card annotations only for the rows it returns, which a single
window-function query over every card cannot do.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from admin24.access import Action, can, filter_queryset
from admin24.structure import department_subtree_ids

from .filters import BoardFilterForm, Scope

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
    total: Any = None
    cards: list = field(default_factory=list)
    next_offset: int | None = None

    @property
    def total_display(self) -> str:
        return format_amount(self.total)


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


def format_amount(value) -> str:
    if value is None:
        return ""
    return formats.number_format(Decimal(value), decimal_pos=0, use_l10n=True, force_grouping=True)


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
    search_fields: ClassVar[tuple[str, ...]] = ("title",)
    card_template: ClassVar[str] = "boards/card.html"
    per_column: ClassVar[int] = 50
    list_per_page: ClassVar[int] = 50
    list_fields: ClassVar[list[Field]] = []
    csv_fields: ClassVar[list[Field] | None] = None  # defaults to list_fields
    csv_filename: ClassVar[str] = "export.csv"
    create_label: ClassVar[Any] = ""
    # The errors the move service raises for a refused move; their text is shown to the user.
    refused_errors: ClassVar[tuple[type[Exception], ...]] = ()

    # --- what a pipeline provides -------------------------------------------------------------
    def stages(self) -> list[Stage]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def with_card_fields(self, queryset: QuerySet) -> QuerySet:
        """Related rows and annotations a card shows; must not add a query per card."""
        return queryset.select_related(self.responsible_field)

    def move(self, obj, to: str, *, by, reason: str = "") -> None:
        raise NotImplementedError

    def card_url(self, obj) -> str | None:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None

    def is_overdue(self, card) -> bool:
        deadline = getattr(card, "next_task_deadline", None)
        return deadline is not None and deadline < timezone.now()

    def create_url(self, user) -> str | None:
        """Where the board's "new" button leads, or None to show no button."""
        return None

    def source_choices(self) -> list[tuple[str, Any]]:
        if not self.source_field:
            return []
        return list(self.model._meta.get_field(self.source_field).choices or [])

    # --- URLs --------------------------------------------------------------------------------
    def urlpatterns(self, prefix: str) -> list:
        from . import views

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
        if not data.get("closed"):
            queryset = queryset.filter(**{f"{self.stage_field}__in": [s.slug for s in self.visible_stages(form)]})
        owner = self.responsible_field
        scope = data.get("scope") or Scope.ALL
        if scope == Scope.MINE:
            queryset = queryset.filter(**{owner: user.pk})
        elif scope == Scope.DEPARTMENT:
            mine = Q(**{owner: user.pk})
            if user.department_id is not None:
                mine |= Q(**{f"{owner}__department_id__in": department_subtree_ids(user.department_id)})
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
            text = Q()
            for name in self.search_fields:
                text |= Q(**{f"{name}__icontains": data["q"]})
            queryset = queryset.filter(text)
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
        """Count (and sum of amounts) per stage, in one query."""
        aggregates = {"n": Count("pk")}
        if self.amount_field:
            aggregates["total"] = Sum(self.amount_field)
        rows = queryset.order_by().values(self.stage_field).annotate(**aggregates)
        wanted = {stage.slug for stage in stages}
        return {row[self.stage_field]: (row["n"], row.get("total")) for row in rows if row[self.stage_field] in wanted}

    def cards(self, queryset: QuerySet, stage: Stage, offset: int = 0) -> tuple[list, int | None]:
        """One page of a column and the offset of the next page (None when this is the last)."""
        page = list(
            self.with_card_fields(self.ordered(queryset.filter(**{self.stage_field: stage.slug})))[
                offset : offset + self.per_column + 1
            ]
        )
        for card in page:
            card.board_overdue = self.is_overdue(card)
            deadline = getattr(card, "next_task_deadline", None)
            # Formatted here rather than with |date, which costs ~0.3 ms a card: a third of a
            # full board's render time.
            card.board_deadline = timezone.localtime(deadline).strftime("%d.%m %H:%M") if deadline else ""
        if len(page) > self.per_column:
            return page[: self.per_column], offset + self.per_column
        return page, None

    def columns(self, user, form: BoardFilterForm) -> list[Column]:
        queryset = self.filtered(user, form)
        stages = self.visible_stages(form)
        totals = self.stage_totals(queryset, stages)
        columns = []
        for stage in stages:
            count, total = totals.get(stage.slug, (0, None))
            column = Column(stage=stage, count=count, total=total if self.amount_field else None)
            column.cards, column.next_offset = self.cards(queryset, stage)
            columns.append(column)
        return columns

    # --- moving --------------------------------------------------------------------------------
    def try_move(self, obj, to: str, *, by, reason: str = "") -> MoveOutcome:
        if self.stage(to) is None:
            return MoveOutcome(400, gettext("There is no such stage on this board."))
        if not can(by, obj, Action.EDIT):
            return MoveOutcome(403, gettext("You may not change this card."))
        try:
            self.move(obj, to, by=by, reason=reason)
        except self.refused_errors as error:
            return MoveOutcome(409, str(getattr(error, "message", error)), list(getattr(error, "allowed", None) or []))
        return MoveOutcome(200)
