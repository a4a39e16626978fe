"""The dashboards: staff only, read only the rollups (docs/rollups.md)."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from hotline.access import STAFF, role_of
from reports import charts, rollups
from reports.forms import DashboardFilters


def _staff_only(request):
    if role_of(request.user) not in STAFF:
        raise PermissionDenied(_("The dashboards are for hotline staff."))


def _filters(request):
    """The form (bound to the query string) and the Filters it gives; invalid fields are
    reported on the form and left out of the filters."""
    region_choices, region_lookup, region_names = charts.region_choices()
    industries, industry_names = charts.industry_choices()
    form = DashboardFilters(request.GET or None, regions=region_choices, industries=industries)
    start, end = charts.default_range()
    filters = charts.Filters(date_from=start, date_to=end)
    if form.is_bound:
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        if data.get("date_from") and not form.has_error("date_to"):
            filters.date_from = data["date_from"]
        if data.get("date_to") and not form.has_error("date_to"):
            filters.date_to = data["date_to"]
        if filters.date_from > filters.date_to:
            filters.date_from, filters.date_to = charts.default_range(filters.date_to)
        if data.get("region"):
            filters.region_path, filters.census_region = region_lookup[data["region"]]
        filters.industry = data.get("industry") or None
        filters.type = data.get("type") or None
    return form, filters, region_names, industry_names


def _catch_up():
    # With no broker (a single desk, `make run`) no beat runs the sweep: bring the rollups up
    # to date here. With a broker the workers do it and the page only reads.
    if settings.CELERY_TASK_ALWAYS_EAGER:
        rollups.rollup_pending()


@login_required
def dashboard(request):
    _staff_only(request)
    _catch_up()
    form, filters, region_names, industry_names = _filters(request)
    data = charts.dashboard(filters, region_names=region_names, industry_names=industry_names)
    query = request.GET.urlencode()
    context = {
        "form": form,
        "filters": filters,
        "charts": data,
        "headline": data["headline"]["rows"],
        "tiles": charts.tiles(data["states"]),
        "csv_query": f"?{query}" if query else "",
        "industry_filtered": bool(filters.industry or filters.type),
    }
    return render(request, "reports/dashboard.html", context)


@login_required
def dashboard_csv(request, key):
    _staff_only(request)
    if key not in charts.CHARTS:
        raise Http404
    form, filters, region_names, industry_names = _filters(request)
    if form.is_bound and form.errors:
        # The page shows the refusal next to the field; a file would hide it and hold the
        # default range instead of the one asked for.
        lines = [f"{name}: {message}" for name, errors in form.errors.items() for message in errors]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
    _catch_up()
    data = charts.chart(key, filters, region_names=region_names, industry_names=industry_names)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{key}-{filters.date_from}-{filters.date_to}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([str(column) for column in data["columns"]])
    writer.writerows(data["rows"])
    return response
