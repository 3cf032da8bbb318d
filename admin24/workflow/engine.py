"""The one way an entity changes stage, for every pipeline of every app.

``move`` checks the user's rights, that the pipeline has the move and the move's guards, then in
one transaction applies the django-fsm transition, counts the stage entry (the automation clock
compares that token), logs the activity with how long the entity stayed in the stage it left (the
reports aggregate that stored length instead of pairing up the log's moves), cancels the old
stage's timers and runs the new stage's robots. Any failure rolls all of it back.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from admin24 import bulk, clock, timers
from admin24.access import Action, can, require
from admin24.messages import Message, site_text
from admin24.models import Activity

from .. import activity
from .errors import MoveRefused
from .pipeline import Pipeline, pipeline_for


def _state(entity, pipeline: Pipeline) -> str:
    return getattr(entity, pipeline.field_name)


def _transitions(entity, pipeline: Pipeline) -> dict:
    """Target stage → name of the transition method that gets there from the current stage."""
    available = getattr(entity, f"get_available_{pipeline.field_name}_transitions")()
    in_pipeline = set(pipeline.slugs())
    return {t.target: t.name for t in available if t.target in in_pipeline}


def allowed_moves(entity, user, *, may_edit: bool | None = None) -> list[str]:
    """The stages ``user`` may try to move ``entity`` to, in the pipeline's order.

    A move listed here can still be refused by its guard (a required field, a reason).
    ``user=None`` means a robot, which is not bound by access rights. Lists pass ``may_edit``
    when they have checked the rights for a whole page in one query.
    """
    if may_edit is None:
        may_edit = user is None or can(user, entity, Action.EDIT)
    if not may_edit:
        return []
    pipeline = pipeline_for(entity)
    targets = _transitions(entity, pipeline)
    return [slug for slug in pipeline.slugs() if slug in targets]


def move(entity, to: str, *, by, reason: "str | Message" = ""):
    """Move ``entity`` to the stage ``to`` on behalf of ``by`` (None: a robot); returns the entity.

    ``reason`` is what a person typed, or a robot's ``Message``: the timeline and the closing
    reason keep the message and show it in each reader's language; guards and robots get its
    text in the site's language, so that what they store does not depend on who was active.

    Raises ``PermissionDenied`` without the right to edit the entity and ``MoveRefused`` when the
    move does not exist or a guard refuses it.
    """
    move_many([entity], to, by=by, reason=reason)
    return entity


def move_many(entities: list, to: str, *, by, reason: "str | Message" = "") -> list:
    """``move`` of many entities of one pipeline to the same stage ``to`` at once (a batch of
    client replies reopening their tickets); returns the entities, each listed once.

    Each is checked as ``move`` checks it (rights, the move from its stage, the guards); one
    refused refuses them all and nothing moves. Then, in one transaction, the same effects as
    ``move`` one by one: the stage entries written in one UPDATE (after one ``SELECT … FOR
    UPDATE`` that finds none moved meanwhile, the check django-fsm makes for one), the timeline in
    one INSERT, the stages' timers cancelled in one UPDATE, and the new stage's robots run once
    per stage left (a ``batch=True`` robot once for all the entities that left that stage): a
    number of queries that does not grow with the entities, for batch robots.
    """
    unique = list({id(entity): entity for entity in entities}.values())
    if not unique:
        return unique
    for entity in unique:
        require(by, entity, Action.EDIT, message=_("You may not change this card."))
    pipeline = pipeline_for(unique[0])
    said = reason if isinstance(reason, Message) else None
    reason = (site_text(said) if said is not None else str(reason or "")).strip()
    target = pipeline.stage(to)
    moves = []  # (entity, the stage it leaves, its transition's method name)
    for entity in unique:
        if pipeline_for(entity) is not pipeline:
            raise ValueError("move_many moves the entities of one pipeline")
        current = _state(entity, pipeline)
        transitions = _transitions(entity, pipeline)
        allowed = [slug for slug in pipeline.slugs() if slug in transitions]
        if target is None:
            raise MoveRefused(_("There is no stage “%(stage)s”.") % {"stage": to}, allowed=allowed)
        if to not in transitions:
            raise MoveRefused(
                _("A card in «%(from)s» cannot be moved to «%(to)s».")
                % {"from": pipeline.label_of(current), "to": target.label},
                allowed=allowed,
            )
        for guard in pipeline.guards.get(to, ()):
            refusal = guard(entity, by=by, reason=reason)
            if refusal:
                raise MoveRefused(refusal, allowed=allowed)
        moves.append((entity, current, transitions[to]))
    try:
        with transaction.atomic():
            left_at = clock.now()
            log = []
            for entity, current, method in moves:
                # The stage being left was entered at ``stage_changed_at`` (creation, for the first one).
                stayed = (left_at - entity.stage_changed_at).total_seconds()
                getattr(entity, method)()
                log.append(
                    activity.build(
                        target=entity,
                        verb=Activity.Verb.MOVED,
                        by=by,
                        text="" if said else reason,
                        message=said,
                        data={"from": current, "to": to},
                        stay_seconds=stayed,
                    )
                )
            _enter_many(
                [(entity, current) for entity, current, _method in moves],
                pipeline,
                reason=reason if target.is_closed else "",
                said=said if target.is_closed else None,
                at=left_at,
            )
            activity.record_many(log)
            timers.cancel_pending_many(unique)
            left: dict[str, list] = {}
            for entity, current, _method in moves:
                left.setdefault(current, []).append(entity)
            for current, group in left.items():
                _run_robots(group, pipeline, to, by=by, from_stage=current, reason=reason)
    except ConcurrentTransition:
        for entity in unique:
            entity.refresh_from_db()
        raise MoveRefused(
            _("Someone has just moved this card. Reload the page and try again."),
            allowed=allowed_moves(unique[0], by),
        ) from None
    except BaseException:
        # The transaction is rolled back; the caller's instances must not keep the new stage.
        for entity in unique:
            entity.refresh_from_db()
        raise
    return unique


def start(entity, *, by, counted: bool = False) -> None:
    """Run the robots of a just-created entity's first stage. Call inside the creating transaction.

    ``counted``: the entity was stored with that entry counted already (its fields from
    ``first_entry``), as a new ticket is, and its robots were left for later (the ticket's
    follow-up, maybe in a clock action's transaction): only the robots run.
    """
    start_many([entity], by=by, counted=counted)


def start_many(entities: list, *, by, counted: bool = False) -> None:
    """``start`` for many just-created entities at once (a clock batch): a robot registered with
    ``batch=True`` runs once for all the entities of its stage, the others once per entity."""
    groups: dict[tuple[str, str], tuple[Pipeline, str, list]] = {}
    for entity in entities:
        pipeline = pipeline_for(entity)
        if not counted:
            _enter(entity, pipeline, reason="", at=clock.now())
        stage = _state(entity, pipeline)
        groups.setdefault((pipeline.key, stage), (pipeline, stage, []))[2].append(entity)
    for pipeline, stage, group in groups.values():
        _run_robots(group, pipeline, stage, by=by, from_stage="", reason="")


def _entry(at, *, entries_before: int = 0, reason: str = "", said: Message | None = None) -> dict:
    """The stage bookkeeping of entering a stage at ``at`` (field → value): the entry counted (the
    automation clock compares that token), when, and the closing reason (empty but in a closed
    stage). The one rule of ``move`` and ``start``, and of the creators that store an entity with
    its first entry counted already (``first_entry``)."""
    return {
        "stage_entry_count": entries_before + 1,
        "stage_changed_at": at,
        "closing_reason": reason,
        "closing_reason_message": said.stored if said is not None else {},
    }


def first_entry(at) -> dict:
    """``entry`` of an entity created in its first stage at ``at``, for the fields of a row a
    creator stores itself (a bulk INSERT) before ``start_many(..., counted=True)`` runs the robots."""
    return _entry(at)


def _enter_fields(pipeline: Pipeline) -> list[str]:
    """What entering a stage writes."""
    return [pipeline.field_name, *_entry(None), "updated_at"]


def _count_entry(entity, *, reason: str, at, said: Message | None) -> None:
    for name, value in _entry(at, entries_before=entity.stage_entry_count, reason=reason, said=said).items():
        setattr(entity, name, value)


def _enter(entity, pipeline: Pipeline, *, reason: str, at, said: Message | None = None) -> None:
    _count_entry(entity, reason=reason, at=at, said=said)
    entity.save(update_fields=_enter_fields(pipeline))


def _enter_many(moved: list[tuple], pipeline: Pipeline, *, reason: str, at, said: Message | None = None) -> None:
    """``_enter`` of many entities just moved (each with the stage it left): one entity is saved
    (django-fsm refuses the save if its stage changed meanwhile); many are locked and checked in
    one query, then written in one UPDATE."""
    if len(moved) == 1:
        _enter(moved[0][0], pipeline, reason=reason, at=at, said=said)
        return
    entities = [entity for entity, _left in moved]
    model = type(entities[0])
    stored = dict(
        model._default_manager.select_for_update()
        .filter(pk__in=[entity.pk for entity in entities])
        .values_list("pk", pipeline.field_name)
    )
    if any(stored.get(entity.pk) != left for entity, left in moved):
        raise ConcurrentTransition("a stage changed since it was read")
    for entity in entities:
        _count_entry(entity, reason=reason, at=at, said=said)
        entity.updated_at = at
    bulk.update_rows(entities, _enter_fields(pipeline))
    for entity in entities:
        if hasattr(entity, "_update_initial_state"):
            entity._update_initial_state()  # django-fsm: later saves check the stage it has now


def _run_robots(entities: list, pipeline: Pipeline, stage: str, *, by, from_stage: str, reason: str) -> None:
    """The stage's robots for ``entities`` (all in ``stage``): a ``batch=True`` robot once for them all."""
    for robot in pipeline.robots.get(stage, ()):
        if robot in pipeline.batch_robots:
            robot(entities, by=by, from_stage=from_stage, reason=reason)
        else:
            for entity in entities:
                robot(entity, by=by, from_stage=from_stage, reason=reason)
