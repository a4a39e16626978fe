"""Optimistic concurrency: a case's ETag is its version; a change must send it in If-Match."""

import pytest

from cases import services as case_services
from cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_path(referred_case):
    return f"/api/v1/cases/{referred_case.reference}/"


def test_a_case_carries_its_version_as_etag(api, advocate, case_path, referred_case):
    response = api(advocate).get(case_path)
    assert response["ETag"] == f'"{referred_case.version}"'
    assert response.json()["version"] == referred_case.version


def test_a_change_with_the_current_etag_is_made(api, advocate, case_path, referred_case):
    client = api(advocate)
    etag = client.get(case_path)["ETag"]
    response = client.patch(case_path, {"priority": 4}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{referred_case.version + 1}"'
    assert Case.objects.get(pk=referred_case.pk).priority == 4


def test_a_stale_etag_gets_412_and_changes_nothing(api, advocate, supervisor, case_path,
                                                   referred_case):  # fmt: skip
    client = api(advocate)
    etag = client.get(case_path)["ETag"]
    case_services.case_update(actor=supervisor, case=referred_case, priority=3)
    before = Case.objects.get(pk=referred_case.pk)
    events = before.events.count()
    response = client.patch(
        case_path, {"priority": 1, "summary": "Mine"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    assert response["ETag"] == f'"{before.version}"'
    after = Case.objects.get(pk=referred_case.pk)
    assert (after.priority, after.summary, after.version) == (3, before.summary, before.version)
    assert after.events.count() == events


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_change_without_if_match_gets_428(api, advocate, case_path, referred_case, method):
    response = getattr(api(advocate), method)(case_path, {"priority": 4}, format="json")
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "precondition_required"
    assert Case.objects.get(pk=referred_case.pk).priority == referred_case.priority


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        ("*", 428, "precondition_required"),
        ("garbage", 412, "precondition_failed"),
        ('"abc"', 412, "precondition_failed"),
        ("W/", 412, "precondition_failed"),
        ('"999999999", garbage', 412, "precondition_failed"),
    ],
)
def test_an_if_match_that_names_no_version_is_refused(api, advocate, case_path, referred_case,
                                                      header, status, code):  # fmt: skip
    response = api(advocate).patch(case_path, {"priority": 4}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert Case.objects.get(pk=referred_case.pk).priority == referred_case.priority


@pytest.mark.parametrize("order", ["stale first", "current first"])
def test_any_of_several_if_match_tags_may_match(api, advocate, case_path, referred_case, order):
    tags = [f'"{referred_case.version + 100}"', f'W/"{referred_case.version}"']
    if order == "current first":
        tags.reverse()
    response = api(advocate).patch(
        case_path, {"priority": 4}, format="json", HTTP_IF_MATCH=", ".join(tags)
    )
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=referred_case.pk).priority == 4


def test_a_weak_etag_is_accepted(api, advocate, case_path, referred_case):
    response = api(advocate).patch(
        case_path, {"priority": 4}, format="json", HTTP_IF_MATCH=f'W/"{referred_case.version}"'
    )
    assert response.status_code == 200


def test_a_supervisor_closes_a_case_with_status_and_reason(api, supervisor, case_path,
                                                          referred_case):  # fmt: skip
    client = api(supervisor)
    etag = client.get(case_path)["ETag"]
    response = client.patch(
        case_path,
        {"status": "closed", "closing_reason": "unable_to_contact"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


def test_an_advocate_may_not_close_or_restrict(api, advocate, case_path, referred_case):
    client = api(advocate)
    for change in ({"status": "closed", "closing_reason": "other"}, {"is_restricted": True}):
        etag = client.get(case_path)["ETag"]
        response = client.patch(case_path, change, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 403, change
    assert Case.objects.get(pk=referred_case.pk).version == referred_case.version


def test_a_refused_transition_is_a_400_next_to_the_field(api, supervisor, case_path):
    client = api(supervisor)
    etag = client.get(case_path)["ETag"]
    response = client.patch(case_path, {"status": "follow_up"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
