"""Free text sent through the API has the web forms' limits: a megabyte of it is a 400 that
names the field, not a row."""

import pytest

from hotline.models import Call, Tip
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db

CALL = {"channel": "phone", "caller_type": "anonymous", "reason": "crisis"}


def _refused(response, field):
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("field", "limit"), [("observed", 10_000), ("people_mentioned", 5_000), ("address", 1_000)]
)
def test_a_public_tip_has_the_public_forms_limits(api, field, limit):
    body = {"observed": "Seen at the motel.", field: "x" * (limit + 1)}
    _refused(api().post("/api/v1/public/tips/", body, format="json"), field)
    assert not Tip.objects.exists()
    body[field] = "x" * limit
    assert api().post("/api/v1/public/tips/", body, format="json").status_code == 201


@pytest.mark.parametrize(
    ("field", "limit"), [("observed", 20_000), ("people_mentioned", 10_000), ("address", 1_000)]
)
def test_a_tip_has_the_intake_forms_limits(api, advocate, field, limit):
    call = CallFactory(advocate=advocate)
    body = {"observed": "Seen at the motel.", "call": call.pk, field: "x" * (limit + 1)}
    _refused(api(advocate).post("/api/v1/tips/", body, format="json"), field)
    assert not Tip.objects.exists()
    body[field] = "x" * limit
    assert api(advocate).post("/api/v1/tips/", body, format="json").status_code == 201


def test_a_calls_summary_has_the_intake_forms_limit(api, advocate):
    body = {**CALL, "summary": "x" * 20_001}
    _refused(api(advocate).post("/api/v1/calls/", body, format="json"), "summary")
    assert not Call.objects.exists()
    body["summary"] = "x" * 20_000
    assert api(advocate).post("/api/v1/calls/", body, format="json").status_code == 201
