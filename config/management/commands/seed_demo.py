from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from admin24.demo import DEMO_PASSWORD, USERS
from config.demo import seed_demo


class Command(BaseCommand):
    help = "Fill the database with demo data (idempotent: running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (the demo accounts have a published password).",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off: demo accounts have a known password. Pass --allow-production to seed anyway."
            )
        results = seed_demo()
        for label, result in results.items():
            self.stdout.write(f"{label}: {result or 'already there'}")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for username, last_name, first_name, _dept, roles, _heads in USERS:
            self.stdout.write(f"  {username:<14} {first_name} {last_name} — {', '.join(roles)}")
