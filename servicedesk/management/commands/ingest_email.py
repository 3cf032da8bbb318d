"""`manage.py ingest_email`: one message from standard input, for Postfix `pipe` / Exim transports.

Exit 0 once the message is stored (processed, ignored or quarantined alike); 75 (EX_TEMPFAIL)
when the database cannot be reached, so the mail server keeps the message and retries.
"""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store and process one email read as bytes from standard input."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--source", default="pipe", help="What delivered it (pipe, imap, esp, other).")

    def handle(self, *args, stdin=None, **options):
        from servicedesk.intake.email import ingest
        from servicedesk.models import InboundEmail

        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read()
        source = options["source"] if options["source"] in InboundEmail.Source.values else "other"
        try:
            row = ingest(raw, source=source, process_now=True)
        except (DatabaseError, InterfaceError) as exc:
            self.stderr.write(f"ingest_email: the database is unreachable, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{row.pk} {row.status} {row.reason_text}")
