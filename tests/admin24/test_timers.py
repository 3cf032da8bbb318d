"""The automation clock: actions fire at their moment, once, and never after their target moved on."""

import datetime
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admin24 import clock, timers, worktime
from admin24.models import CalendarDay, Department, ScheduledAction
from admin24.roles import Role
from admin24.tasks import run_due_actions
from config.periodic import PERIODIC_TASKS
from tests.factories import UserFactory

MSK = ZoneInfo("Europe/Moscow")
CURRENT_TIME = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
Status = ScheduledAction.Status


class StagedDepartment(Department):
    """A department stands in for a deal: its name plays the stage it entered."""

    class Meta:
        proxy = True
        app_label = "admin24"

    @property
    def stage_entry_token(self) -> str:
        return f"stage:{self.name}"


calls: list[tuple] = []
behaviour: dict[str, object] = {}


@timers.handler("test.clock.remind")
def remind(target, action):
    calls.append(("remind", target.pk, action.pk))


@timers.handler("test.clock.flaky")
def flaky(target, action):
    # Writes first, then fails: the write must not survive a failed attempt.
    Department.objects.create(name=f"effect of attempt {action.attempts + 1}")
    if behaviour.get("fail_times", 0) > action.attempts:
        raise RuntimeError("mail server said no")
    calls.append(("flaky", target.pk, action.pk))


@timers.handler("test.clock.crash")
def crash(target, action):
    Department.objects.create(name="effect before the crash")
    if behaviour.get("crash"):
        raise KeyboardInterrupt
    calls.append(("crash", target.pk, action.pk))


@timers.sweep("test.clock.sweep")
def sweep(now, batch):
    if behaviour.get("sweep_breaks"):
        raise RuntimeError("the marked rows could not be read")
    return {}


@timers.handler("test.clock.payload")
def record_payload(target, action):
    calls.append(("payload", type(target), target.name, action.payload))


@timers.handler("test.clock.concurrent")
def concurrent(target, action):
    # Each worker's first handler waits for the other's: both must hold claimed rows at once,
    # which only SKIP LOCKED allows (a plain FOR UPDATE would make one wait and time out here).
    local = behaviour["thread_local"]
    if not getattr(local, "met", False):
        local.met = True
        behaviour["both_inside"].wait()
    calls.append((threading.current_thread().name, action.pk))


@timers.handler("test.clock.move_on")
def move_on(target, action):
    # What a robot does when its wait ends: moves the target to its next stage, cancelling its timers.
    target.name = "next stage"
    target.save()
    timers.cancel_pending(target, "test.clock.flaky")
    calls.append(("move_on", target.pk, action.pk))


@timers.handler("test.clock.what_now")
def what_now(target, action):
    # What a handler and the kernel helpers it calls take for "now"; a wait it schedules in the past.
    follow_up = timers.schedule(target, "test.clock.remind", clock.now() - datetime.timedelta(days=1))
    past = clock.now() - datetime.timedelta(days=3)
    calls.append(("now", clock.now(), clock.localdate(), worktime.not_before_now(past), follow_up.due_at))


@timers.handler("test.clock.ladder", series=("to",))
def ladder(target, action):
    calls.append(("ladder", action.payload))


@timers.handler("test.clock.chain")
def chain(target, action):
    calls.append(("chain", timers.counted_from(action)))


# A working Wednesday that another process declares a holiday in the middle of a run.
HOLIDAY_TO_BE = datetime.date(2026, 3, 4)


@timers.handler("test.clock.calendar")
def calendar_seen(target, action):
    calls.append(("working day", worktime.is_working_day(HOLIDAY_TO_BE)))
    if behaviour.pop("change_calendar", False):
        # As the admin's save in another process does: the row, then a new shared version.
        CalendarDay.objects.bulk_create([CalendarDay(date=HOLIDAY_TO_BE, kind=CalendarDay.Kind.HOLIDAY)])
        cache.set(worktime.VERSION_KEY, "written by another process", timeout=None)


@pytest.fixture(autouse=True)
def _clean_records():
    # The proxy's content type is created inside each test's rolled-back transaction: forget its cached id.
    ContentType.objects.clear_cache()
    calls.clear()
    behaviour.clear()
    yield
    ContentType.objects.clear_cache()
    calls.clear()
    behaviour.clear()


