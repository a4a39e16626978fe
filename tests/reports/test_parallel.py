"""Two rollup runs at once (two database connections) share the marks between them, never
both recompute a day into duplicate rows, and leave the figures exact (PostgreSQL: SKIP LOCKED
claims and advisory locks per day)."""

import datetime
import threading

import pytest
from django.db import connection, connections

from cases.models import Case
from hotline.models import Call
from reports import rollups
from reports.models import DirtyDay, Rollup
from tests.reports.source import actual, expected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_runs_leave_every_figure_exact():
    start = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
    Call.objects.bulk_create(
        Call(
            channel="phone",
            caller_type="anonymous",
            reason="crisis",
            started_at=start + datetime.timedelta(hours=7 * i),
        )
        for i in range(3000)
    )
    Case.objects.bulk_create(
        Case(reference=f"HT-2026-{i:06d}", opened_at=start + datetime.timedelta(hours=5 * i))
        for i in range(1, 1500)
    )
    # Every day marked twice more, so both runs find work on the same days.
    marks = list(DirtyDay.objects.values_list("metric", "day"))
    DirtyDay.objects.bulk_create(DirtyDay(metric=m, day=d) for m, d in marks * 2)
    errors = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            rollups.rollup_pending(batch=500)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert not DirtyDay.objects.exists()
    assert actual() == expected()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT metric, day, region_id, channel, caller_type, "
            "count(*) FROM reports_rollup WHERE metric = 'calls' "
            "GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d"
        )
        assert cursor.fetchone()[0] == 0
    assert Rollup.objects.filter(metric="calls").count() > 0
