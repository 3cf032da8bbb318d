"""The one kanban component: boards for tickets, leads and both deal pipelines plug in here."""

from .board import Board, Card, Column, Field, MoveOutcome, Stage
from .filters import BoardFilterForm, Scope

__all__ = ["Board", "BoardFilterForm", "Card", "Column", "Field", "MoveOutcome", "Scope", "Stage"]
