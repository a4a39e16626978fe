import datetime
import itertools

from cases.models import Case
from reports import rollups
from tests.factories import industry, region

_numbers = itertools.count(100_000)
OPENED = datetime.datetime(2026, 5, 14, 15, 0, tzinfo=datetime.UTC)


def cases(n, *, where="US-TX", what="agriculture_animal_husbandry", type="labor", opened_at=OPENED):
    """`n` cases by bulk insert (the triggers mark them like any other write)."""
    place = region(where) if where else None
    kind = industry(what) if what else None
    return Case.objects.bulk_create(
        Case(
            reference=f"HT-{opened_at.year}-{next(_numbers):06d}",
            region=place,
            industry=kind,
            trafficking_type=type,
            opened_at=opened_at,
        )
        for _ in range(n)
    )


def rolled_up():
    rollups.rollup_pending()