@pytest.fixture
def deal(db):
    return StagedDepartment.objects.create(name="feedback")


def at(**delta) -> datetime.datetime:
    return CURRENT_TIME + datetime.timedelta(**delta)


def refreshed(action: ScheduledAction) -> ScheduledAction:
    action.refresh_from_db()
    return action


# --- Firing ----------------------------------------------------------------------------------


def test_it_fires_exactly_at_its_moment(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(hours=1))
    with time_machine.travel(at(hours=1, seconds=-1), tick=False):
        assert timers.run_due() == 0
    assert calls == []
    assert refreshed(action).status == Status.PENDING
    with time_machine.travel(at(hours=1), tick=False):
        assert timers.run_due() == 1
    assert calls == [("remind", deal.pk, action.pk)]
    action = refreshed(action)
    assert action.status == Status.DONE
    assert action.finished_at == at(hours=1)


def test_it_fires_once_however_often_the_clock_ticks(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        timers.schedule(deal, "test.clock.remind", at(minutes=5))
    with time_machine.travel(at(minutes=10), tick=False):
        assert timers.run_due() == 1
        assert timers.run_due() == 0
    assert len(calls) == 1


def test_a_moment_already_past_is_due_at_once(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(days=-3))
        assert action.due_at == CURRENT_TIME
        assert timers.run_due() == 1
    assert len(calls) == 1


def test_the_handler_gets_the_target_as_scheduled_and_the_payload(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        timers.schedule(deal, "test.clock.payload", at(minutes=1), payload={"day": 10})
    with time_machine.travel(at(minutes=1), tick=False):
        timers.run_due()
    assert calls == [("payload", StagedDepartment, "feedback", {"day": 10})]


def test_a_batch_takes_the_earliest_first_and_leaves_the_rest_for_the_next(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        late = timers.schedule(deal, "test.clock.remind", at(minutes=3))
        early = timers.schedule(deal, "test.clock.remind", at(minutes=1))
    with time_machine.travel(at(minutes=5), tick=False):
        assert timers.run_due(batch=1) == 1
        assert [pk for _, _, pk in calls] == [early.pk]
        assert refreshed(late).status == Status.PENDING
        assert timers.run_due_until_idle(batch=1) == 1
    assert [pk for _, _, pk in calls] == [early.pk, late.pk]


# --- Registry --------------------------------------------------------------------------------


def test_scheduling_an_unregistered_action_is_refused(deal):
    with pytest.raises(timers.UnknownAction, match=r"test\.clock\.nobody"):
        timers.schedule(deal, "test.clock.nobody", at(hours=1))
    assert not ScheduledAction.objects.exists()


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(timers.DuplicateHandler, match=r"test\.clock\.remind"):
        timers.handler("test.clock.remind")(lambda target, action: None)


def test_a_row_whose_handler_is_gone_fails_loudly(deal, caplog):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(minutes=1))
        ScheduledAction.objects.filter(pk=action.pk).update(action="test.clock.renamed_away")
    with time_machine.travel(at(minutes=1), tick=False):
        assert timers.run_due() == 1
    action = refreshed(action)
    assert action.status == Status.FAILED
    assert "test.clock.renamed_away" in action.last_error
    assert "no registered handler" in caplog.text


def test_naive_moments_are_refused(deal):
    with pytest.raises(ValueError, match="aware"):
        timers.schedule(deal, "test.clock.remind", datetime.datetime(2026, 3, 2, 10, 0))


# --- Stale guard and cancelling --------------------------------------------------------------


def test_an_action_is_stale_once_its_target_entered_another_stage(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(days=10))
    deal.name = "contract"
    deal.save()
    with time_machine.travel(at(days=10), tick=False):
        assert timers.run_due() == 1
    assert calls == []
    assert refreshed(action).status == Status.STALE


def test_an_action_scheduled_after_re_entering_the_stage_still_fires(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        first = timers.schedule(deal, "test.clock.remind", at(days=1))
        deal.name = "contract"
        deal.save()
        second = timers.schedule(deal, "test.clock.remind", at(days=2))
    with time_machine.travel(at(days=2), tick=False):
        assert timers.run_due() == 2
    assert refreshed(first).status == Status.STALE
    assert refreshed(second).status == Status.DONE
    assert [pk for _, _, pk in calls] == [second.pk]


def test_an_action_whose_target_is_deleted_is_stale(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(minutes=1))
    deal.delete()
    with time_machine.travel(at(minutes=1), tick=False):
        timers.run_due()
    assert calls == []
    assert refreshed(action).status == Status.STALE


def test_an_action_later_in_the_same_batch_sees_what_an_earlier_handler_did(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        mover = timers.schedule(deal, "test.clock.move_on", at(minutes=1))
        reminder = timers.schedule(deal, "test.clock.remind", at(minutes=2))
        cancelled = timers.schedule(deal, "test.clock.flaky", at(minutes=3))
    with time_machine.travel(at(minutes=5), tick=False):
        assert timers.run_due() == 3
    assert calls == [("move_on", deal.pk, mover.pk)]
    assert refreshed(mover).status == Status.DONE
    assert refreshed(reminder).status == Status.STALE
    assert refreshed(cancelled).status == Status.CANCELLED


def test_cancel_pending_cancels_only_what_it_is_asked_to(deal):
    other = StagedDepartment.objects.create(name="other")
    with time_machine.travel(CURRENT_TIME, tick=False):
        reminder = timers.schedule(deal, "test.clock.remind", at(days=1))
        flaky_one = timers.schedule(deal, "test.clock.flaky", at(days=1))
        elsewhere = timers.schedule(other, "test.clock.remind", at(days=1))
        assert timers.cancel_pending(deal, "test.clock.remind") == 1
        assert refreshed(flaky_one).status == Status.PENDING
        assert timers.cancel_pending(deal) == 1
        assert timers.cancel_pending(deal) == 0
    with time_machine.travel(at(days=1), tick=False):
        assert timers.run_due() == 1
    assert refreshed(reminder).status == Status.CANCELLED
    assert refreshed(flaky_one).status == Status.CANCELLED
    assert calls == [("remind", other.pk, elsewhere.pk)]


# --- Errors, retries and crashes -------------------------------------------------------------


def test_a_failing_handler_is_retried_with_backoff_then_succeeds(deal):
    behaviour["fail_times"] = 2
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.flaky", CURRENT_TIME)
        assert timers.run_due() == 1
    action = refreshed(action)
    assert (action.status, action.attempts, action.due_at) == (Status.PENDING, 1, at(minutes=1))
    assert action.last_error == "RuntimeError: mail server said no"
    with time_machine.travel(at(seconds=59), tick=False):
        assert timers.run_due() == 0
    with time_machine.travel(at(minutes=1), tick=False):
        assert timers.run_due() == 1
    assert refreshed(action).due_at == at(minutes=3)  # the second retry waits two minutes
    with time_machine.travel(at(minutes=3), tick=False):
        assert timers.run_due() == 1
    action = refreshed(action)
    assert (action.status, action.attempts) == (Status.DONE, 2)
    assert calls == [("flaky", deal.pk, action.pk)]
    # Only the successful attempt left its effect behind.
    assert list(Department.objects.filter(name__startswith="effect").values_list("name", flat=True)) == [
        "effect of attempt 3"
    ]


def test_an_action_that_keeps_failing_is_failed_after_max_attempts(deal, caplog):
    behaviour["fail_times"] = 99
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.flaky", CURRENT_TIME)
    waits = []
    for _ in range(timers.MAX_ATTEMPTS):
        due = refreshed(action).due_at
        waits.append(due - CURRENT_TIME)
        with time_machine.travel(due, tick=False):
            assert timers.run_due() == 1
    action = refreshed(action)
    assert action.status == Status.FAILED
    assert action.attempts == timers.MAX_ATTEMPTS == 5
    assert waits == [datetime.timedelta(minutes=m) for m in (0, 1, 3, 7, 15)]
    assert "giving up" in caplog.text
    with time_machine.travel(at(days=1), tick=False):
        assert timers.run_due() == 0
    assert not Department.objects.filter(name__startswith="effect").exists()


def test_one_failing_handler_does_not_undo_the_others(deal):
    behaviour["fail_times"] = 1
    with time_machine.travel(CURRENT_TIME, tick=False):
        failing = timers.schedule(deal, "test.clock.flaky", CURRENT_TIME)
        fine = timers.schedule(deal, "test.clock.remind", CURRENT_TIME)
        assert timers.run_due() == 2
    assert refreshed(failing).status == Status.PENDING
    assert refreshed(fine).status == Status.DONE
    assert calls == [("remind", deal.pk, fine.pk)]


def test_a_crash_between_claim_and_commit_leaves_the_action_due(deal):
    behaviour["crash"] = True
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.crash", CURRENT_TIME)
        with pytest.raises(KeyboardInterrupt):
            timers.run_due()
    action = refreshed(action)
    assert (action.status, action.attempts, action.finished_at) == (Status.PENDING, 0, None)
    assert not Department.objects.filter(name="effect before the crash").exists()

    behaviour["crash"] = False
    with time_machine.travel(at(seconds=30), tick=False):
        assert timers.run_due() == 1
    assert refreshed(action).status == Status.DONE
    assert Department.objects.filter(name="effect before the crash").count() == 1


# --- Entry points: beat task, command, admin -------------------------------------------------


def test_beat_runs_the_clock_every_30_seconds(deal):
    assert any(t.task == "admin24.run_due_actions" and t.every_seconds == 30 for t in PERIODIC_TASKS)
    with time_machine.travel(CURRENT_TIME, tick=False):
        timers.schedule(deal, "test.clock.remind", CURRENT_TIME)
        assert run_due_actions() == 1
    assert len(calls) == 1


def test_the_command_runs_what_is_due_at_the_given_now(deal, capsys):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(days=3))
        call_command("run_due_actions", "--now", "2026-03-05T09:59:59+03:00")
        assert refreshed(action).status == Status.PENDING
        call_command("run_due_actions", "--now", "2026-03-05T10:00:00")  # no offset: Moscow time
    assert refreshed(action).status == Status.DONE
    assert capsys.readouterr().out.splitlines() == [
        "0 scheduled action(s) run",
        "1 scheduled action(s) run",
        "  test.clock.remind: done 1",
    ]


def test_the_command_explains_a_bad_now():
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("run_due_actions", "--now", "next tuesday")


# --- One clock for the whole run (issue 11 §4) ------------------------------------------------


def test_inside_a_run_every_now_is_the_runs_moment_without_time_travel(deal):
    # No time machine: the real clock runs on, and a run at a moment a year ahead must not see it.
    ahead = timezone.localtime(timezone.now() + datetime.timedelta(days=365)).replace(microsecond=0)
    action = timers.schedule(deal, "test.clock.what_now", ahead)
    assert timers.run_due(ahead) == 1
    [(name, now, today, not_before_now, follow_up_due)] = calls
    assert (name, now, today) == ("now", ahead, ahead.date())
    assert not_before_now == worktime.next_working_moment(ahead)
    assert follow_up_due == ahead  # a moment already past falls due at the run's moment, not the real one
    assert refreshed(action).finished_at == ahead
    # Outside a run, now is the real clock again.
    assert abs(clock.now() - timezone.now()) < datetime.timedelta(seconds=5)
    # What the handler scheduled "yesterday" is due at the run's moment, not before.
    calls.clear()
    assert timers.run_due_until_idle(ahead - datetime.timedelta(seconds=1)) == 0
    assert timers.run_due_until_idle(ahead) == 1
    assert [c[0] for c in calls] == ["remind"]


def test_every_batch_of_a_tick_runs_at_the_same_moment(deal):
    ahead = timezone.now() + datetime.timedelta(days=30)
    timers.schedule(deal, "test.clock.what_now", ahead)
    # The first batch runs the handler, the second the follow-up it scheduled "yesterday": both at ``ahead``.
    assert timers.run_due_until_idle(ahead, batch=1) == 2
    assert [c[0] for c in calls] == ["now", "remind"]
    assert set(ScheduledAction.objects.values_list("finished_at", flat=True)) == {ahead}


def test_a_run_decides_with_the_calendar_it_began_with_and_the_next_run_with_the_new_one(deal):
    """One calendar per run, as one moment (worktime.one_calendar): its handlers' working-time
    sums do not each ask the cache whether the calendar changed."""
    with time_machine.travel(CURRENT_TIME, tick=False):
        worktime.current_calendar()
        for _ in range(2):
            timers.schedule(deal, "test.clock.calendar", CURRENT_TIME)
        behaviour["change_calendar"] = True
        assert timers.run_due() == 2
        assert calls == [("working day", True), ("working day", True)]
        calls.clear()
        timers.schedule(deal, "test.clock.calendar", CURRENT_TIME)
        assert timers.run_due() == 1
    assert calls == [("working day", False)]
    # Outside a run every call sees a change at once, as before.
    assert not worktime.is_working_day(HOLIDAY_TO_BE)


def test_running_at_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"), clock.running_at(datetime.datetime(2026, 3, 2, 10, 0)):
        pass


# --- Catching up (issue 11 §5) -----------------------------------------------------------------


def test_of_a_ladders_steps_due_at_once_only_the_latest_runs_per_series(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        steps = [timers.schedule(deal, "test.clock.ladder", at(days=d), payload={"days": d}) for d in (10, 15, 20, 25)]
        boss = timers.schedule(deal, "test.clock.ladder", at(days=20), payload={"days": 20, "to": "boss"})
    with time_machine.travel(at(days=22), tick=False):  # back after an outage: days 10, 15 and 20 are past
        tally = Counter()
        assert timers.run_due_until_idle(tally=tally) == 4
    assert calls == [("ladder", {"days": 20}), ("ladder", {"days": 20, "to": "boss"})]
    assert [refreshed(step).status for step in steps] == [
        Status.SUPERSEDED,
        Status.SUPERSEDED,
        Status.DONE,
        Status.PENDING,
    ]
    assert refreshed(boss).status == Status.DONE
    assert tally == Counter({("test.clock.ladder", "done"): 2, ("test.clock.ladder", "superseded"): 2})
    with time_machine.travel(at(days=25), tick=False):
        assert timers.run_due() == 1
    assert calls[-1] == ("ladder", {"days": 25})


def test_a_ladder_on_time_runs_every_step(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        for d in (10, 15):
            timers.schedule(deal, "test.clock.ladder", at(days=d), payload={"days": d})
    for d in (10, 15):
        with time_machine.travel(at(days=d), tick=False):
            assert timers.run_due() == 1
    assert calls == [("ladder", {"days": 10}), ("ladder", {"days": 15})]


def test_a_later_step_of_another_stage_entry_supersedes_nothing(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        early = timers.schedule(deal, "test.clock.ladder", at(days=10), payload={"days": 10})
    # A row of the same name left from an earlier entry (another token) will never run: it cannot stand in.
    ScheduledAction.objects.create(
        target_type=ContentType.objects.get_for_model(StagedDepartment, for_concrete_model=False),
        target_id=deal.pk,
        action="test.clock.ladder",
        payload={"days": 15},
        due_at=at(days=15),
        stage_token="stage:long ago",
    )
    with time_machine.travel(at(days=20), tick=False):
        timers.run_due()
    assert refreshed(early).status == Status.DONE
    assert calls == [("ladder", {"days": 10})]


@pytest.mark.parametrize(
    ("late", "counted_from"),
    [
        (datetime.timedelta(seconds=30), at(days=2)),  # an ordinary tick: the chain keeps its rhythm
        (timers.CATCH_UP_AFTER, at(days=2)),
        (
            timers.CATCH_UP_AFTER + datetime.timedelta(seconds=1),
            at(days=2) + timers.CATCH_UP_AFTER + datetime.timedelta(seconds=1),
        ),
        (datetime.timedelta(days=14), at(days=16)),  # after an outage: from now
    ],
)
def test_a_chain_counts_its_next_step_from_its_moment_unless_it_fires_in_a_catch_up(deal, late, counted_from):
    with time_machine.travel(CURRENT_TIME, tick=False):
        timers.schedule(deal, "test.clock.chain", at(days=2))
    with time_machine.travel(at(days=2) + late, tick=False):
        timers.run_due()
    assert calls == [("chain", counted_from)]


def test_the_command_reports_what_it_ran_by_action_and_outcome(deal, capsys):
    behaviour["fail_times"] = 1
    with time_machine.travel(CURRENT_TIME, tick=False):
        for d in (1, 2, 3):
            timers.schedule(deal, "test.clock.ladder", at(days=d), payload={"days": d})
        timers.schedule(deal, "test.clock.remind", at(days=1))
        timers.schedule(deal, "test.clock.flaky", at(days=1))
        gone = StagedDepartment.objects.create(name="gone")
        timers.schedule(gone, "test.clock.remind", at(days=1))
    gone.delete()
    call_command("run_due_actions", "--now", at(days=5).isoformat())
    assert capsys.readouterr().out.splitlines() == [
        "6 scheduled action(s) run",
        "  test.clock.flaky: retrying 1",
        "  test.clock.ladder: done 1, superseded 2",
        "  test.clock.remind: done 1, stale 1",
    ]


@pytest.fixture
def administrator(db):
    return UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)


def test_an_administrator_runs_a_pending_action_now_from_the_admin(client, administrator, deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(days=20))
        untouched = timers.schedule(deal, "test.clock.remind", at(days=20))
    client.force_login(administrator)
    response = client.post(
        "/admin/admin24/scheduledaction/",
        {"action": "run_now", "_selected_action": [action.pk]},
        headers={"accept-language": "en"},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 action was processed." in response.content.decode()
    assert refreshed(action).status == Status.DONE
    assert refreshed(untouched).status == Status.PENDING
    assert calls == [("remind", deal.pk, action.pk)]


def test_the_admin_list_filters_what_is_due_now(client, administrator, deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        due = timers.schedule(deal, "test.clock.remind", at(minutes=-5))
        timers.schedule(deal, "test.clock.flaky", at(days=5))
        client.force_login(administrator)
        response = client.get("/admin/admin24/scheduledaction/?due_now=yes")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [due]
    assert "test.clock.remind" in response.content.decode()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_action_opens_read_only_in_both_languages(client, administrator, deal, language):
    with time_machine.travel(CURRENT_TIME, tick=False):
        action = timers.schedule(deal, "test.clock.remind", at(days=1), payload={"day": 10})
    client.force_login(administrator)
    response = client.get(f"/admin/admin24/scheduledaction/{action.pk}/change/", headers={"accept-language": language})
    assert response.status_code == 200
    page = response.content.decode()
    assert "test.clock.remind" in page
    assert 'name="_save"' not in page


def test_the_clock_admin_is_for_administrators_only(client, deal):
    engineer = UserFactory(roles=[Role.SUPPORT_ENGINEER], is_staff=True)
    client.force_login(engineer)
    assert client.get("/admin/admin24/scheduledaction/").status_code == 403


# --- PostgreSQL: concurrency and the index ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_run_each_action_exactly_once():
    deal = StagedDepartment.objects.create(name="feedback")
    actions = [timers.schedule(deal, "test.clock.concurrent", CURRENT_TIME) for _ in range(200)]
    behaviour["both_inside"] = threading.Barrier(2, timeout=15)
    behaviour["thread_local"] = threading.local()
    errors = []

    def worker():
        try:
            timers.run_due_until_idle(batch=20)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert timers.run_due() == 0
    assert sorted(pk for _, pk in calls) == sorted(a.pk for a in actions)  # every action once, none twice
    assert {name for name, _ in calls} == {"worker-1", "worker-2"}
    assert set(ScheduledAction.objects.values_list("status", flat=True)) == {Status.DONE}


@pytest.mark.postgres
def test_the_claim_query_walks_the_pending_index(deal):
    far = CURRENT_TIME + datetime.timedelta(days=365)
    rows = [
        ScheduledAction(
            target_type=ContentType.objects.get_for_model(StagedDepartment, for_concrete_model=False),
            target_id=deal.pk,
            action="test.clock.remind",
            due_at=far + datetime.timedelta(seconds=n),
            stage_token="stage:feedback",
            status=Status.PENDING if n % 4 else Status.DONE,
        )
        for n in range(20_000)
    ]
    ScheduledAction.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE admin24_scheduledaction")
    with CaptureQueriesContext(connection) as queries, time_machine.travel(CURRENT_TIME, tick=False):
        timers.run_due()
    claim = next(q["sql"] for q in queries if "SKIP LOCKED" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + claim)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "scheduled_pending_due" in plan, plan


# --- Batches -------------------------------------------------------------------------------------


@timers.handler("test.clock.batched")
def batched_one(target, action):
    if action.payload.get("bad"):
        raise RuntimeError("bad row")
    calls.append(("one", action.pk))


@timers.batch_handler("test.clock.batched")
def batched_all(pairs):
    Department.objects.create(name="effect of the whole batch")
    if any(action.payload.get("bad") for _target, action in pairs):
        raise RuntimeError("bad row in the batch")
    calls.append(("batch", sorted(action.pk for _target, action in pairs)))


@pytest.mark.django_db
def test_a_batch_handler_runs_every_due_action_of_its_name_at_once_in_constant_queries():
    def tick(count):
        targets = [StagedDepartment.objects.create(name=f"t{count}-{i}") for i in range(count)]
        with time_machine.travel(CURRENT_TIME, tick=False):
            actions = [timers.schedule(target, "test.clock.batched", CURRENT_TIME) for target in targets]
            calls.clear()
            with CaptureQueriesContext(connection) as queries:
                assert timers.run_due(batch=100) == count
        assert calls == [("batch", sorted(action.pk for action in actions))]
        assert {refreshed(action).status for action in actions} == {Status.DONE}
        return len(queries)

    assert tick(1) == tick(40)


@pytest.mark.django_db
def test_a_failing_batch_leaves_no_effect_and_its_actions_run_one_by_one():
    good, bad = StagedDepartment.objects.create(name="good"), StagedDepartment.objects.create(name="bad")
    moved = StagedDepartment.objects.create(name="moved")
    with time_machine.travel(CURRENT_TIME, tick=False):
        fine = timers.schedule(good, "test.clock.batched", CURRENT_TIME)
        failing = timers.schedule(bad, "test.clock.batched", CURRENT_TIME, payload={"bad": True})
        stale = timers.schedule(moved, "test.clock.batched", CURRENT_TIME)
        StagedDepartment.objects.filter(pk=moved.pk).update(name="elsewhere")
        tally = Counter()
        assert timers.run_due(tally=tally) == 3
    assert not Department.objects.filter(name="effect of the whole batch").exists()
    assert calls == [("one", fine.pk)]
    assert refreshed(fine).status == Status.DONE
    assert refreshed(failing).status == Status.PENDING and refreshed(failing).attempts == 1
    assert refreshed(stale).status == Status.STALE
    assert tally == Counter({("test.clock.batched", "done"): 1, ("test.clock.batched", "retrying"): 1,
                             ("test.clock.batched", "stale"): 1})  # fmt: skip


@timers.batch_handler("test.clock.batched_only")
def batched_only(pairs):
    if len(pairs) > 1 and any(action.payload.get("bad") for _target, action in pairs):
        raise RuntimeError("bad row in the batch")
    calls.append(("batch", sorted(action.pk for _target, action in pairs)))


@pytest.mark.django_db
def test_without_a_handler_of_its_own_a_failed_batchs_actions_run_alone_through_the_batch_handler():
    good, bad = StagedDepartment.objects.create(name="good"), StagedDepartment.objects.create(name="bad")
    with time_machine.travel(CURRENT_TIME, tick=False):
        fine = timers.schedule(good, "test.clock.batched_only", CURRENT_TIME)
        other = timers.schedule(bad, "test.clock.batched_only", CURRENT_TIME, payload={"bad": True})
        calls.clear()
        assert timers.run_due() == 2
    assert sorted(calls) == [("batch", [fine.pk]), ("batch", [other.pk])]
    assert refreshed(fine).status == refreshed(other).status == Status.DONE


@timers.batch_handler("test.clock.batched_ladder", series=("to",))
def batched_ladder(pairs):
    calls.append(("ladder batch", sorted((action.payload["to"], action.payload["day"]) for _t, action in pairs)))


@pytest.mark.django_db
def test_a_batched_ladder_runs_only_the_latest_due_step_of_each_series_in_constant_queries():
    def tick(count):
        targets = [StagedDepartment.objects.create(name=f"ladder{count}-{i}") for i in range(count)]
        with time_machine.travel(CURRENT_TIME, tick=False):
            for target in targets:
                for day, to in ((3, "manager"), (5, "manager"), (20, "supervisor"), (25, "manager")):
                    timers.schedule(target, "test.clock.batched_ladder", at(days=day), payload={"to": to, "day": day})
            other_entry = timers.schedule(
                targets[0], "test.clock.batched_ladder", at(days=9), payload={"to": "manager", "day": 9}
            )
            # A step of an earlier stage entry is a series of its own: it supersedes nothing (it is stale).
            ScheduledAction.objects.filter(pk=other_entry.pk).update(stage_token="stage:earlier")
        calls.clear()
        tally = Counter()
        with CaptureQueriesContext(connection) as queries:
            timers.run_due(at(days=21), batch=1000, tally=tally)  # days 3, 5 and 20 are due, 25 is not
        assert calls == [("ladder batch", sorted([("manager", 5), ("supervisor", 20)] * count))]
        assert tally == Counter({("test.clock.batched_ladder", "done"): 2 * count,
                                 ("test.clock.batched_ladder", "superseded"): count,
                                 ("test.clock.batched_ladder", "stale"): 1})  # fmt: skip
        assert (
            ScheduledAction.objects.filter(target_id__in=[t.pk for t in targets], status=Status.PENDING).count()
            == count
        )
        return len(queries)

    assert tick(3) == tick(30)


@pytest.mark.django_db
def test_a_batched_ladder_step_due_alone_runs_like_any_other():
    target = StagedDepartment.objects.create(name="ladder alone")
    with time_machine.travel(CURRENT_TIME, tick=False):
        timers.schedule(target, "test.clock.batched_ladder", at(days=3), payload={"to": "manager", "day": 3})
        timers.schedule(target, "test.clock.batched_ladder", at(days=5), payload={"to": "manager", "day": 5})
    timers.run_due(at(days=3))
    timers.run_due(at(days=5))
    assert calls == [("ladder batch", [("manager", 3)]), ("ladder batch", [("manager", 5)])]


@timers.batch_handler("test.clock.locked_counter", lock=True)
def locked_counter(pairs):
    # Read-modify-write of each target as the clock read it: a lost update unless the clock locked it.
    if threading.current_thread().name == "first":
        behaviour["first_inside"].set()
        assert behaviour["go"].wait(timeout=20)
    for target, action in pairs:
        target.name = str(int(target.name) + 1)
        calls.append((threading.current_thread().name, action.pk))
    for target in {target.pk: target for target, _action in pairs}.values():
        target.save(update_fields=["name"])


def _someone_waits_for_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')")
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locking_batch_handler_makes_a_second_worker_wait_for_the_targets_and_runs_each_action_once():
    targets = [Department.objects.create(name="0") for _ in range(5)]
    first = [timers.schedule(t, "test.clock.locked_counter", CURRENT_TIME + datetime.timedelta(seconds=n))
             for n, t in enumerate(targets)]  # fmt: skip
    second = [timers.schedule(t, "test.clock.locked_counter", CURRENT_TIME + datetime.timedelta(seconds=10 + n))
              for n, t in enumerate(targets)]  # fmt: skip
    ScheduledAction.objects.update(due_at=F("due_at") - datetime.timedelta(days=1))
    behaviour["first_inside"], behaviour["go"] = threading.Event(), threading.Event()
    start = threading.Barrier(2, timeout=20)
    errors = []

    def worker():
        try:
            start.wait()
            if threading.current_thread().name == "second":
                assert behaviour["first_inside"].wait(timeout=20)
            timers.run_due(batch=5)  # the first worker claims the first five, the second the other five
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    try:
        assert behaviour["first_inside"].wait(timeout=20)
        # The second worker claimed its five (SKIP LOCKED) and now waits for the targets the first holds.
        waited = False
        for _ in range(400):
            if _someone_waits_for_a_row_lock():
                waited = True
                break
            threading.Event().wait(0.05)
    finally:
        behaviour["go"].set()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert waited
    assert Counter(pk for _name, pk in calls) == Counter({a.pk: 1 for a in first + second})  # each action once
    assert {name for name, pk in calls if pk in {a.pk for a in first}} == {"first"}
    assert {name for name, pk in calls if pk in {a.pk for a in second}} == {"second"}
    assert sorted(Department.objects.filter(pk__in=[t.pk for t in targets]).values_list("name", flat=True)) == ["2"] * 5
    assert set(ScheduledAction.objects.values_list("status", flat=True)) == {Status.DONE}


def test_a_failing_sweep_does_not_stop_the_due_actions_of_its_tick(deal):
    with time_machine.travel(CURRENT_TIME, tick=False):
        due = timers.schedule(deal, "test.clock.remind", at(minutes=-1))
        behaviour["sweep_breaks"] = True
        tally = Counter()
        assert timers.run_due_until_idle(tally=tally) == 1
    assert calls == [("remind", deal.pk, due.pk)]
    assert refreshed(due).status == Status.DONE
    assert tally[("test.clock.sweep", timers.FAILED)] == 1
