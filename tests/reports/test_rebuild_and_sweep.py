"""The nightly rebuild and a sweep at the same moment (PostgreSQL): both take the rollup tables
before the dirty marks, so neither waits for the other in a cycle; both finish and the figures
are exact."""

import datetime
import threading
import time
import zlib

import pytest
from django.db import connection, connections

from cases.models import Case
from reports import rollups
from reports.models import DirtyDay, Metric
from tests.reports.source import actual, expected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DAY = datetime.date(2026, 3, 2)


def _waiting(locktype):
    """How many lock requests of `locktype` other connections are waiting for."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = %s", [locktype]
        )
        return cursor.fetchone()[0]


def _until(condition):
    # Waits for another connection to reach a lock; not a timing assertion.
    for _ in range(400):
        if condition():
            return True
        time.sleep(0.025)
    return False


def test_a_rebuild_started_while_a_sweep_holds_marks_does_not_deadlock():
    Case.objects.bulk_create(
        Case(
            reference=f"HT-2026-{i:06d}",
            opened_at=datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)
            + datetime.timedelta(hours=9 * i),
        )
        for i in range(1, 60)
    )
    assert DirtyDay.objects.filter(metric=Metric.CASES_OPENED, day=DAY).exists()
    results = {}
    gate = connections.create_connection("default")
    gate_cursor = gate.cursor()
    # Holds the advisory lock of one marked day: the sweep stops right after its claim.
    gate_cursor.execute("BEGIN")
    gate_cursor.execute(
        "SELECT pg_advisory_xact_lock(%s, %s)",
        [zlib.crc32(Metric.CASES_OPENED.encode()) & 0x7FFFFFFF, DAY.toordinal()],
    )

    def run(name, action):
        try:
            results[name] = action()
        except Exception as error:  # inspected below
            results[name] = error
        finally:
            connections.close_all()

    sweep = threading.Thread(target=run, args=("sweep", rollups.rollup_pending))
    rebuild = threading.Thread(target=run, args=("rebuild", rollups.rollup_rebuild))
    try:
        sweep.start()
        assert _until(lambda: _waiting("advisory") == 1)
        rebuild.start()
        # The rebuild waits: for the sweep's marks (the old order) or for the rollup tables.
        assert _until(lambda: _waiting("transactionid") + _waiting("relation") >= 1)
    finally:
        gate_cursor.execute("COMMIT")
        gate.close()
    sweep.join(timeout=60)
    rebuild.join(timeout=60)
    assert not isinstance(results.get("sweep"), Exception), results
    assert not isinstance(results.get("rebuild"), Exception), results
    rollups.rollup_pending()
    assert actual() == expected()


def test_the_rebuild_swaps_in_tables_with_the_same_indexes_constraints_and_sequences():
    from reports.rollups import DERIVED

    def shape():
        with connection.cursor() as cursor:
            found = {}
            for model in DERIVED:
                table = model._meta.db_table
                constraints = connection.introspection.get_constraints(cursor, table)
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                (sequence,) = cursor.fetchone()
                # The rebuild hands out ids a thousand at a time while filling; the swapped-in
                # sequence is back to the migration's one at a time.
                cursor.execute(
                    "SELECT seqcache FROM pg_sequence WHERE seqrelid = %s::regclass", [sequence]
                )
                found[table] = (sorted(constraints), sequence, cursor.fetchone()[0])
            return found

    Case.objects.bulk_create(
        Case(
            reference=f"HT-2026-{i:06d}",
            opened_at=datetime.datetime(2026, 3, i, tzinfo=datetime.UTC),
        )
        for i in range(1, 20)
    )
    rollups.rollup_pending()
    before = shape()
    assert "rollup_metric_day_idx" in before["reports_rollup"][0]
    assert "reports_rollup_pkey" in before["reports_rollup"][0]
    assert before["reports_rollup"][2] == 1
    rollups.rollup_rebuild(rewrite=True)
    rollups.rollup_rebuild(rewrite=True)
    assert shape() == before
    # The identity columns still number new rows: an incremental run after the swap inserts.
    Case.objects.bulk_create([Case(reference="HT-2026-999999", opened_at=DAY_AT)])
    rollups.rollup_pending()
    assert actual() == expected()


DAY_AT = datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)
