"""The dashboards: staff only, every chart with its CSV, filters, and a fixed number of
queries whatever the amount of data."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Forwarding, ForwardingRule
from reports.charts import CHARTS
from tests.factories import CallFactory, region
from tests.reports.helpers import cases, rolled_up

pytestmark = pytest.mark.django_db
URL = "/dashboard/"
# Up to tomorrow: the calls are made now, and a run may cross midnight.
FILTERS = {
    "date_from": "2026-01-01",
    "date_to": str(timezone.localdate() + datetime.timedelta(days=1)),
}


@pytest.fixture
def data(advocate):
    cases(7, where="US-TX", what="agriculture_animal_husbandry", type="labor")
    cases(5, where="US-CA", what="escort_services", type="sex")
    mexico = cases(2, where="MX", what="escort_services", type="sex")
    rule = ForwardingRule.objects.get_or_create(
        name="Imminent danger: law enforcement immediately",
        defaults={"organisation_type": "LawEnforcement", "due_within_hours": 0},
    )[0]
    Forwarding.objects.create(
        case=mexico[0],
        rule=rule,
        organisation_type=rule.organisation_type,
        matched_at=mexico[0].opened_at,
        due_at=mexico[0].opened_at,
    )
    CallFactory(advocate=advocate, caller_type="potential_victim", region=region("US-TX"))
    CallFactory(advocate=advocate, caller_type="community_member", region=region("US-CA"))
    rolled_up()


@pytest.mark.parametrize("who", ["advocate", "supervisor", "admin_user"])
def test_staff_see_the_dashboard(client, request, who, data):
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL, FILTERS)
    assert response.status_code == 200
    headline = dict(response.context["headline"])
    assert headline["Cases opened"] == 14
    assert headline["Signals (calls, texts, chats, e-mails)"] == 2
    assert headline["Signals from potential victims and survivors"] == 1


@pytest.mark.parametrize("who", ["partner", "outsider"])
def test_partners_and_accounts_without_a_role_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "csv/states/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "next=/dashboard/" in response["Location"]


def test_the_page_carries_its_data_without_inline_code(client, advocate, data):
    client.force_login(advocate)
    html = client.get(URL, FILTERS).content.decode()
    assert '<script id="dashboard-data" type="application/json">' in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)
    assert " style=" not in html
    for key in CHARTS:
        assert f'href="/dashboard/csv/{key}/?' in html


@pytest.mark.parametrize("key", CHARTS)
def test_every_chart_offers_its_numbers_as_csv(client, advocate, data, key):
    client.force_login(advocate)
    response = client.get(f"{URL}csv/{key}/", FILTERS)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(response.content.decode().splitlines()) >= 2


@pytest.mark.parametrize(
    "dates",
    [
        {"date_from": "1850-01-01"},
        {"date_to": "not a date"},
        {"date_from": "2026-05-01", "date_to": "2026-01-01"},
    ],
)
def test_a_csv_for_dates_it_refuses_says_why_instead_of_using_others(client, advocate, dates):
    client.force_login(advocate)
    response = client.get(f"{URL}csv/states/", dates)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "date_" in response.content.decode()


def test_an_unknown_chart_is_not_found(client, advocate):
    client.force_login(advocate)
    assert client.get(URL + "csv/souls/").status_code == 404


def test_filters_apply_to_every_chart_that_has_the_dimension(client, advocate, data):
    client.force_login(advocate)
    response = client.get(URL, {**FILTERS, "industry": "escort_services", "region": "US"})
    charts = response.context["charts"]
    assert dict(response.context["headline"])["Cases opened"] == 5
    assert charts["states"]["rows"] == [["US-CA", "California", 5]]
    # Calls have no industry: the filter does not apply to them, and the page says so.
    assert dict(response.context["headline"])["Signals (calls, texts, chats, e-mails)"] == 2
    assert "do not apply to them" in response.content.decode()
    census = client.get(URL, {**FILTERS, "region": "census:south"}).context["charts"]
    assert census["states"]["rows"] == [["US-TX", "Texas", 7]]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "yesterday"},
        {"date_from": "2026-05-01", "date_to": "2026-01-01"},
        {"region": "XX-NOPE", "industry": "souls", "type": "?"},
    ],
)
def test_bad_filters_are_explained_next_to_the_field(client, advocate, data, params):
    client.force_login(advocate)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()


def test_the_dashboard_issues_a_fixed_number_of_queries(client, advocate, data):
    client.force_login(advocate)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(URL, FILTERS).status_code == 200
        return [q["sql"] for q in context.captured_queries]

    client.get(URL, FILTERS)
    before = queries()
    cases(40, where="US-NY", what="construction", type="labor")
    cases(40, where="FR", what="domestic_work", type="labor")
    for _ in range(3):
        CallFactory(advocate=advocate)
    rolled_up()
    after = queries()
    assert len(after) == len(before)
    # Eight reads of the rollups (one per chart, the forwarding deadlines' since issue 7), of
    # the margins when nothing is filtered; none of the source tables.
    reads = [sql for sql in after if 'FROM "reports_' in sql and "dirtyday" not in sql]
    assert len(reads) == 8
    assert all('FROM "reports_margin' in sql and "reports_rollup" not in sql for sql in reads)
    assert not [
        sql
        for sql in after
        if any(t in sql for t in ('"cases_case"', '"hotline_call"', '"cases_forwarding"'))
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (URL, {"date_to": "9999-12-31"}, "date_to"),
        (URL, {"date_to": "0001-01-05"}, "date_to"),
        (URL, {"date_from": "0001-01-01", "date_to": "9999-12-31"}, "date_from"),
        ("/dashboard/csv/time/", {"date_from": "0001-01-01", "date_to": "9999-12-31"}, None),
        ("/dashboard/csv/time/", {"date_to": "0001-01-05"}, None),
    ],
)
def test_dates_out_of_range_are_a_form_error_not_a_crash(
    client, advocate, data, path, params, field
):
    client.force_login(advocate)
    response = client.get(path, params)
    assert response.status_code in (200, 400)
    if field:
        assert "Use a date from 2000-01-01" in str(response.context["form"].errors[field])


def test_the_census_filter_takes_regions_below_a_state(client, advocate, data):
    from hotline.models import Region

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
    cases(4, where="US-TX-HAR")
    rolled_up()
    client.force_login(advocate)
    census = client.get(URL, {**FILTERS, "region": "census:south"}).context["headline"]
    assert dict(census)["Cases opened"] == 11


@pytest.mark.parametrize(
    "params",
    [
        FILTERS,
        {"date_from": "2026-05-03", "date_to": "2026-05-20"},
        {"date_from": "2025-12-31", "date_to": "2026-07-01"},
        {"date_from": "2026-01-01", "date_to": "2026-06-30"},
    ],
)
def test_the_margins_give_every_chart_the_figures_of_the_full_rollups(
    client, advocate, data, monkeypatch, params
):
    from reports import charts

    client.force_login(advocate)
    from_margins = client.get(URL, params).context["charts"]
    monkeypatch.setattr(charts, "READ_MARGINS", False)
    from_rollups = client.get(URL, params).context["charts"]
    assert from_margins == from_rollups
    assert from_margins["headline"]["rows"][3][1] == 14


def test_a_filtered_dashboard_reads_the_full_rollups(client, advocate, data):
    client.force_login(advocate)
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL, {**FILTERS, "region": "US-TX"})
    assert dict(response.context["headline"])["Cases opened"] == 7
    reads = [q["sql"] for q in context.captured_queries if 'FROM "reports_rollup' in q["sql"]]
    assert len(reads) == 8
