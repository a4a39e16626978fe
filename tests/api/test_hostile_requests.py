"""Requests no honest client sends (a body over the size limit, a cursor tampered with) are
answered in the error shape, never with a 500 or Django's own words."""

import base64
from urllib.parse import urlencode

import pytest

from hotline.models import Call
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code
    return error


def test_a_body_over_the_size_limit_is_a_413(api, advocate, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", "summary": "%s"}'
    response = api(advocate).generic(
        "POST", "/api/v1/calls/", body % ("x" * 5000), "application/json"
    )
    _error(response, 413, "request_too_large")
    assert not Call.objects.exists()


def _tampered(position):
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


@pytest.mark.parametrize(
    ("path", "ordering", "position"),
    [
        ("/api/v1/cases/", "priority", "abc"),
        ("/api/v1/cases/", "-priority", "99999999999999999999999"),
        ("/api/v1/calls/", "urgency", "abc"),
        ("/api/v1/calls/", "started_at", "not a date"),
        ("/api/v1/calls/", "-started_at", "2026-13-45T99:00:00Z"),
        ("/api/v1/cases/", "opened_at", "yesterday"),
        ("/api/v1/calls/", "id", "1.5e"),
    ],
)
def test_a_tampered_cursor_is_a_404_invalid_cursor(api, supervisor, path, ordering, position):
    CaseFactory(actor=supervisor)
    query = {"ordering": ordering, "cursor": _tampered(position)}
    error = _error(api(supervisor).get(path, query), 404, "not_found")
    assert error["message"] == "Invalid cursor"


def test_an_honest_cursor_still_pages(api, supervisor):
    for priority in (1, 2, 3):
        CaseFactory(actor=supervisor, priority=priority)
    client = api(supervisor)
    first = client.get("/api/v1/cases/", {"ordering": "priority", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert [c["priority"] for c in first["results"] + second["results"]] == [1, 2, 3]
