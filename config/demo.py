"""Demo data for `make run` and manual checks: the kernel's steps, then each app's, in an order
where every step finds what it builds on (the service desk's clients are the CRM's contacts)."""

from django.db import transaction

from admin24 import demo as kernel
from crm import demo as crm
from servicedesk import demo as servicedesk

DEMO_STEPS = [*kernel.DEMO_STEPS, *crm.DEMO_STEPS, *servicedesk.DEMO_STEPS]


@transaction.atomic
def seed_demo() -> dict[str, object]:
    """Run every step (each is idempotent); returns what each step made, by its label."""
    return {label: step() for label, step in DEMO_STEPS}
