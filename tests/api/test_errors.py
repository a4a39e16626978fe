"""Every error in one shape, {"error": {"code", "message", "fields"}}, and no input a client
can send is a 500."""

import pytest
from rest_framework.exceptions import NotFound
from rest_framework.test import APIClient

from hotline.api.errors import exception_handler
from hotline.models import Call

pytestmark = pytest.mark.django_db


def _shaped(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def test_a_refused_field_is_named(api, advocate):
    error = _shaped(
        api(advocate).post("/api/v1/calls/", {"channel": "fax"}, format="json"),
        400,
        "validation_error",
    )
    assert set(error["fields"]) >= {"channel", "caller_type", "reason"}


def test_a_service_refusal_is_a_400_next_to_its_field(api, advocate, referred_case):
    error = _shaped(
        api(advocate).post(
            f"/api/v1/cases/{referred_case.reference}/identifiers/",
            {"kind": "phone", "value": "not a number"},
            format="json",
        ),
        400,
    )
    assert "value" in error["fields"]


def test_a_duplicate_identifier_is_a_400(api, advocate, referred_case):
    error = _shaped(
        api(advocate).post(
            f"/api/v1/cases/{referred_case.reference}/identifiers/",
            {"kind": "phone", "value": "(512) 555-0199"},
            format="json",
        ),
        400,
    )
    assert "value" in error["fields"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/nowhere/", 404, "not_found"),
        ("/api/v1/cases/HT-2026-999999/", 404, "not_found"),
        ("/api/v1/cases/not-a-reference/", 404, "not_found"),
        ("/api/v1/calls/99999999999999999999999/", 404, "not_found"),
        ("/api/v1/cases/?cursor=garbage", 404, "not_found"),
        ("/api/v1/cases/?opened_at_after=2026-13-45", 400, "validation_error"),
        ("/api/v1/cases/?opened_at_after=9999-12-31T23:59:59-14:00", 400, "validation_error"),
        ("/api/v1/cases/?region=XX-NOPE", 400, "validation_error"),
        ("/api/v1/cases/?status=sleeping", 400, "validation_error"),
        ("/api/v1/cases/?assignee=99999999999999999999999", 400, "validation_error"),
        ("/api/v1/cases/?assignee=1.5", 400, "validation_error"),
        ("/api/v1/cases/?q=%00", 400, "validation_error"),
        ("/api/v1/calls/?urgency=7", 400, "validation_error"),
        ("/api/v1/regions/?within=%F0%9F%92%A9", 400, "validation_error"),
    ],
)
def test_bad_paths_and_filters_are_answered_in_the_error_shape(api, advocate, path, status,
                                                               code):  # fmt: skip
    _shaped(api(advocate).get(path), status, code)


def test_an_unsorted_ordering_field_is_ignored_not_a_500(api, advocate):
    assert api(advocate).get("/api/v1/cases/?ordering=summary").status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "malformed_request"),
        ("channel=phone", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ('["a list"]', "application/json", 400, "validation_error"),
        ('{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", '
         '"summary": "\\ud800"}', "application/json", 400, "validation_error"),
        ('{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", '
         '"summary": "nul \\u0000"}', "application/json", 400, "validation_error"),
        ('{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", '
         '"started_at": "9999-12-31T23:59:59-14:00"}', "application/json", 400,
         "validation_error"),
        ('{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", '
         '"region": {"code": "US"}}', "application/json", 400, "validation_error"),
        ('{"channel": "phone", "caller_type": "anonymous", "reason": "crisis", '
         '"started_at": "2026-11-29T10:00:00Z", "ended_at": "2026-11-29T09:00:00Z"}',
         "application/json", 400, "validation_error"),
    ],
)  # fmt: skip
def test_bad_bodies_are_answered_in_the_error_shape(api, advocate, body, content_type, status,
                                                    code):  # fmt: skip
    response = api(advocate).generic("POST", "/api/v1/calls/", body, content_type)
    _shaped(response, status, code)
    assert not Call.objects.exists()


def test_a_case_with_an_impossible_victim_count_is_a_400(api, advocate):
    error = _shaped(
        api(advocate).post("/api/v1/cases/", {"victim_count": 2**63}, format="json"), 400
    )
    assert "victim_count" in error["fields"]


def test_unauthenticated_forbidden_and_not_allowed_share_the_shape(api, partner, outsider):
    _shaped(APIClient().get("/api/v1/cases/"), 401, "not_authenticated")
    _shaped(api(partner).post("/api/v1/calls/", {}, format="json"), 403, "permission_denied")
    _shaped(api(partner).delete("/api/v1/cases/"), 405, "method_not_allowed")
    _shaped(api(outsider, how="session").get("/api/v1/cases/"), 403, "permission_denied")


def test_an_unexpected_error_is_a_shaped_500_that_reveals_nothing():
    response = exception_handler(RuntimeError("database password is hunter2"), {})
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "hunter2" not in str(response.data)


def test_the_site_error_handlers_answer_json_under_the_api(rf):
    from hotline.api.errors import handler404, handler500

    for response in (handler404(rf.get("/api/v1/x/"), None), handler500(rf.get("/api/v1/x/"))):
        assert response["Content-Type"] == "application/json"
        assert set(__import__("json").loads(response.content)["error"]) == {
            "code", "message", "fields"
        }  # fmt: skip
    assert handler404(rf.get("/nowhere/"), None)["Content-Type"].startswith("text/html")


def test_a_path_with_a_newline_is_a_json_404(api, advocate):
    _shaped(api(advocate).get("/api/v1/cases/%0A/parties/"), 404, "not_found")


def test_a_lookup_the_field_cannot_hold_is_a_404(api, supervisor, rf):
    from hotline.api.resources import OrganisationViewSet

    _shaped(api(supervisor).get("/api/v1/organisations/%C2%ABE/"), 404, "not_found")
    view = OrganisationViewSet(kwargs={"pk": "«E"}, request=None, format_kwarg=None)
    view.request = rf.get("/")
    view.request.user = supervisor
    with pytest.raises(NotFound):
        view.get_object()
