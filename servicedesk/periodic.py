"""The service desk's periodic tasks (``config.periodic`` collects them)."""

from admin24.periodic import PeriodicTask

# Telegram updates stored but not handled (the broker was down when they came).
PERIODIC_TASKS = [PeriodicTask("sweep telegram updates", "servicedesk.telegram_sweep", 60)]
