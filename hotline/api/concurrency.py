"""Optimistic concurrency over HTTP: a record with a version sends it as its ETag; a PUT or
PATCH must send it back in If-Match. Missing: 428, so that no client can overwrite blindly.
Not the current version (someone changed the record meanwhile): 412, and nothing changes."""

import re

from django.utils.translation import gettext as _

from hotline.api.errors import ApiError

_TAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')


def etag(version):
    return f'"{version}"'


def if_match_version(request, current=None):
    """The version the client edited, from If-Match; 428 when absent, 412 when unreadable.
    If-Match may list several tags: any that names `current` matches (RFC 9110 13.1.1)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise ApiError(
            428,
            "precondition_required",
            _(
                "Send If-Match with the ETag of the version you edited: GET the record, "
                "then send its ETag header back."
            ),
        )
    versions = [int(m.group(1)) for m in (_TAG.match(t.strip()) for t in header.split(",")) if m]
    if current in versions:
        return current
    if versions:
        return versions[0]
    raise ApiError(
        412,
        "precondition_failed",
        _("If-Match does not name a version of this record; GET it again for its ETag."),
    )


def stale(current_version):
    return ApiError(
        412,
        "precondition_failed",
        _(
            "The record was changed by someone else since you read it (now version "
            "%(version)s). GET it again, apply your change to it and send it with the new ETag."
        )
        % {"version": current_version},
        headers={"ETag": etag(current_version)},
    )
