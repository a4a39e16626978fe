"""Idempotency-Key: a retried POST creates nothing new and gets the first answer."""

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case
from hotline.models import Call, IdempotencyRecord, Tip
from tests.api.conftest import token_for
from tests.cases.test_concurrency import race

CALL = {"channel": "phone", "caller_type": "anonymous", "reason": "crisis", "summary": "Help."}
TIP = {"observed": "Cooks sleep in the storeroom.", "region": "US-CA"}


def _post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "model", "who"),
    [
        ("/api/v1/calls/", CALL, Call, "advocate"),
        ("/api/v1/tips/", TIP, Tip, "partner"),
        ("/api/v1/cases/", {"trafficking_type": "sex", "summary": "Motel."}, Case, "advocate"),
        ("/api/v1/public/tips/", TIP, Tip, None),
    ],
)
def test_a_retry_with_the_same_key_replays_the_first_answer(request, api, path, body, model,
                                                            who):  # fmt: skip
    client = api(request.getfixturevalue(who) if who else None)
    key = str(uuid.uuid4())
    first = _post(client, path, body, key)
    assert first.status_code == 201, first.content
    again = _post(client, path, body, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert model.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(api, advocate):
    client, key = api(advocate), str(uuid.uuid4())
    assert _post(client, "/api/v1/calls/", CALL, key).status_code == 201
    response = _post(client, "/api/v1/calls/", {**CALL, "summary": "Other"}, key)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_refused(api, advocate):
    client, key = api(advocate), str(uuid.uuid4())
    assert _post(client, "/api/v1/calls/", CALL, key).status_code == 201
    assert _post(client, "/api/v1/cases/", CALL, key).status_code == 422


@pytest.mark.django_db
def test_a_key_belongs_to_its_sender(api, advocate, supervisor):
    key = str(uuid.uuid4())
    assert _post(api(advocate), "/api/v1/calls/", CALL, key).status_code == 201
    second = _post(api(supervisor), "/api/v1/calls/", CALL, key)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Call.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_can_be_corrected_and_sent_again_with_its_key(api, advocate):
    client, key = api(advocate), str(uuid.uuid4())
    assert _post(client, "/api/v1/calls/", {**CALL, "channel": "fax"}, key).status_code == 400
    assert _post(client, "/api/v1/calls/", CALL, key).status_code == 201
    assert Call.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_kept_24_hours(api, advocate):
    client, key = api(advocate), str(uuid.uuid4())
    assert _post(client, "/api/v1/calls/", CALL, key).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    again = _post(client, "/api/v1/calls/", CALL, key)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Call.objects.count() == 2


@pytest.mark.django_db
def test_the_purge_forgets_keys_older_than_24_hours(api, advocate):
    from hotline.tasks import api_records_purge

    client = api(advocate)
    for _ in range(2):
        assert _post(client, "/api/v1/calls/", CALL, str(uuid.uuid4())).status_code == 201
    old = IdempotencyRecord.objects.first()
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    api_records_purge.delay()
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "é"])
def test_an_unusable_key_is_a_400(api, advocate, key):
    response = _post(api(advocate), "/api/v1/calls/", CALL, key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert Call.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "body", "model"),
    [("/api/v1/calls/", CALL, Call), ("/api/v1/cases/", {"summary": "Motel."}, Case)],
)
def test_concurrent_retries_with_one_key_create_one_record(advocate, path, body, model):
    token, key = token_for(advocate), str(uuid.uuid4())

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return _post(client, path, body, key)

    responses = race(*[send for _ in range(6)])
    assert all(getattr(r, "status_code", None) == 201 for r in responses), responses
    assert all(r.content == responses[0].content for r in responses)
    assert model.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_anonymous_tips_with_one_key_create_one_tip(db):
    key = str(uuid.uuid4())
    responses = race(*[lambda: _post(APIClient(), "/api/v1/public/tips/", TIP, key)] * 5)
    assert [r.status_code for r in responses] == [201] * 5, responses
    assert Tip.objects.count() == 1
