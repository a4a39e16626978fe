from django.core.management.base import BaseCommand

from reports import rollups


class Command(BaseCommand):
    help = (
        "Bring the statistics rollups up to date now: recompute the days marked as changed, "
        "or with --full every row."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Rebuild every row from the source tables."
        )

    def handle(self, *args, full=False, **options):
        if full:
            rows = rollups.rollup_rebuild()
            self.stdout.write(f"Rebuilt the rollups: {rows} rows.")
        else:
            marks = rollups.rollup_pending()
            self.stdout.write(f"Recomputed the rollups for {marks} changed-day marks.")
