"""Rate limits: per token (or signed-in account) and per anonymous address, with Retry-After.

Django's default cache is each process's own memory, which would give every gunicorn worker
its own allowance; the counters live where every web process sees them instead: in Redis when
one is configured (HOTLINE_API_THROTTLE_REDIS_URL, by default the Celery broker's), otherwise
(or while Redis is unreachable) in the database (ApiRateCounter). Fixed windows: simple, one
round trip in Redis, two small queries in the database; a client can at most double its rate
across a window's edge, which is fine for abuse control.

Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read at each request so that tests and
settings changes take effect: "user" (per token or session), "anon" (per address, for the
anonymous endpoints), "public_tips" (per address, for POST /api/v1/public/tips/) and
"bad_tokens" (per address, for tokens refused: FailedTokenLimit).
"""

import datetime
import logging
import time

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from hotline.audit import client_ip
from hotline.models import ApiRateCounter

log = logging.getLogger(__name__)

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_redis_clients = {}


def _redis():
    url = getattr(settings, "HOTLINE_API_THROTTLE_REDIS_URL", None)
    if not url:
        return None
    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return _redis_clients[url]


def _count_in_database(bucket, window_ends_at):
    counters = ApiRateCounter.objects.filter(bucket=bucket)
    if not counters.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                ApiRateCounter.objects.create(bucket=bucket, count=1, window_ends_at=window_ends_at)
            return 1
        except IntegrityError:
            counters.update(count=F("count") + 1)
    return counters.values_list("count", flat=True).first() or 1


def count_request(bucket, window_end):
    """Add one request to `bucket` and return how many it holds now."""
    client = _redis()
    if client is not None:
        try:
            # One round trip; no MULTI/EXEC: another request's INCR between the two commands
            # changes nothing, and the pair is sent together.
            pipe = client.pipeline(transaction=False)
            pipe.incr(f"hotline:throttle:{bucket}")
            pipe.expireat(f"hotline:throttle:{bucket}", int(window_end) + 1)
            return pipe.execute()[0]
        except redis.RedisError:
            log.warning("Redis unreachable for rate limits; counting in the database")
    return _count_in_database(bucket, datetime.datetime.fromtimestamp(window_end, tz=datetime.UTC))


def requests_counted(bucket):
    """How many requests `bucket` holds now, without adding one."""
    client = _redis()
    if client is not None:
        try:
            return int(client.get(f"hotline:throttle:{bucket}") or 0)
        except redis.RedisError:
            log.warning("Redis unreachable for rate limits; counting in the database")
    return ApiRateCounter.objects.filter(bucket=bucket).values_list("count", flat=True).first() or 0


def _window(rate, now):
    """(limit, window start, window end) of a "120/minute" rate at `now`."""
    limit, duration = parse_rate(rate)
    start = int(now // duration) * duration
    return limit, start, start + duration


def token_bucket(digest):
    """The rate-limit bucket of a token ("user" rate), by its digest: known before the token
    is looked up, so that a request by token is counted in the same round trip to Redis that
    checks its address for refused tokens (count_token_request)."""
    return f"token:{digest[:24]}"


# One command instead of a pipeline of three (the client's share of a round trip is mostly
# packing and parsing commands): the address's refused tokens read, and, unless they are
# over their limit (the request is refused anyway), the request counted for its token.
# KEYS: the address's refused-token bucket, the token's bucket. ARGV: the refused-token
# limit (-1: none), when the token's bucket expires.
_COUNT_TOKEN_REQUEST = """
local refused = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if limit >= 0 and refused >= limit then
    return {refused, 0}
end
local counted = redis.call('INCR', KEYS[2])
if counted == 1 then
    redis.call('EXPIREAT', KEYS[2], ARGV[2])
end
return {refused, counted}
"""
_scripts = {}


def count_token_request(request, digest, guard):
    """For a request with a bearer token, in one round trip to Redis: the refused tokens its
    address sent in this window (`guard`, its FailedTokenLimit) and the request counted
    against its token's "user" rate, which PerClientThrottle then reads instead of counting
    again. Returns the refused tokens' count, or None without Redis or without that limit
    (each is then counted on its own)."""
    client = _redis()
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("user")
    if client is None or rate is None:
        return None
    now = time.time()
    limit, start, end = _window(rate, now)
    key = f"hotline:throttle:user:{token_bucket(digest)}:{start}"
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_COUNT_TOKEN_REQUEST)
    guarded = guard.limit is not None
    try:
        refused, counted = script(
            keys=[f"hotline:throttle:{guard.bucket}" if guarded else key + ":none", key],
            args=[guard.limit if guarded else -1, int(end) + 1],
        )
    except redis.RedisError:
        log.warning("Redis unreachable for rate limits; counting in the database")
        return None
    if counted:
        request._request.hotline_token_count = (counted, limit, end, now)
    return int(refused) if guarded else None


class FailedTokenLimit:
    """Wrong, revoked or expired tokens, counted per address at the "bad_tokens" rate: past
    it, the address gets 429 before its next token is even looked up. Authentication fails
    before the throttles run, so the per-address limit never sees these requests."""

    scope = "bad_tokens"

    def __init__(self, request):
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.limit = None
        if rate is None:
            return
        now = time.time()
        self.limit, window_start, self.window_end = _window(rate, now)
        self.wait = max(1, int(self.window_end - now + 0.999))
        self.bucket = f"{self.scope}:ip:{client_ip(request._request)}:{window_start}"

    def exceeded(self, counted=None):
        """Whether the address is over its limit; `counted`: its count, if already read."""
        if self.limit is None:
            return False
        return (requests_counted(self.bucket) if counted is None else counted) >= self.limit

    def count_failure(self):
        if self.limit is not None:
            count_request(self.bucket, self.window_end)


def parse_rate(rate):
    """ "120/minute" -> (120, 60)."""
    number, period = rate.split("/")
    return int(number), DURATIONS[period.strip()[0]]


class RateThrottle(BaseThrottle):
    scope = None

    def __init__(self):
        self.wait_seconds = None

    def ident(self, request):
        raise NotImplementedError

    def allow_request(self, request, view):
        ident = self.ident(request)  # sets the scope, and so the rate, for some throttles
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None or ident is None:
            return True
        counted = self.counted_already(request)
        if counted is not None:
            count, limit, window_end, now = counted
        else:
            now = time.time()
            limit, window_start, window_end = _window(rate, now)
            count = count_request(f"{self.scope}:{ident}:{window_start}", window_end)
        if count <= limit:
            return True
        self.wait_seconds = max(1, int(window_end - now + 0.999))
        return False

    def counted_already(self, request):
        """(count, limit, window end, when) of a request that was counted on its way in."""
        return None

    def wait(self):
        return self.wait_seconds


class PerClientThrottle(RateThrottle):
    """Per token for token requests, per account for sessions: the "user" rate; anonymous
    requests are counted by address at the "anon" rate."""

    def ident(self, request):
        auth = getattr(request, "auth", None)
        if auth is not None and hasattr(auth, "prefix"):
            self.scope = "user"
            return token_bucket(auth.digest)
        if request.user and request.user.is_authenticated:
            self.scope = "user"
            return f"user:{request.user.pk}"
        self.scope = "anon"
        return f"ip:{client_ip(request._request)}"

    def counted_already(self, request):
        if self.scope != "user":
            return None
        return getattr(request._request, "hotline_token_count", None)


class PublicTipThrottle(RateThrottle):
    """The anonymous tip form, by address, on top of the general limits: it is the one place
    anyone can write to the database."""

    scope = "public_tips"

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

    def ident(self, request):
        return f"ip:{client_ip(request._request)}"
