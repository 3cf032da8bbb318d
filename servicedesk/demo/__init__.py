"""The Service Desk's part of `seed_demo`."""

from .tickets import seed_servicedesk

DEMO_STEPS = [("Service Desk: services, settings, tickets in every status", seed_servicedesk)]
