from argparse import ArgumentTypeError
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from admin24 import timers


def _moment(text: str):
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise ArgumentTypeError(f"expected an ISO 8601 date and time, e.g. 2026-03-02T09:00:00+03:00; got {text!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def report(tally: Counter) -> list[str]:
    """One line per action name: how many ended how (``done 2, superseded 1``)."""
    lines = []
    for action in sorted({action for action, _outcome in tally}):
        counts = ", ".join(
            f"{outcome} {tally[(action, outcome)]}" for outcome in timers.OUTCOMES if tally[(action, outcome)]
        )
        lines.append(f"  {action}: {counts}")
    return lines


class Command(BaseCommand):
    help = "Run the scheduled actions that are due (what beat does every 30 seconds)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=_moment,
            help=(
                "Treat this moment as now (ISO 8601; without an offset it is in TIME_ZONE). For staging checks: "
                "every handler, and every robot it runs, sees this moment as now."
            ),
        )
        parser.add_argument("--batch", type=int, default=100, help="Actions claimed per transaction.")

    def handle(self, *args, now=None, batch=100, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        tally = Counter()
        ran = timers.run_due_until_idle(now, batch=batch, tally=tally)
        self.stdout.write(f"{ran} scheduled action(s) run")
        for line in report(tally):
            self.stdout.write(line)
