"""The fixed periodic tasks, declared in code and synced to django-celery-beat at start.

`python manage.py setup_periodic_tasks` writes them (and removes ours that are gone), so the
schedule in the database always matches this list. Beat must run exactly once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    task: str
    every_seconds: int


PERIODIC_TASKS: list[PeriodicTask] = []
PERIODIC_TASKS.append(PeriodicTask("run due actions", "admin24.run_due_actions", 30))
PERIODIC_TASKS.append(PeriodicTask("sweep outbox", "notifications.sweep_outbox", 60))
