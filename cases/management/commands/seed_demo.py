"""`manage.py seed_demo`: fill an empty database with demo data and print the demo accounts.

The generation itself lives in cases/demo.py.
"""

import argparse
import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases import demo


def _count(value):
    if not value.isdigit():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a count: give a whole number, 0 or more"
        )
    return int(value)


def _day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: write it as YYYY-MM-DD, like 2026-03-01"
        ) from None


class Command(BaseCommand):
    help = (
        "Load three years of synthetic calls, tips and cases (the same for the same --seed and "
        "--today), with forwarding deadlines and, from 20 cases, a demo operation whose link "
        "suggestions wait for a supervisor (docs/demo-data.md); create the demo accounts. "
        "Refuses a database that already has calls or cases unless --if-empty is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--calls", type=_count, default=20_000, help="Calls to load (20000).")
        parser.add_argument("--cases", type=_count, default=2_000, help="Cases to load (2000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (1).")
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="The day the history ends, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="When data is already there, only create the demo accounts that are missing; "
            "exit 0.",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="No progress lines (the accounts still print)."
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even though DEBUG is off (never on a real hotline's database).",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if not settings.DEBUG and not options["allow_without_debug"]:
            # The demo accounts have published passwords: on a production database they would
            # be open doors.
            raise CommandError(
                "seed_demo creates accounts with published passwords, so it only runs with "
                "DEBUG=1. On a throwaway database, add --allow-without-debug."
            )
        if demo.data_present():
            if not options["if_empty"]:
                raise CommandError(
                    "The database already has calls or cases; seed_demo only fills an empty "
                    "database. Use --if-empty to keep the data and just create the demo "
                    "accounts that are missing, or seed a fresh database."
                )
            accounts = demo.accounts_ensure()
            if verbosity > 0:
                self.stdout.write("demo data already present")
        else:
            write = None if options["quiet"] or verbosity == 0 else self.stdout.write
            progress = demo.Progress(write)
            accounts = demo.accounts_ensure()
            created = sum(1 for _account, was_created in accounts if was_created)
            progress.say(f"accounts: {created} created, {len(accounts) - created} already there")
            counts = demo.seed(
                calls=options["calls"],
                cases=options["cases"],
                seed=options["seed"],
                today=options["today"] or timezone.localdate(),
                progress=progress,
            )
            summary = ", ".join(f"{number:,} {name}" for name, number in counts.items())
            progress.say(f"loaded {summary}")
        if verbosity > 0:
            self.write_accounts(accounts)

    def write_accounts(self, accounts):
        """The demo accounts and their published passwords. An account that existed before was
        left exactly as it was, password included, and the table says so."""
        existed = "existed already: its password was left as it was"
        noted = not all(created for _account, created in accounts)
        rows = [("role", "username", "demo password") + (("note",) if noted else ())]
        for account, created in accounts:
            row = (account.role, account.username, account.password)
            rows.append(row + (("" if created else existed,) if noted else ()))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        self.stdout.write("")
        for index, row in enumerate(rows):
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
