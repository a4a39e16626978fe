"""Run the matching and forwarding sweeps now, as beat would (docs/linking.md).

After `seed_demo`, or on a desk with no broker (no beat), this finds the link suggestions and
applies the forwarding rules for everything recorded since the last sweep.
"""

from django.core.management.base import BaseCommand

from cases import tasks


class Command(BaseCommand):
    help = "Match identifiers, parties and venues across cases and apply the forwarding rules."

    def handle(self, *args, **options):
        matched = tasks.match_sweep()
        report = tasks.forwarding_sweep()
        self.stdout.write(
            f"matched {matched} records; forwarding: {report['created']} new, "
            f"{report['attached']} attached, {report['completed']} completed, "
            f"{report['soon']} due-soon and {report['overdue']} overdue notices sent"
        )
