"""The Service Desk's periodic tasks (``config.periodic`` collects them)."""

from admin24.periodic import PeriodicTask

PERIODIC_TASKS = [
    # Telegram updates stored but not handled (the broker was down when they came).
    PeriodicTask("sweep telegram updates", "servicedesk.telegram_sweep", 60),
    PeriodicTask("sweep inbound email", "servicedesk.sweep_inbound_email", 60),
    PeriodicTask("poll the support mailbox", "servicedesk.poll_mailbox", 60),
]
