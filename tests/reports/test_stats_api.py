"""The statistics API: who may ask, what they get, and clear refusals."""

import datetime

import pytest
from rest_framework.test import APIClient

from tests.reports.helpers import OPENED, cases, rolled_up

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    rates = {"user": "100000/minute", "anon": "100000/minute", "public_tips": "100000/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.HOTLINE_API_THROTTLE_REDIS_URL = None


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def data(db):
    cases(30, where="US-TX", what="agriculture_animal_husbandry", type="labor")
    cases(3, where="US-TX", what="escort_services", type="sex")
    cases(25, where="US-CA", what="escort_services", type="sex")
    cases(12, where="US-CA", what="agriculture_animal_husbandry", type="labor")
    cases(4, where="MX", what="escort_services", type="sex")
    cases(
        2,
        where="US-NY",
        what="escort_services",
        type="sex",
        opened_at=OPENED + datetime.timedelta(days=40),
    )
    rolled_up()


def counts(body, *keys):
    return {tuple(row[k] for k in keys): row["count"] for row in body["results"]}


def test_staff_see_exact_counts_grouped_by_industry_and_state(advocate, data):
    response = client_for(advocate).get(URL, {"metric": "cases", "group_by": "industry,region"})
    assert response.status_code == 200
    body = response.json()
    assert counts(body, "industry", "region")[("escort_services", "US-TX")] == 3
    assert counts(body, "industry", "region")[("agriculture_animal_husbandry", "US-CA")] == 12
    grand = [row for row in body["totals"] if row["industry"] == row["region"] == "all"]
    assert grand == [{"industry": "all", "region": "all", "count": 76}]
    assert "suppressed_below" not in body


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("country", {("US",): 72, ("MX",): 4}),
        ("census_region", {("south",): 33, ("west",): 37, ("northeast",): 2, (None,): 4}),
        ("region", {("US-TX",): 33, ("US-CA",): 37, ("US-NY",): 2, ("MX",): 4}),
    ],
)
def test_regions_roll_up_to_the_level_asked_for(supervisor, data, level, expected):
    body = (
        client_for(supervisor)
        .get(URL, {"metric": "cases", "group_by": "region", "region_level": level})
        .json()
    )
    assert counts(body, "region") == expected


def test_periods_and_filters_apply(admin_user, data):
    body = (
        client_for(admin_user)
        .get(
            URL,
            {
                "metric": "cases",
                "period": "month",
                "region": "US",
                "type": "sex",
                "from": "2026-01-01",
                "to": "2026-12-31",
            },
        )
        .json()
    )
    assert counts(body, "period") == {("2026-05-01",): 28, ("2026-06-01",): 2}
    only_ny = client_for(admin_user).get(URL, {"metric": "cases", "region": "US-NY"}).json()
    assert only_ny["totals"] == [{"count": 2}]


def test_partners_get_small_cells_withheld_with_their_complements(partner, data):
    body = (
        client_for(partner)
        .get(URL, {"metric": "cases", "group_by": "region", "year": "2026"})
        .json()
    )
    assert body["suppressed_below"] == 11
    by_region = {row["region"]: row for row in body["results"]}
    assert by_region["US-TX"]["count"] == 33
    assert by_region["US-CA"]["count"] == 37
    # 2 and 4 are withheld; the grand total is published, so neither can be worked out alone.
    assert by_region["US-NY"] == {"region": "US-NY", "count": None, "suppressed": True}
    assert by_region["MX"] == {"region": "MX", "count": None, "suppressed": True}
    assert body["totals"] == [{"region": "all", "count": 76}]


def test_a_single_small_cell_takes_a_complement_with_it(partner, data):
    body = client_for(partner).get(URL, {"metric": "cases", "period": "month", "year": "2026"})
    body = body.json()
    # 74 + 2 = 76: withholding only the 2 would leave it as 76 - 74.
    assert [row["count"] for row in body["results"]] == [None, None]
    assert body["totals"] == [{"period": "all", "count": 76}]


def test_a_partner_signed_in_by_token_gets_the_same(partner, data):
    from hotline import services

    token = services.api_token_issue(actor=None, user=partner, days=1)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get(URL, {"metric": "cases", "group_by": "region", "year": "2026"})
    assert response.status_code == 200
    assert response.json()["suppressed_below"] == 11


