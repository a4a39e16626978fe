"""The nightly reconciliation on PostgreSQL (reports.rollups._reconcile): every daily row is
compared with the source tables and only what is wrong is written; the months and margins must
add up to the daily rows. When the rollups are empty or mostly wrong, the tables are written
anew instead (_rebuild_by_swap), as `rollup --full --rewrite` (weekly) does."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from cases.models import Case
from reports import rollups
from reports.models import MarginDay, MarginMonth, Rollup, RollupMonth
from tests.reports.helpers import cases
from tests.reports.source import (
    actual,
    expected,
    margins,
    margins_from_daily,
    monthly,
    monthly_from_daily,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
OPENED = datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC)


def _table_oid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'reports_rollup'::regclass::oid")
        return cursor.fetchone()[0]


def _ids():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in rollups.DERIVED
    }


def _exact():
    assert actual() == expected()
    assert monthly() == monthly_from_daily()
    assert margins() == margins_from_daily()


@pytest.fixture
def in_place(monkeypatch):
    """However much differs, reconcile in place (not the swap): with this fixture's forty days,
    one wrong month would otherwise be past the rewrite's share."""
    monkeypatch.setattr(rollups, "REWRITE_SHARE", 100)


@pytest.fixture
def rolled_up():
    """Cases on many days, rolled up: the rollups right and not empty."""
    for day in range(40):
        cases(2, opened_at=OPENED + datetime.timedelta(days=day))
    cases(3, where="US-CA", what="construction", opened_at=OPENED)
    rollups.rollup_pending()
    _exact()


def _without_triggers(sql, params=()):
    """A change the triggers do not see (as a restore or a replica-role session would make)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_rollups_that_are_right_are_left_as_they_are(rolled_up):
    before, oid = _ids(), _table_oid()
    assert rollups.rollup_rebuild() == 0
    assert _ids() == before and _table_oid() == oid
    _exact()


def test_a_source_change_the_triggers_missed_is_found_and_its_day_recomputed(rolled_up):
    moved = Case.objects.filter(opened_at=OPENED).order_by("pk").first()
    _without_triggers(
        "UPDATE cases_case SET opened_at = opened_at + interval '3 days' WHERE id = %s",
        [moved.pk],
    )
    assert actual() != expected()
    oid = _table_oid()
    assert rollups.rollup_rebuild() > 0
    assert _table_oid() == oid  # recomputed in place, not written anew
    _exact()


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE reports_rollup SET count = count + 1 "
        "WHERE id = (SELECT min(id) FROM reports_rollup)",
        "DELETE FROM reports_rollup WHERE id = (SELECT max(id) FROM reports_rollup)",
        "INSERT INTO reports_rollup (metric, day, region_id, industry_id, trafficking_type, "
        "channel, caller_type, detail, age_band, gender, minor, count) SELECT metric, day, "
        "region_id, industry_id, trafficking_type, channel, caller_type, detail, age_band, "
        "gender, minor, 1 FROM reports_rollup WHERE id = (SELECT min(id) FROM reports_rollup)",
        "UPDATE reports_rollup SET day = day + 1 WHERE id = (SELECT min(id) FROM reports_rollup)",
    ],
    ids=["a count changed", "a row lost", "a row doubled", "a row moved to the next day"],
)
def test_a_wrong_daily_row_is_put_right(rolled_up, in_place, tamper):
    with connection.cursor() as cursor:
        cursor.execute(tamper)
    assert actual() != expected()
    oid = _table_oid()
    rollups.rollup_rebuild()
    assert _table_oid() == oid
    _exact()


@pytest.mark.parametrize(
    ("model", "margin"),
    [(RollupMonth, None), (MarginDay, ""), (MarginDay, "region_id"), (MarginMonth, "industry_id")],
)
def test_a_derived_row_that_does_not_add_up_is_put_right(rolled_up, in_place, model, margin):
    rows = model.objects.all() if margin is None else model.objects.filter(margin=margin)
    row = rows.order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET count = count + 5 WHERE id = %s", [row.pk]
        )
    oid, daily = _table_oid(), sorted(Rollup.objects.values_list("pk", flat=True))
    assert rollups.rollup_rebuild() == 0  # no daily row was wrong
    assert _table_oid() == oid and sorted(Rollup.objects.values_list("pk", flat=True)) == daily
    _exact()


def test_a_margin_the_metric_does_not_have_is_removed(rolled_up, in_place):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_marginday (metric, margin, day, region_id, industry_id, "
            "trafficking_type, channel, caller_type, detail, age_band, gender, minor, count) "
            "VALUES ('cases_opened', 'channel', %s, NULL, NULL, '', 'phone', '', '', '', '', "
            "'', 2)",
            [OPENED.date()],
        )
    rollups.rollup_rebuild()
    _exact()


@pytest.mark.parametrize(
    "tamper",
    [
        # A margin row moved to another state: every total of the month still agrees.
        "UPDATE reports_marginday SET region_id = (SELECT max(id) FROM hotline_region) "
        "WHERE id = (SELECT min(id) FROM reports_marginday WHERE margin = 'region_id')",
        # A value in a column the metric does not have (nothing writes one).
        "UPDATE reports_rollup SET channel = 'phone' "
        "WHERE id = (SELECT min(id) FROM reports_rollup WHERE metric = 'cases_opened')",
    ],
    ids=["a margin row moved within its month", "a column the metric does not have"],
)
def test_what_the_nightly_totals_cannot_see_the_weekly_rewrite_puts_right(
    rolled_up, in_place, tamper
):
    with connection.cursor() as cursor:
        cursor.execute(tamper)
    tampered = (actual(), margins())
    rollups.rollup_rebuild()
    assert (actual(), margins()) == tampered  # the limit docs/rollups.md states
    rollups.rollup_rebuild(rewrite=True)
    _exact()


def test_a_derived_row_of_a_month_with_no_daily_rows_is_removed(rolled_up, in_place):
    stray = RollupMonth.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_rollupmonth (metric, day, region_id, industry_id, "
            "trafficking_type, channel, caller_type, detail, age_band, gender, minor, count) "
            "VALUES (%s, '2019-01-01', NULL, NULL, '', '', '', '', '', '', '', 7)",
            [stray.metric],
        )
    rollups.rollup_rebuild()
    _exact()


def test_empty_rollups_are_written_anew_in_one_go(rolled_up):
    for model in rollups.DERIVED:
        model.objects.all().delete()
    oid = _table_oid()
    assert rollups.rollup_rebuild() == Rollup.objects.count() > 0
    assert _table_oid() != oid  # the swap: new tables
    _exact()


def test_when_most_days_are_wrong_the_tables_are_written_anew(rolled_up):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_rollup SET count = count + 1")
    oid = _table_oid()
    rollups.rollup_rebuild()
    assert _table_oid() != oid
    _exact()


def test_the_command_reconciles_or_with_rewrite_writes_anew(rolled_up, capsys):
    oid = _table_oid()
    call_command("rollup", "--full")
    assert _table_oid() == oid
    assert "Reconciled" in capsys.readouterr().out
    call_command("rollup", "--full", "--rewrite")
    assert _table_oid() != oid
    assert "Rebuilt" in capsys.readouterr().out
    _exact()
