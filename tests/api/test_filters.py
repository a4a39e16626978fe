"""Filters, ordering and pagination of the lists."""

import datetime

import pytest
from django.utils import timezone

from cases import services as case_services
from tests.factories import CallFactory, CaseFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(advocate, supervisor, organisation):
    texas = CaseFactory(actor=advocate, region=region("US-TX"), trafficking_type="sex",
                        summary="Motel on the interstate")  # fmt: skip
    california = CaseFactory(actor=advocate, region=region("US-CA"), priority=4)
    mexico = CaseFactory(actor=advocate, region=region("MX"),
                         opened_at=timezone.now() - datetime.timedelta(days=40))  # fmt: skip
    case_services.case_assign(actor=supervisor, case=california, assignee=advocate)
    case_services.referral_send(
        actor=advocate, case=texas, organisation=organisation, reason="LawEnforcementReport"
    )
    return {"texas": texas, "california": california, "mexico": mexico}


def _refs(client, **params):
    response = client.get("/api/v1/cases/", params)
    assert response.status_code == 200, response.content
    return {case["reference"] for case in response.json()["results"]}


def test_a_country_includes_its_subdivisions(api, supervisor, cases):
    client = api(supervisor)
    expected = {cases["texas"].reference, cases["california"].reference}
    assert _refs(client, region="US") == expected
    assert _refs(client, region="US-TX") == {cases["texas"].reference}


def test_cases_filter_by_fields_dates_and_text(api, supervisor, cases, advocate, organisation):
    client = api(supervisor)
    assert _refs(client, trafficking_type="sex") == {cases["texas"].reference}
    assert _refs(client, priority=4) == {cases["california"].reference}
    assert _refs(client, assignee=advocate.pk) == {cases["california"].reference}
    assert _refs(client, organisation=organisation.pk) == {cases["texas"].reference}
    assert _refs(client, referral_status="sent") == {cases["texas"].reference}
    assert _refs(client, q="interstate motel") == {cases["texas"].reference}
    since = (timezone.now() - datetime.timedelta(days=7)).isoformat()
    assert _refs(client, opened_at_after=since) == {
        cases["texas"].reference, cases["california"].reference
    }  # fmt: skip
    assert _refs(client, status=["new", "active"]) == {c.reference for c in cases.values()}


def test_ordering_and_cursor_pages_cover_every_case_once(api, supervisor, cases):
    client = api(supervisor)
    seen, url = [], "/api/v1/cases/?ordering=-priority&page_size=1"
    while url:
        page = client.get(url).json()
        seen += [case["reference"] for case in page["results"]]
        url = page["next"]
    assert len(seen) == 3 and len(set(seen)) == 3
    assert seen[0] == cases["california"].reference


def test_calls_filter_by_urgency_region_and_date(api, supervisor, advocate):
    urgent = CallFactory(advocate=advocate, urgency=2, region=region("US-TX"))
    CallFactory(advocate=advocate, urgency=0, region=region("MX"))
    client = api(supervisor)
    ids = [c["id"] for c in client.get("/api/v1/calls/", {"urgency": 2}).json()["results"]]
    assert ids == [urgent.pk]
    ids = [c["id"] for c in client.get("/api/v1/calls/", {"region": "US"}).json()["results"]]
    assert ids == [urgent.pk]


def test_small_lists_have_page_numbers(api, partner):
    page = api(partner).get("/api/v1/regions/", {"within": "US", "page_size": 10}).json()
    assert page["count"] > 50 and len(page["results"]) == 10 and "page=2" in page["next"]
    assert {region["country_code"] for region in page["results"]} == {"US"}


def test_a_case_an_advocate_opens_stays_theirs_to_work(api, advocate):
    client = api(advocate)
    created = client.post("/api/v1/cases/", {"summary": "New."}, format="json")
    assert created.status_code == 201
    reference = created.json()["reference"]
    assert client.get(f"/api/v1/cases/{reference}/").status_code == 200
    assert created["Location"] == f"/api/v1/cases/{reference}/"
