"""Forwarding deadlines in the statistics: the share forwarded on time per month, from the
rollups, equal to what cases.selectors.forwarding_on_time_by_month counts from the source."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases import selectors as case_selectors
from cases.models import Case, Forwarding, ForwardingRule
from reports import charts, rollups
from reports.models import DirtyDay
from tests.factories import region
from tests.reports.helpers import cases, rolled_up
from tests.reports.source import (
    actual,
    expected,
    margins,
    margins_from_daily,
    monthly,
    monthly_from_daily,
    snapshot,
)

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def chicago(settings):
    # Days and months are counted in TIME_ZONE: a deadline at 03:00 UTC on 1 October is in
    # September in Chicago, for the selector and the rollup alike.
    settings.TIME_ZONE = "America/Chicago"


@pytest.fixture
def rule(db):
    return ForwardingRule.objects.get_or_create(
        name="Minor in commercial sex: law enforcement within 24 hours",
        defaults={
            "trafficking_type": "sex",
            "requires_minor_victim": True,
            "organisation_type": "LawEnforcement",
            "due_within_hours": 24,
        },
    )[0]


def deadline(case, rule, due, answered=None):
    return Forwarding.objects.create(
        case=case,
        rule=rule,
        organisation_type=rule.organisation_type,
        matched_at=due - 24 * HOUR,
        due_at=due,
        completed_at=answered,
    )


def at(month, day, hour=15):
    return datetime.datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def deadlines(rule):
    """August: 3 on time, 1 late, 1 never answered (overdue). September: 1 on time (due 03:00
    UTC on 1 October, so 30 September in Chicago), 1 late, 2 overdue. One due next week."""
    texas = cases(8, where="US-TX", what="escort_services", type="sex")
    california = cases(5, where="US-CA", what="escort_services", type="sex")
    deadline(texas[0], rule, at(8, 3), answered=at(8, 3) - 2 * HOUR)
    deadline(texas[1], rule, at(8, 10), answered=at(8, 10))  # at the deadline: on time
    deadline(texas[2], rule, at(8, 20), answered=at(8, 20) - 20 * HOUR)
    deadline(texas[3], rule, at(8, 21), answered=at(8, 21) + 3 * HOUR)
    deadline(texas[4], rule, at(8, 31))
    deadline(texas[5], rule, at(10, 1, hour=3), answered=at(9, 30, hour=20))
    deadline(california[0], rule, at(9, 12), answered=at(9, 14))
    deadline(california[1], rule, at(9, 15))
    deadline(california[2], rule, at(9, 29))
    soon = timezone.now() + datetime.timedelta(days=7)
    deadline(california[3], rule, soon)
    rolled_up()
    return {"texas": texas, "california": california}


def selector_by_month():
    return {
        timezone.localtime(row["month"]).date() if isinstance(row["month"], datetime.datetime)
        else row["month"]: row
        for row in case_selectors.forwarding_on_time_by_month()
    }  # fmt: skip


def chart(date_from=datetime.date(2026, 1, 1), date_to=None, **filters):
    date_to = date_to or timezone.localdate() + datetime.timedelta(days=30)
    return charts.forwarding_on_time(
        charts.Filters(date_from=date_from, date_to=date_to, **filters)
    )


def test_the_share_on_time_per_month_equals_the_selectors_figures(deadlines):
    months = selector_by_month()
    rows = {row[0]: row for row in chart()["rows"]}
    assert sorted(rows) == ["2026-08", "2026-09"]
    for key, (_, due, on_time, late, overdue, share) in rows.items():
        figures = months[datetime.date.fromisoformat(key + "-01")]
        assert figures["pending"] == 0
        assert due == figures["total"]
        assert on_time == figures["on_time"]
        assert late + overdue == figures["late"]
        assert share == round(100 * figures["on_time"] / figures["total"], 1)
    assert rows["2026-08"][1:] == [5, 3, 1, 1, 60.0]
    assert rows["2026-09"][1:] == [4, 1, 1, 2, 25.0]
    # The deadline still ahead is the selector's "pending"; the chart waits until its day ends.
    assert sum(row["pending"] for row in months.values()) == 1


def test_filters_apply_to_the_forwarding_chart(deadlines):
    texas = region("US-TX")
    rows = chart(region_path=texas.path)["rows"]
    assert [row[:5] for row in rows] == [["2026-08", 5, 3, 1, 1], ["2026-09", 1, 1, 0, 0]]
    assert chart(industry="construction")["rows"] == []


def test_a_range_that_ends_in_the_middle_of_a_month_reads_the_days_up_to_its_end(deadlines):
    rows = chart(date_to=datetime.date(2026, 8, 20))["rows"]
    assert rows == [["2026-08", 3, 3, 0, 0, 100.0]]


def test_an_overdue_deadline_counts_once_its_day_is_over(rule):
    (case,) = cases(1, type="sex")
    today = timezone.localdate()
    # Due early today (local): overdue now, and its day is not over.
    deadline(case, rule, timezone.localtime().replace(hour=0, minute=0, second=1, microsecond=0))
    rolled_up()
    assert chart(date_from=today - datetime.timedelta(days=40))["rows"] == []
    assert chart(date_from=today - datetime.timedelta(days=40), date_to=today)["rows"] == []
    tomorrow = charts.forwarding_on_time(
        charts.Filters(date_from=today - datetime.timedelta(days=40), date_to=today),
        today=today + datetime.timedelta(days=1),
    )
    assert [row[1:] for row in tomorrow["rows"]] == [[1, 0, 0, 1, 0.0]]


def test_the_trigger_marks_the_deadlines_day_and_a_moved_case_marks_it_too(deadlines):
    DirtyDay.objects.all().delete()
    row = Forwarding.objects.get(case=deadlines["texas"][4])
    Forwarding.objects.filter(pk=row.pk).update(completed_at=row.due_at + HOUR)
    assert set(DirtyDay.objects.values_list("metric", "day")) == {
        ("forwardings", row.due_at.astimezone(UTC).date())
    }
    DirtyDay.objects.all().delete()
    moved = deadlines["california"][0]
    Case.objects.filter(pk=moved.pk).update(region=region("US-TX"))
    due = Forwarding.objects.get(case=moved).due_at.astimezone(UTC).date()
    assert ("forwardings", due) in set(DirtyDay.objects.values_list("metric", "day"))


def test_the_incremental_rollup_equals_the_rebuild_after_changes(deadlines, rule):
    texas, california = deadlines["texas"], deadlines["california"]
    # Answered late, answered on time, a deadline moved to another month, a case moved to
    # another state, one deleted, one added.
    overdue = Forwarding.objects.get(case=texas[4])
    Forwarding.objects.filter(pk=overdue.pk).update(completed_at=overdue.due_at + 30 * HOUR)
    waiting = Forwarding.objects.get(case=california[1])
    waiting.completed_at = waiting.due_at - HOUR
    waiting.save()
    Forwarding.objects.filter(case=texas[0]).update(
        matched_at=at(7, 1), due_at=at(7, 2), completed_at=at(7, 3)
    )
    Case.objects.filter(pk=texas[5].pk).update(region=region("US-CA"))
    Forwarding.objects.filter(case=texas[2]).delete()
    deadline(texas[6], rule, at(9, 2), answered=at(9, 1))
    rolled_up()
    assert not DirtyDay.objects.exists()
    assert actual() == expected()
    assert monthly() == monthly_from_daily()
    assert margins() == margins_from_daily()
    incremental = snapshot()
    rows = chart()["rows"]
    rollups.rollup_rebuild()
    assert snapshot() == incremental
    assert margins() == margins_from_daily()
    assert chart()["rows"] == rows
    months = selector_by_month()
    for key, _, on_time, late, overdue, _ in rows:
        figures = months[datetime.date.fromisoformat(key + "-01")]
        assert (on_time, late + overdue) == (figures["on_time"], figures["late"])
    assert [row[:5] for row in rows] == [
        ["2026-07", 1, 0, 1, 0],
        ["2026-08", 3, 1, 2, 0],
        ["2026-09", 5, 3, 1, 1],
    ]


def test_the_stats_api_returns_forwardings_by_result_and_month(advocate, deadlines):
    client = APIClient()
    client.force_login(advocate)
    params = {
        "metric": "forwardings",
        "group_by": "forwarding_result",
        "period": "month",
        "from": "2026-01-01",
        "to": "2026-10-31",
    }
    response = client.get("/api/v1/stats/", params)
    assert response.status_code == 200
    cells = {
        (row["period"], row["forwarding_result"]): row["count"]
        for row in response.json()["results"]
    }
    assert cells == {
        ("2026-08-01", "on_time"): 3,
        ("2026-08-01", "late"): 1,
        ("2026-08-01", "open"): 1,
        ("2026-09-01", "on_time"): 1,
        ("2026-09-01", "late"): 1,
        ("2026-09-01", "open"): 2,
    }
    on_time = client.get("/api/v1/stats/", {"metric": "forwardings_on_time", "group_by": "region"})
    assert {row["region"]: row["count"] for row in on_time.json()["results"]} == {"US-TX": 4}


def test_partners_read_forwardings_on_time_as_part_of_the_forwardings_table(partner, deadlines):
    client = APIClient()
    client.force_login(partner)
    response = client.get("/api/v1/stats/", {"metric": "forwardings_on_time", "year": "2026"})
    assert response.status_code == 400
    assert "forwardings&group_by=forwarding_result" in str(response.json())
    table = client.get(
        "/api/v1/stats/",
        {"metric": "forwardings", "group_by": "forwarding_result", "year": "2026"},
    )
    assert table.status_code == 200


def test_the_dashboard_shows_the_share_forwarded_on_time_per_month(client, supervisor, deadlines):
    client.force_login(supervisor)
    params = {"date_from": "2026-01-01", "date_to": timezone.localdate().isoformat()}
    with CaptureQueriesContext(connection) as context:
        response = client.get("/dashboard/", params)
    assert response.status_code == 200
    forwarding = response.context["charts"]["forwarding"]
    assert forwarding["title"] == "Forwarded on time, per month"
    assert [row[0] for row in forwarding["rows"]] == ["2026-08", "2026-09"]
    assert [row[-1] for row in forwarding["rows"]] == [60.0, 25.0]
    html = response.content.decode()
    assert 'id="chart-forwarding"' in html and "Forwarded on time, per month" in html
    assert not [q for q in context.captured_queries if '"cases_forwarding"' in q["sql"]]
    csv = client.get("/dashboard/csv/forwarding/", params).content.decode().splitlines()
    assert csv[1:] == ["2026-08,5,3,1,1,60.0", "2026-09,4,1,1,2,25.0"]
