"""`manage.py poll_mailbox`: read the support mailbox now (beat does it every minute)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Read new mail from the mailbox configured on the Service Desk settings page."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Ignore the backoff after a failure.")

    def handle(self, *args, **options):
        from servicedesk.intake.email import mailbox
        from servicedesk.models import DeskSettings

        stored = mailbox.poll(force=options["force"])
        error = DeskSettings.load().imap_last_error
        self.stdout.write(f"stored {stored}" + (f"; error: {error}" if error else ""))
