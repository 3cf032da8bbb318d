"""Every app's fixed periodic tasks, synced to django-celery-beat by `setup_periodic_tasks`."""

from admin24 import periodic as kernel
from notifications import periodic as notifications
from servicedesk import periodic as servicedesk

PERIODIC_TASKS = [*kernel.PERIODIC_TASKS, *notifications.PERIODIC_TASKS, *servicedesk.PERIODIC_TASKS]
