"""Safe retries for POST: a client sends `Idempotency-Key: <unique value>` and may send the
same request again (a timeout, a lost connection) without creating a second record.

- same key, same body: the first response comes back (status, body, Location), with
  `Idempotent-Replayed: true`, and nothing new is created;
- same key, another body or another endpoint: 422;
- keys are kept 24 hours (IDEMPOTENCY_TTL; hotline.tasks.idempotency_purge removes older).

Only successful answers are kept: a request refused (400, 403...) may be corrected and sent
again with the same key.

Concurrent requests with one key: the record is inserted first, in the same transaction as the
work it guards. The unique (owner, key) index makes a second insert wait for the first
transaction on PostgreSQL; when that commits, the second sees the key taken and replays the
finished response. If the first fails, its record is rolled back with it and the second goes
ahead. So one key gives one record, whatever the timing.
"""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer

from hotline.api.errors import ApiError
from hotline.audit import client_ip
from hotline.models import IdempotencyRecord

IDEMPOTENCY_TTL = datetime.timedelta(hours=24)
HEADER = "Idempotency-Key"
# Headers of the first answer a replay repeats.
KEPT_HEADERS = ("Location", "ETag")


def _owner(request):
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"anon:{client_ip(request._request)}"


def _request_hash(request):
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _key(request):
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255 or not key.isprintable() or not key.isascii():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            _("Idempotency-Key must be 1 to 255 printable ASCII characters, e.g. a UUID."),
        )
    return key


def _replay(record):
    response = HttpResponse(
        record.response_body, status=record.status, content_type="application/json"
    )
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request, respond):
    """respond() once per Idempotency-Key; see the module's docstring."""
    key = _key(request)
    if key is None:
        return respond()
    owner, request_hash = _owner(request), _request_hash(request)
    with transaction.atomic():
        record = _claim(owner, key, request_hash)
        if not isinstance(record, IdempotencyRecord):
            return record
        response = respond()
        if 200 <= response.status_code < 300:
            record.status = response.status_code
            record.response_body = JSONRenderer().render(response.data).decode()
            record.response_headers = {
                name: response[name] for name in KEPT_HEADERS if response.has_header(name)
            }
            record.save(update_fields=["status", "response_body", "response_headers"])
        else:
            transaction.set_rollback(True)
        return response


def _claim(owner, key, request_hash):
    """The new record for this key, or the response to give instead."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    owner=owner, key=key, request_hash=request_hash
                )
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing is None:
            continue
        if existing.created_at < timezone.now() - IDEMPOTENCY_TTL:
            existing.delete()
            continue
        if existing.request_hash != request_hash:
            raise ApiError(
                422,
                "idempotency_key_reused",
                _(
                    "This Idempotency-Key was used for a different request; use a new key "
                    "for each new record."
                ),
            )
        if existing.status is None:
            raise ApiError(
                409,
                "idempotency_key_in_use",
                _("A request with this Idempotency-Key is still being processed; retry soon."),
                headers={"Retry-After": "1"},
            )
        return _replay(existing)
    raise ApiError(
        409,
        "idempotency_key_in_use",
        _("A request with this Idempotency-Key is still being processed; retry soon."),
        headers={"Retry-After": "1"},
    )
