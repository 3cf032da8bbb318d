"""The Service Desk's part of `seed_demo`."""

from .history import seed_history
from .tickets import seed_servicedesk

DEMO_STEPS = [
    ("Service Desk: services, settings, tickets in every status", seed_servicedesk),
    ("Service Desk: the last months' tickets for the reports", seed_history),
]
