"""The statistics endpoint, /api/v1/stats/ (docs/statistics.md).

Thin: parse the parameters (selectors.parse), hold partners to the fixed set of published
tables (selectors.restrict_for_partner), read the rollups (selectors.table), withhold small
cells for partners (suppression.suppress), answer JSON or CSV. Errors take the API's one
shape, {"error": {"code", "message", "fields"}}, through the API's exception handler.
"""

import csv
import io

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from hotline.access import STAFF, role_of
from hotline.audit import audit_record
from hotline.models import AuditAction, Role
from reports import selectors
from reports.suppression import ALL, suppress

# Suppression checks a partner's table cell by cell (suppression.determined); past this
# size, ask for a narrower one.
MAX_PARTNER_CELLS = 5000


class CanReadStatistics(permissions.BasePermission):
    """Hotline staff (exact counts) and partners (with small cells withheld)."""

    message = _("Statistics are for hotline staff and partner organisations.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return role_of(request.user) in (STAFF | {Role.PARTNER})


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        keys = data.get("group_by", [])
        writer = csv.writer(out)
        writer.writerow([*keys, "count", "suppressed"])
        for row in [*data.get("results", []), *data.get("totals", [])]:
            writer.writerow(
                [
                    *("" if row.get(k) is None else row.get(k) for k in keys),
                    "" if row["count"] is None else row["count"],
                    "yes" if row.get("suppressed") else "",
                ]
            )
        return out.getvalue().encode("utf-8")


def _sort_key(key):
    return tuple((value is None, value == ALL, str(value)) for value in key)


def _row(group_by, key, count, withheld):
    row = dict(zip(group_by, key, strict=True))
    if withheld:
        row.update(count=None, suppressed=True)
    else:
        row["count"] = count
    return row


def statistics(query, *, suppress_below):
    """The response body for `query`: cells, totals, and what was withheld."""
    cells = selectors.table(query)
    width = len(query.group_by)
    if suppress_below > 1 and len(cells) > MAX_PARTNER_CELLS:
        raise exceptions.ValidationError(
            {
                "group_by": [
                    _(
                        "This table has %(n)s cells; ask for at most %(max)s (fewer "
                        "dimensions, a coarser period or a shorter date range)."
                    )
                    % {"n": len(cells), "max": MAX_PARTNER_CELLS}
                ]
            }
        )
    entries, withheld = suppress(cells, width, suppress_below)
    results, totals = [], []
    for key in sorted(entries, key=_sort_key):
        (totals if ALL in key or width == 0 else results).append(
            _row(query.group_by, key, entries[key], key in withheld)
        )
    if width == 0:
        results, totals = [], totals or [{"count": 0}]
    body = {
        "metric": query.metric,
        "group_by": query.group_by,
        "period": query.period if "period" in query.group_by else None,
        "region_level": query.region_level if "region" in query.group_by else None,
        "from": query.date_from.isoformat() if query.date_from else None,
        "to": query.date_to.isoformat() if query.date_to else None,
        "results": results,
        "totals": totals,
    }
    if suppress_below > 1:
        body["suppressed_below"] = suppress_below
    return body


class StatsView(APIView):
    """Counts of any metric, grouped by any of its dimensions, from the rollups."""

    permission_classes = [CanReadStatistics]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="Statistics from the rollups",
        description=(
            "Counts of a metric grouped by any of its dimensions. Partners get counts from 1 to "
            "HOTLINE_STATS_SUPPRESS_BELOW - 1 withheld (count null, suppressed true), with the "
            "complementary cells needed so that none can be worked out from the others and from "
            "the totals, and may read only one whole calendar year (default: the last complete "
            "one), at most one dimension (region at state level or period=month) and no "
            "filters. format=csv (or Accept: text/csv) for CSV. See docs/statistics.md."
        ),
        parameters=[
            OpenApiParameter("metric", str, required=True, enum=list(selectors.METRICS)),
            OpenApiParameter(
                "group_by",
                str,
                description="Comma-separated: " + ", ".join(selectors.ALL_DIMENSIONS),
            ),
            OpenApiParameter("period", str, enum=list(selectors.PERIODS)),
            OpenApiParameter("region_level", str, enum=list(selectors.REGION_LEVELS)),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("year", int, description="A calendar year, instead of from/to"),
            OpenApiParameter("region", str, description="ISO code; the region and below it"),
            OpenApiParameter("census_region", str, enum=["northeast", "midwest", "south", "west"]),
            OpenApiParameter("industry", str, description="Industry code (Polaris typology)"),
            OpenApiParameter("type", str, enum=selectors.TYPES),
        ],
        responses={
            200: inline_serializer(
                "Statistics",
                {
                    "metric": serializers.CharField(),
                    "group_by": serializers.ListField(child=serializers.CharField()),
                    "results": serializers.ListField(child=serializers.DictField()),
                    "totals": serializers.ListField(child=serializers.DictField()),
                    "suppressed_below": serializers.IntegerField(required=False),
                },
            )
        },
    )
    def get(self, request):
        is_partner = role_of(request.user) == Role.PARTNER
        try:
            query = selectors.parse(request.query_params)
            if is_partner:
                query = selectors.restrict_for_partner(request.query_params, query)
        except selectors.QueryError as error:
            raise exceptions.ValidationError(
                {name: [message] for name, message in error.fields.items()}
            ) from None
        below = settings.HOTLINE_STATS_SUPPRESS_BELOW if is_partner else 0
        body = statistics(query, suppress_below=below)
        if is_partner:
            # Who read which table and when, and what it asked for: the parsed query holds
            # codes and dates only, never free text.
            audit_record(action=AuditAction.LIST, object_kind="stats", query=query.as_audit())
        response = Response(body)
        if (
            getattr(request, "accepted_renderer", None)
            and request.accepted_renderer.format == "csv"
        ):
            response["Content-Disposition"] = f'attachment; filename="{query.metric}.csv"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: a CSV of an error helps nobody.
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
