"""What a pipeline declares: stages in order, guards per target stage, robots per entered stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise

ACTIVE = "active"
WON = "won"
LOST = "lost"
HOLD = "hold"

# guard(entity, *, by, reason) -> a message saying why the move is refused, or None
Guard = Callable[..., "str | Promise | None"]
# robot(entity, *, by, from_stage, reason) -> None; runs inside the move's transaction
Robot = Callable[..., None]


@dataclass(frozen=True)
class Stage:
    slug: str
    label: Promise | str
    order: int
    kind: str = ACTIVE

    @property
    def is_closed(self) -> bool:
        return self.kind != ACTIVE


@dataclass
class Pipeline:
    key: str
    label: Promise | str
    stages: list[Stage]
    field_name: str = "stage"
    guards: dict[str, list[Guard]] = field(default_factory=dict)
    robots: dict[str, list[Robot]] = field(default_factory=dict)
    # Robots registered with ``batch=True``: they take a list of entities (``start_many``).
    batch_robots: set = field(default_factory=set)

    def __post_init__(self):
        _PIPELINES[self.key] = self

    def stage(self, slug: str) -> Stage | None:
        return next((s for s in self.stages if s.slug == slug), None)

    def label_of(self, slug: str) -> str:
        stage = self.stage(slug)
        return str(stage.label) if stage else slug

    def slugs(self, *kinds: str) -> list[str]:
        return [s.slug for s in self.stages if not kinds or s.kind in kinds]

    def guard(self, *targets: str) -> Callable[[Guard], Guard]:
        """Register a check that runs before every move into one of ``targets``."""

        def register(fn: Guard) -> Guard:
            for target in targets:
                self.guards.setdefault(target, []).append(fn)
            return fn

        return register

    def on_enter(self, *targets: str, batch: bool = False) -> Callable[[Robot], Robot]:
        """Register a robot that runs after every move into one of ``targets``, in order.

        ``batch``: the robot takes a list of entities that entered the stage together (one
        entity after a move; all of a clock batch's in ``start_many``), so that it writes its
        rows for all of them in one statement."""

        def register(fn: Robot) -> Robot:
            for target in targets:
                self.robots.setdefault(target, []).append(fn)
            if batch:
                self.batch_robots.add(fn)
            return fn

        return register


_PIPELINES: dict[str, Pipeline] = {}


def pipeline_for(entity) -> Pipeline:
    try:
        return _PIPELINES[entity.pipeline_key]
    except KeyError:
        raise LookupError(f"No pipeline is registered as {entity.pipeline_key!r}") from None
