"""Rate limits per token and per anonymous address, answered with 429 and Retry-After; counted
where every web process sees them (the database here; Redis with TEST_REDIS_URL)."""

import os

import pytest
import redis
from rest_framework.test import APIClient

from hotline.models import ApiRateCounter, Tip
from tests.api.conftest import TEST_RATES, token_for

pytestmark = pytest.mark.django_db

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**TEST_RATES, **rates},
        }

    return set_rates


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_over_its_rate_gets_429_with_retry_after(rates, partner):
    rates(user="3/minute")
    client = _bearer(token_for(partner))
    assert [client.get("/api/v1/industries/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/industries/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "throttled"


def test_each_token_has_its_own_allowance(rates, partner, advocate):
    rates(user="2/minute")
    first, second = _bearer(token_for(partner)), _bearer(token_for(advocate))
    for _ in range(2):
        first.get("/api/v1/industries/")
    assert first.get("/api/v1/industries/").status_code == 429
    assert second.get("/api/v1/industries/").status_code == 200


def test_the_public_tip_form_is_limited_per_address(rates):
    rates(public_tips="2/minute")
    body = {"observed": "Seen."}
    here, there = APIClient(REMOTE_ADDR="203.0.113.5"), APIClient(REMOTE_ADDR="203.0.113.6")
    assert [
        here.post("/api/v1/public/tips/", body, format="json").status_code for _ in range(2)
    ] == [201, 201]
    refused = here.post("/api/v1/public/tips/", body, format="json")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert there.post("/api/v1/public/tips/", body, format="json").status_code == 201
    assert Tip.objects.count() == 3


def test_anonymous_requests_are_limited_per_address(rates):
    # Requests that need an account are refused (401) before they are counted; what anyone
    # may call is counted by address.
    rates(anon="2/minute")
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    statuses = [client.post("/api/v1/public/tips/", {}, format="json").status_code
                for _ in range(3)]  # fmt: skip
    assert statuses == [400, 400, 429]


def test_without_redis_the_counters_are_in_the_database(rates, partner):
    rates(user="5/minute")
    client = _bearer(token_for(partner))
    client.get("/api/v1/industries/")
    client.get("/api/v1/industries/")
    assert ApiRateCounter.objects.get().count == 2


@pytest.mark.skipif(TEST_REDIS_URL is None, reason="needs TEST_REDIS_URL=redis://...")
def test_with_redis_the_counters_are_in_redis(rates, settings, partner):
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    settings.HOTLINE_API_THROTTLE_REDIS_URL = TEST_REDIS_URL
    rates(user="2/minute")
    client = _bearer(token_for(partner))
    assert [client.get("/api/v1/industries/").status_code for _ in range(3)] == [200, 200, 429]
    assert not ApiRateCounter.objects.exists()
    assert redis.Redis.from_url(TEST_REDIS_URL).keys("hotline:throttle:*")


def test_an_unreachable_redis_falls_back_to_the_database(rates, settings, partner):
    settings.HOTLINE_API_THROTTLE_REDIS_URL = "redis://127.0.0.1:1/0"
    rates(user="2/minute")
    client = _bearer(token_for(partner))
    assert [client.get("/api/v1/industries/").status_code for _ in range(3)] == [200, 200, 429]


def test_an_address_that_keeps_sending_wrong_tokens_is_stopped_before_the_lookup(
    rates, partner, django_assert_num_queries
):
    rates(bad_tokens="3/minute")
    guesser = APIClient(REMOTE_ADDR="203.0.113.9")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert [guesser.get("/api/v1/industries/").status_code for _ in range(3)] == [401] * 3

    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(partner)}")
    with django_assert_num_queries(1):  # the counter, and no token lookup
        stopped = guesser.get("/api/v1/industries/")
    assert stopped.status_code == 429
    assert 1 <= int(stopped["Retry-After"]) <= 60
    assert stopped.json()["error"]["code"] == "throttled"

    elsewhere = APIClient(REMOTE_ADDR="203.0.113.10")
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(partner)}")
    assert elsewhere.get("/api/v1/industries/").status_code == 200


@pytest.fixture
def in_redis(settings):
    if TEST_REDIS_URL is None:
        pytest.skip("needs TEST_REDIS_URL=redis://...")
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    settings.HOTLINE_API_THROTTLE_REDIS_URL = TEST_REDIS_URL
    return redis.Redis.from_url(TEST_REDIS_URL)


def _round_trips(run):
    """The commands this process sent to Redis while `run()` ran, one entry per round trip
    (a pipeline is one)."""
    sent = []
    single, pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def execute_command(client, *args, **options):
        sent.append(str(args[0]).upper())
        return single(client, *args, **options)

    def execute(batch, *args, **kwargs):
        sent.append("PIPELINE " + " ".join(str(c[0][0]).upper() for c in batch.command_stack))
        return pipeline(batch, *args, **kwargs)

    redis.Redis.execute_command, redis.client.Pipeline.execute = execute_command, execute
    try:
        run()
    finally:
        redis.Redis.execute_command, redis.client.Pipeline.execute = single, pipeline
    return sent


def test_with_redis_a_request_by_token_costs_one_round_trip(in_redis, rates, partner):
    rates(user="100/minute", bad_tokens="30/minute")
    client = _bearer(token_for(partner))
    client.get("/api/v1/industries/")
    # One script: the address's refused tokens read, and the request counted for its token.
    assert _round_trips(lambda: client.get("/api/v1/industries/")) == ["EVALSHA"]


def test_with_redis_the_token_rate_still_holds(in_redis, rates, partner, advocate):
    rates(user="2/minute")
    first, second = _bearer(token_for(partner)), _bearer(token_for(advocate))
    assert [first.get("/api/v1/industries/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/industries/").status_code == 200
    assert not ApiRateCounter.objects.exists()


def test_with_redis_wrong_tokens_stop_the_address_before_the_lookup(
    in_redis, rates, partner, django_assert_num_queries
):
    rates(bad_tokens="3/minute")
    guesser = APIClient(REMOTE_ADDR="203.0.113.9")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert [guesser.get("/api/v1/industries/").status_code for _ in range(3)] == [401] * 3
    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(partner)}")
    with django_assert_num_queries(0):  # the counters are in Redis, and no token lookup
        assert guesser.get("/api/v1/industries/").status_code == 429


def test_with_redis_a_stopped_address_uses_no_token_s_allowance(in_redis, rates, partner):
    rates(bad_tokens="2/minute")
    guesser = APIClient(REMOTE_ADDR="203.0.113.9")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert [guesser.get("/api/v1/industries/").status_code for _ in range(2)] == [401] * 2
    counted_before = set(in_redis.keys("hotline:throttle:user:*"))
    guesser.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(partner)}")
    assert [guesser.get("/api/v1/industries/").status_code for _ in range(3)] == [429] * 3
    assert set(in_redis.keys("hotline:throttle:user:*")) == counted_before