def test_csv_by_format_parameter_or_accept_header(advocate, data):
    response = client_for(advocate).get(
        URL, {"metric": "cases", "group_by": "region", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "region,count,suppressed"
    assert "US-TX,33," in lines
    assert "all,76," in lines
    by_accept = client_for(advocate).get(
        URL, {"metric": "cases", "group_by": "region"}, HTTP_ACCEPT="text/csv"
    )
    assert by_accept.content.decode().splitlines() == lines


def test_anonymous_requests_are_refused(data):
    assert client_for(None).get(URL, {"metric": "cases"}).status_code in (401, 403)


def test_an_account_without_a_role_is_refused(outsider, data):
    response = client_for(outsider).get(URL, {"metric": "cases"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "souls"}, "metric"),
        ({}, "metric"),
        ({"metric": "cases", "group_by": "caller_type"}, "group_by"),
        ({"metric": "calls", "group_by": "industry"}, "group_by"),
        ({"metric": "calls", "industry": "escort_services"}, "industry"),
        ({"metric": "cases", "from": "2026-13-01"}, "from"),
        ({"metric": "cases", "from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"metric": "cases", "period": "fortnight"}, "period"),
        ({"metric": "cases", "group_by": "region", "region_level": "galaxy"}, "region_level"),
        ({"metric": "cases", "region": "XX-NOPE"}, "region"),
        ({"metric": "cases", "industry": "nope"}, "industry"),
        ({"metric": "cases", "type": "nope"}, "type"),
        ({"metric": "cases", "census_region": "north"}, "census_region"),
        ({"metric": "cases", "group_by": "region,region"}, "group_by"),
    ],
)
def test_bad_parameters_get_a_400_naming_the_parameter(advocate, params, field):
    response = client_for(advocate).get(URL, {**params, "format": "csv"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_every_metric_answers(advocate, data):
    from reports.selectors import METRICS

    for metric in METRICS:
        assert client_for(advocate).get(URL, {"metric": metric}).status_code == 200


def test_the_endpoint_reads_the_rollups_once_whatever_the_data(advocate, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(advocate)
    params = {"metric": "cases", "group_by": "industry,region,period", "period": "week"}

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(URL, params).status_code == 200
        return [q["sql"] for q in context.captured_queries]

    client.get(URL, params)
    before = queries()
    cases(50, where="US-FL", what="construction", type="labor")
    cases(50, where="FR", what="domestic_work", type="labor")
    rolled_up()
    after = queries()
    assert len(after) == len(before)
    assert len([sql for sql in after if "reports_rollup" in sql]) == 1
    assert not [sql for sql in after if "cases_case" in sql or "hotline_call" in sql]


def test_the_threshold_is_a_setting(partner, data, settings):
    settings.HOTLINE_STATS_SUPPRESS_BELOW = 3
    body = (
        client_for(partner)
        .get(URL, {"metric": "cases", "group_by": "region", "year": "2026"})
        .json()
    )
    assert body["suppressed_below"] == 3
    by_region = {row["region"]: row["count"] for row in body["results"]}
    # 2 is below 3 and withheld; its complement (the smallest other cell, 4) goes with it.
    assert by_region["US-NY"] is None
    assert by_region["MX"] is None
    assert by_region["US-TX"] == 33


def test_a_partner_table_too_large_to_audit_is_refused_with_advice(partner, data, monkeypatch):
    from reports import api

    monkeypatch.setattr(api, "MAX_PARTNER_CELLS", 3)
    response = client_for(partner).get(
        URL, {"metric": "cases", "group_by": "region", "year": "2026"}
    )
    assert response.status_code == 400
    assert "group_by" in response.json()["error"]["fields"]


def test_a_region_below_a_state_counts_in_its_states_census_region(supervisor, data):
    from hotline.models import Region
    from tests.factories import region

    texas = region("US-TX")
    Region.objects.create(
        code="US-TX-HAR",
        name="Harris County",
        kind="subdivision",
        parent=texas,
        country_code="US",
        path=f"{texas.path}/US-TX-HAR",
        depth=2,
    )
    cases(5, where="US-TX-HAR")
    rolled_up()
    client = client_for(supervisor)
    grouped = client.get(
        URL, {"metric": "cases", "group_by": "region", "region_level": "census_region"}
    ).json()
    assert counts(grouped, "region")[("south",)] == 38
    filtered = client.get(URL, {"metric": "cases", "census_region": "south"}).json()
    assert filtered["totals"] == [{"count": 38}]
    by_state = client.get(URL, {"metric": "cases", "group_by": "region"}).json()
    assert counts(by_state, "region")[("US-TX",)] == 38
