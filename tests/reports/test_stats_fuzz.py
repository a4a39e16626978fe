"""No parameters a client can send make the statistics endpoint fail: any mix of valid values
and garbage gets a 200 or a 400 in the API's error shape."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from reports.selectors import ALL_DIMENSIONS, METRICS, PERIODS, REGION_LEVELS
from tests.reports.helpers import cases, rolled_up

pytestmark = pytest.mark.django_db

garbage = st.text(max_size=30)
EXTREMES = st.sampled_from(["0001-01-01", "0001-01-05", "9999-12-31", "2025-01-01", "2025-12-31"])
PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "metric": st.sampled_from(list(METRICS)) | garbage,
        "group_by": st.lists(st.sampled_from(ALL_DIMENSIONS) | garbage, max_size=4).map(",".join),
        "period": st.sampled_from(list(PERIODS)) | garbage,
        "region_level": st.sampled_from(REGION_LEVELS) | garbage,
        "from": st.dates().map(str) | EXTREMES | garbage,
        "to": st.dates().map(str) | EXTREMES | garbage,
        "year": st.integers(-5, 10_000).map(str) | garbage,
        "region": st.sampled_from(["US", "US-TX", "MX"]) | garbage,
        "census_region": st.sampled_from(["south", "west"]) | garbage,
        "industry": st.sampled_from(["escort_services"]) | garbage,
        "type": st.sampled_from(["sex", "labor"]) | garbage,
        "format": st.sampled_from(["json", "csv"]),
    },
)


@pytest.fixture
def data(db):
    # Function-scoped: hypothesis runs every example inside this one test's transaction.
    cases(12, where="US-TX")
    cases(3, where="MX", what="escort_services", type="sex")
    rolled_up()


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=PARAMS, as_partner=st.booleans())
def test_any_parameters_get_an_answer_or_a_clear_refusal(
    data, advocate, partner, params, as_partner
):
    client = APIClient()
    client.force_login(partner if as_partner else advocate)
    response = client.get("/api/v1/stats/", params)
    assert response.status_code in (200, 400), (params, response.content[:300])
    if response.status_code == 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "cases", "to": "9999-12-31"},
        {"metric": "cases", "from": "0001-01-01"},
        {"metric": "cases", "from": "0001-01-01", "to": "9999-12-31", "period": "week"},
        {"metric": "cases", "year": "9999"},
    ],
)
def test_extreme_dates_get_a_400_naming_the_date(advocate, params):
    client = APIClient()
    client.force_login(advocate)
    response = client.get("/api/v1/stats/", params)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) & {"from", "to", "year"}
