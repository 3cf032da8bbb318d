"""The Service Desk's periodic tasks (``config.periodic`` collects them)."""

from admin24.periodic import PeriodicTask

PERIODIC_TASKS = [
    PeriodicTask("sweep inbound email", "servicedesk.sweep_inbound_email", 60),
    PeriodicTask("poll the support mailbox", "servicedesk.poll_mailbox", 60),
]
