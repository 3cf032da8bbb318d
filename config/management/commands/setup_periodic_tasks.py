from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.periodic import PERIODIC_TASKS

OWNED_PREFIX = "admin24:"


class Command(BaseCommand):
    help = "Write the periodic tasks declared in config.periodic to django-celery-beat's tables."

    @transaction.atomic
    def handle(self, *args, **options):
        wanted = {OWNED_PREFIX + spec.name for spec in PERIODIC_TASKS}
        for spec in PERIODIC_TASKS:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=spec.every_seconds, period=IntervalSchedule.SECONDS
            )
            PeriodicTask.objects.update_or_create(
                name=OWNED_PREFIX + spec.name,
                defaults={"task": spec.task, "interval": interval, "crontab": None, "enabled": True},
            )
        removed, _ = PeriodicTask.objects.filter(name__startswith=OWNED_PREFIX).exclude(name__in=wanted).delete()
        self.stdout.write(f"{len(PERIODIC_TASKS)} periodic task(s) in place, {removed} removed")
