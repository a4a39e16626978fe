"""`manage.py retention`: what the retention policy erases (a dry run, by default), or erase it.

    manage.py retention                        # what would be erased today; nothing changes
    manage.py retention --apply                # erase it
    manage.py retention --before 2019-01-01    # one-off cut-off: cases closed before that day

See docs/retention.md.
"""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.retention import COUNT_KINDS, retention_erase

LABELS = {
    "cases": "cases",
    "parties": "parties (name, aliases, date of birth, description)",
    "identifiers": "identifiers (deleted)",
    "notes": "notes",
    "venues": "venues (name, address)",
    "referrals": "referrals (notes)",
    "outcomes": "outcomes (notes)",
    "tips": "tips linked only to erased cases",
    "calls": "calls linked only to erased cases (summary)",
}
# Case references listed at normal verbosity; -v 2 lists them all.
LISTED = 50


def parse_day(value):
    """A YYYY-MM-DD date, or CommandError saying what to type."""
    message = f"--before must be a date written YYYY-MM-DD, such as 2019-01-31, not {value!r}."
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        raise CommandError(message)
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(message) from None


class Command(BaseCommand):
    help = (
        "Show what the retention policy erases (dry run, the default), or erase it with --apply: "
        "the identities in cases closed more than HOTLINE_RETENTION_YEARS years ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Erase. Without it nothing is changed and the report says what would be erased.",
        )
        parser.add_argument(
            "--before",
            metavar="YYYY-MM-DD",
            help="One-off cut-off instead of the policy's: cases closed before this day.",
        )

    def handle(self, *args, apply=False, before=None, verbosity=1, **options):
        years = settings.HOTLINE_RETENTION_YEARS
        day = parse_day(before) if before is not None else None
        if day is None and not years:
            self.stdout.write(
                "The retention policy is off (HOTLINE_RETENTION_YEARS is 0): nothing is erased. "
                "For a one-off, give --before YYYY-MM-DD."
            )
            return
        try:
            report = retention_erase(before=day, dry_run=not apply)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

        if day is None:
            self.stdout.write(
                f"Policy: identities in cases closed more than {years} years ago are erased "
                f"(HOTLINE_RETENTION_YEARS={years})."
            )
        else:
            self.stdout.write(f"One-off cut-off given with --before (policy: {years} years).")
        self.stdout.write(f"Cut-off: cases closed before {report.cutoff.isoformat()}.")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed. Would erase:")
        else:
            self.stdout.write("Erased:")
        width = max(len(label) for label in LABELS.values())
        for kind in COUNT_KINDS:
            self.stdout.write(f"  {LABELS[kind]:<{width}}  {report.counts[kind]:>8,}")
        if report.cases:
            shown = report.cases if verbosity > 1 else report.cases[:LISTED]
            more = len(report.cases) - len(shown)
            tail = f" and {more:,} more (-v 2 lists them all)" if more else ""
            self.stdout.write("Cases: " + ", ".join(shown) + tail)
        if report.dry_run:
            if any(report.counts.values()):
                self.stdout.write("Run again with --apply to erase.")
            else:
                self.stdout.write("Nothing is due.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Done: identities in {report.counts['cases']:,} cases erased.")
            )
