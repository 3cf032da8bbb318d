"""The notifications app's periodic tasks (``config.periodic`` collects them)."""

from admin24.periodic import PeriodicTask

PERIODIC_TASKS = [PeriodicTask("sweep outbox", "notifications.sweep_outbox", 60)]
