from django.core.management.base import BaseCommand, CommandError

from reports import rollups


class Command(BaseCommand):
    help = (
        "Bring the statistics rollups up to date now: recompute the days marked as changed, "
        "or with --full check every row against the source tables (the nightly reconciliation)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Compare every row with the source tables and recompute what differs.",
        )
        parser.add_argument(
            "--rewrite",
            action="store_true",
            help="With --full: write every table anew from the source tables, whatever "
            "differs (after a change to how the rollups are computed, or a restore).",
        )

    def handle(self, *args, full=False, rewrite=False, **options):
        if rewrite and not full:
            raise CommandError("--rewrite goes with --full.")
        if full and rewrite:
            rows = rollups.rollup_rebuild(rewrite=True)
            self.stdout.write(f"Rebuilt the rollups: {rows} rows.")
        elif full:
            rows = rollups.rollup_rebuild()
            self.stdout.write(
                f"Reconciled the rollups with the source tables: {rows} daily rows written."
            )
        else:
            marks = rollups.rollup_pending()
            self.stdout.write(f"Recomputed the rollups for {marks} changed-day marks.")
