"""Pipelines and the one way an entity changes stage (DESIGN.md "Pipelines and robots").

An app declares a ``Pipeline`` (stages, guards, robots) in its pipeline module; ``move`` and
``start`` run it. The workflow knows no app: it finds an entity's pipeline by its ``pipeline_key``.
"""

from .engine import allowed_moves, first_entry, move, move_many, start, start_many
from .errors import DomainError, MoveRefused
from .pipeline import ACTIVE, HOLD, LOST, WON, Pipeline, Stage, pipeline_for

__all__ = [
    "ACTIVE",
    "HOLD",
    "LOST",
    "WON",
    "DomainError",
    "MoveRefused",
    "Pipeline",
    "Stage",
    "allowed_moves",
    "first_entry",
    "move",
    "move_many",
    "pipeline_for",
    "start",
    "start_many",
]
