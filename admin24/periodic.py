"""How a periodic task is declared, and the kernel's own.

Each app declares its fixed periodic tasks in its ``periodic`` module; ``config.periodic`` lists
them all and `python manage.py setup_periodic_tasks` writes them (and removes ours that are gone),
so the schedule in the database always matches the code. Beat must run exactly once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    task: str
    every_seconds: int


PERIODIC_TASKS = [PeriodicTask("run due actions", "admin24.run_due_actions", 30)]
