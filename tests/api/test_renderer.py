"""The API's JSON is encoded by orjson (hotline.api.renderers) and reads exactly as DRF's
own renderer would have written it."""

import datetime
import decimal
import json
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from hotline.api.renderers import FastJSONRenderer

AWARE = datetime.datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=datetime.UTC)


def both(data, media_type=None):
    return (
        FastJSONRenderer().render(data, media_type, {}),
        JSONRenderer().render(data, media_type, {}),
    )


def test_it_writes_the_same_bytes_as_drf_for_what_the_api_sends():
    data = {
        "reference": "HT-2026-000123",
        "summary": 'Ünïcode — 漢字, "quotes" and a \\ backslash\n',
        "count": 3,
        "big": 2**62,
        "ratio": 0.25,
        "flags": [True, False, None],
        "opened_at": AWARE,
        "day": datetime.date(2026, 11, 30),
        "at": datetime.time(9, 30),
        "amount": decimal.Decimal("12.50"),
        "id": uuid.UUID(int=7),
        "message": gettext_lazy("Not found."),
        "nested": {"codes": ("a", "b"), 4: "an integer key"},
    }
    fast, drf = both(data)
    assert fast == drf


def test_it_escapes_line_separators_as_drf_does():
    fast, drf = both({"text": "one\u2028two\u2029three"})
    assert fast == drf
    assert b"\\u2028" in fast and b"\\u2029" in fast


def test_pretty_printing_and_what_orjson_cannot_encode_go_to_drf():
    assert (
        both({"a": [1, 2]}, "application/json; indent=4")[0]
        == both({"a": [1, 2]}, "application/json; indent=4")[1]
    )
    huge = {"n": 2**70}
    fast, drf = both(huge)
    assert fast == drf and json.loads(fast) == huge


def test_nothing_renders_as_nothing():
    assert FastJSONRenderer().render(None) == b""
