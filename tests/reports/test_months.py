"""Whole months are read from the monthly rows, partial ones from the daily rows: whatever the
range, the answer is the one the daily rows alone give."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports import selectors
from reports.models import Rollup
from tests.reports.helpers import cases, rolled_up

D = datetime.date


@pytest.mark.parametrize(
    ("start", "end", "daily", "months"),
    [
        (D(2026, 1, 1), D(2026, 12, 31), [], (D(2026, 1, 1), D(2027, 1, 1))),
        (
            D(2026, 1, 15),
            D(2026, 3, 10),
            [(D(2026, 1, 15), D(2026, 2, 1)), (D(2026, 3, 1), D(2026, 3, 11))],
            (D(2026, 2, 1), D(2026, 3, 1)),
        ),
        (D(2026, 1, 15), D(2026, 1, 20), [(D(2026, 1, 15), D(2026, 1, 21))], None),
        (D(2026, 1, 15), D(2026, 2, 10), [(D(2026, 1, 15), D(2026, 2, 11))], None),
        (None, None, [], (None, None)),
        (None, D(2026, 3, 10), [(D(2026, 3, 1), D(2026, 3, 11))], (None, D(2026, 3, 1))),
        (D(2026, 1, 31), None, [(D(2026, 1, 31), D(2026, 2, 1))], (D(2026, 2, 1), None)),
    ],
)
def test_a_range_splits_into_partial_days_and_whole_months(start, end, daily, months):
    assert selectors.split_range(start, end) == (daily, months)


@pytest.fixture
def data(db):
    start = datetime.datetime(2025, 12, 20, 15, tzinfo=datetime.UTC)
    for i in range(0, 120, 3):
        cases(
            1 + i % 4,
            where="US-TX" if i % 2 else "MX",
            opened_at=start + datetime.timedelta(days=i),
        )
    rolled_up()


dates = st.dates(min_value=D(2025, 12, 1), max_value=D(2026, 5, 1))


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.none() | dates,
    end=st.none() | dates,
    group_by=st.sampled_from(
        [[], ["region"], ["period"], ["region", "period"], ["industry", "region"], ["type"]]
    ),
    period=st.sampled_from(["day", "week", "month", "year"]),
)
@pytest.mark.django_db
def test_any_range_gives_what_the_daily_rows_alone_give(
    data, monkeypatch, start, end, group_by, period
):
    if start and end and start > end:
        start, end = end, start
    query = selectors.StatsQuery(
        metric="cases", group_by=group_by, period=period, date_from=start, date_to=end
    )
    answer = selectors.table(query)
    with monkeypatch.context() as patch:
        # Every day of the range from the daily rows, none from the monthly ones.
        patch.setattr(
            selectors,
            "split_range",
            lambda first, last: ([(first, last and last + datetime.timedelta(days=1))], None),
        )
        from_days = selectors.table(query)
    assert answer == from_days
    with monkeypatch.context() as patch:
        # The full rollups rather than the margins: the same answer.
        patch.setattr(selectors, "margin_for", lambda query: None)
        assert selectors.table(query) == answer
    assert sum(answer.values()) == sum(
        Rollup.objects.filter(metric="cases_opened")
        .filter(**({"day__gte": start} if start else {}), **({"day__lte": end} if end else {}))
        .values_list("count", flat=True)
    )


@pytest.mark.parametrize(
    ("params", "margin"),
    [
        ({"metric": "cases"}, ""),
        ({"metric": "cases", "group_by": "industry", "period": "year"}, "industry_id"),
        ({"metric": "cases", "group_by": "region", "period": "month"}, "region_id"),
        ({"metric": "calls_from_victims"}, "caller_type"),
        ({"metric": "calls_from_victims", "group_by": "region"}, None),
        ({"metric": "referrals_services", "group_by": "referral_kind"}, "detail"),
        ({"metric": "cases", "group_by": "industry,region"}, None),
        ({"metric": "cases", "group_by": "industry", "region": "US"}, None),
        ({"metric": "victims", "group_by": "age_band"}, "age_band"),
    ],
)
@pytest.mark.django_db
def test_a_query_reads_the_margin_that_holds_it_or_the_full_rollups(params, margin):
    assert selectors.margin_for(selectors.parse(params)) == margin
