"""The dashboard's figures, each from one query on the rollups (docs/rollups.md).

Every chart is {"key", "title", "columns", "rows"}: the same rows feed the chart (through
static/js/dashboard.js), the table beside it and its CSV.
"""

import datetime
import operator
from dataclasses import dataclass, replace
from functools import reduce

from django.db.models import F, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Outcome, Party
from hotline.models import Call, Industry, Region, TraffickingType
from reports.models import Metric
from reports.rollups import LATE, LAW_ENFORCEMENT, ON_TIME, OPEN, SERVICES
from reports.selectors import (
    FULL,
    MARGINS,
    VICTIM_CALLER_TYPES,
    date_parts,
    in_census_region,
    summed,
)
from reports.us_tiles import TILES

# Metrics recorded without an industry or a trafficking type: those filters do not apply.
WITHOUT_INDUSTRY = (Metric.CALLS,)
CHARTS = (
    "headline",
    "industry",
    "time",
    "states",
    "countries",
    "type",
    "caller_type",
    "demographics",
    "funnel",
    "forwarding",
)
# The metrics of the headline figures and the funnel.
HEADLINE_METRICS = [metric for metric in Metric.values if metric != Metric.FORWARDINGS]
HEADLINE_MARGINS = {
    Metric.CALLS: ["caller_type"],
    Metric.REFERRALS: ["detail"],
    Metric.OUTCOMES: ["detail"],
}


@dataclass
class Filters:
    date_from: datetime.date
    date_to: datetime.date
    region_path: str | None = None
    census_region: str | None = None
    industry: str | None = None
    type: str | None = None

    @property
    def period(self):
        span = (self.date_to - self.date_from).days
        return "day" if span <= 45 else "week" if span <= 200 else "month"


def default_range(today=None):
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=364), today


def region_choices():
    """Countries, the US Census regions and US states, for the region filter: one query.
    Returns (choices, {value: (path or None, census region or None)}, {code: name})."""
    regions = list(
        Region.objects.filter(Q(depth=0) | Q(country_code="US", depth=1))
        .order_by("depth", "name")
        .values_list("code", "name", "path", "depth")
    )
    names = {code: name for code, name, _, _ in regions}
    lookup = {code: (path, None) for code, _, path, _ in regions}
    census = [
        (f"census:{value}", _("US Census region: %(name)s") % {"name": label})
        for value, label in Region.CensusRegion.choices
    ]
    for value, _label in census:
        lookup[value] = (None, value.split(":", 1)[1])
    countries = [(code, name) for code, name, _, depth in regions if depth == 0]
    states = [(code, name) for code, name, _, depth in regions if depth == 1]
    choices = [
        (_("Countries"), countries),
        (_("US Census regions"), census),
        (_("US states and territories"), states),
    ]
    return choices, lookup, names


def industry_choices():
    industries = list(Industry.objects.values_list("code", "name"))
    return industries, dict(industries)


def _rows(filters, metrics, *, daily_only=False, margins=None):
    """The rollup querysets of `metrics` within the filters (each applied where the metric has
    that dimension): daily rows for partial months, monthly rows for whole ones.

    `margins` ({metric: [margin, ...]}) names the margins (reports.models.Margins) that hold
    what the chart groups by; with no region, industry or type filter those are read instead of
    the full rollups: a bounded number of rows per day, however much data there is."""
    census = in_census_region(filters.census_region) if filters.census_region else None
    filtered = filters.region_path or census is not None or filters.industry or filters.type
    if margins is not None and not filtered and READ_MARGINS:
        wanted = reduce(
            operator.or_,
            (Q(metric=metric, margin__in=margins.get(metric, [""])) for metric in metrics),
        )
        return date_parts(
            lambda model: model.objects.filter(wanted),
            filters.date_from,
            filters.date_to,
            daily_only=daily_only,
            tables=MARGINS,
        )

    def rows(model):
        rows = model.objects.filter(metric__in=metrics)
        if filters.region_path:
            rows = rows.filter(
                Q(region__path=filters.region_path)
                | Q(region__path__startswith=filters.region_path + "/")
            )
        if census is not None:
            rows = rows.filter(census)
        case_filters = Q()
        if filters.industry:
            case_filters &= Q(industry__code=filters.industry)
        if filters.type:
            case_filters &= Q(trafficking_type=filters.type)
        if case_filters:
            rows = rows.filter(Q(metric__in=WITHOUT_INDUSTRY) | case_filters)
        return rows

    return date_parts(rows, filters.date_from, filters.date_to, daily_only=daily_only, tables=FULL)


def _chart(key, title, columns, rows, **extra):
    return {"key": key, "title": title, "columns": columns, "rows": rows, **extra}


DEMOGRAPHICS = ["age_band", "gender", "minor"]
# Unfiltered charts read the margins; the tests turn this off to compare with the full rollups.
READ_MARGINS = True


def _margins(parts):
    return parts[0].model in MARGINS


def headline_and_funnel(filters):
    totals = {}
    for row in summed(
        _rows(filters, HEADLINE_METRICS, margins=HEADLINE_MARGINS),
        ["metric", "detail", "caller_type"],
    ):
        totals[row["metric"]] = totals.get(row["metric"], 0) + row["n"]
        if row["metric"] == Metric.CALLS and row["caller_type"] in VICTIM_CALLER_TYPES:
            totals["calls_from_victims"] = totals.get("calls_from_victims", 0) + row["n"]
        if row["detail"]:
            key = f"{row['metric']}:{row['detail']}"
            totals[key] = totals.get(key, 0) + row["n"]
    figure = totals.get
    headline = [
        [_("Signals (calls, texts, chats, e-mails)"), figure(Metric.CALLS, 0)],
        [_("Signals from potential victims and survivors"), figure("calls_from_victims", 0)],
        [_("Tips"), figure(Metric.TIPS, 0)],
        [_("Cases opened"), figure(Metric.CASES_OPENED, 0)],
        [_("Cases closed"), figure(Metric.CASES_CLOSED, 0)],
        [_("Potential victims"), figure(Metric.VICTIMS, 0)],
        [_("Referrals to law enforcement"), figure(f"referrals:{LAW_ENFORCEMENT}", 0)],
        [_("Referrals to services"), figure(f"referrals:{SERVICES}", 0)],
        [_("Investigations"), figure(f"outcomes:{Outcome.Kind.INVESTIGATION_OPENED}", 0)],
        [_("Charges filed"), figure(f"outcomes:{Outcome.Kind.CHARGES_FILED}", 0)],
        [_("Convictions"), figure(f"outcomes:{Outcome.Kind.CONVICTION}", 0)],
    ]
    funnel = [
        [_("Signals"), figure(Metric.CALLS, 0)],
        [_("Tips"), figure(Metric.TIPS, 0)],
        [_("Cases"), figure(Metric.CASES_OPENED, 0)],
        [_("Referrals"), figure(Metric.REFERRALS, 0)],
        [_("Investigations"), figure(f"outcomes:{Outcome.Kind.INVESTIGATION_OPENED}", 0)],
        [_("Charges"), figure(f"outcomes:{Outcome.Kind.CHARGES_FILED}", 0)],
        [_("Convictions"), figure(f"outcomes:{Outcome.Kind.CONVICTION}", 0)],
    ]
    return (
        _chart("headline", _("Headline figures"), [_("Figure"), _("Count")], headline),
        _chart("funnel", _("From signal to conviction"), [_("Stage"), _("Count")], funnel),
    )


def _grouped(filters, metric, column, margin):
    counts = {}
    for row in summed(_rows(filters, [metric], margins={metric: [margin]}), [column]):
        counts[row[column]] = counts.get(row[column], 0) + row["n"]
    return counts


def by_industry(filters, industry_names):
    counts = _grouped(filters, Metric.CASES_OPENED, "industry__code", "industry_id")
    rows = sorted(
        ([industry_names.get(code, _("Not recorded")), n] for code, n in counts.items()),
        key=lambda row: (-row[1], row[0]),
    )
    return _chart("industry", _("Cases by industry"), [_("Industry"), _("Cases")], rows)


def over_time(filters):
    period = filters.period
    trunc = {"week": TruncWeek, "month": TruncMonth}.get(period)
    parts = _rows(
        filters, [Metric.CALLS, Metric.CASES_OPENED], daily_only=period != "month", margins={}
    )
    series = {}
    annotations = {"period": trunc("day")} if trunc else {"period": F("day")}
    for row in summed(parts, ["metric", "period"], **annotations):
        value = row["period"]
        if isinstance(value, datetime.datetime):
            value = value.date()
        elif isinstance(value, str):
            value = datetime.date.fromisoformat(value[:10])
        counts = series.setdefault(value, {})
        counts[row["metric"]] = counts.get(row["metric"], 0) + row["n"]
    table = [
        [day.isoformat(), counts.get(Metric.CALLS, 0), counts.get(Metric.CASES_OPENED, 0)]
        for day, counts in sorted(series.items())
    ]
    labels = {"day": _("Day"), "week": _("Week starting"), "month": _("Month")}
    return _chart(
        "time",
        _("Signals and cases over time"),
        [labels[period], _("Signals"), _("Cases")],
        table,
        period=period,
    )


def by_place(filters, region_names):
    """Cases per US state (and territory) and per country, from one query."""
    states, countries = {}, {}
    parts = _rows(filters, [Metric.CASES_OPENED], margins={Metric.CASES_OPENED: ["region_id"]})
    for row in summed(parts, ["region__path"]):
        path, n = row["region__path"], row["n"]
        if path is None:
            continue
        parts = path.split("/")
        countries[parts[0]] = countries.get(parts[0], 0) + n
        if parts[0] == "US" and len(parts) > 1:
            states[parts[1]] = states.get(parts[1], 0) + n
    state_rows = sorted(
        ([code, region_names.get(code, code), n] for code, n in states.items()),
        key=lambda row: row[1],
    )
    country_rows = sorted(
        ([code, region_names.get(code, code), n] for code, n in countries.items()),
        key=lambda row: (-row[2], row[1]),
    )
    return (
        _chart(
            "states",
            _("Cases by US state"),
            [_("Code"), _("State"), _("Cases")],
            state_rows,
            total=sum(states.values()),
        ),
        _chart(
            "countries",
            _("Cases by country"),
            [_("Code"), _("Country"), _("Cases")],
            country_rows,
            total=sum(countries.values()),
        ),
    )


def tiles(states_chart):
    """The tile map: each state's square, with a shade from 0 (none) to 5 (the most)."""
    counts = {code: n for code, _, n in states_chart["rows"]}
    top = max(counts.values(), default=0)
    result = []
    for code, (x, y) in TILES.items():
        n = counts.get(code, 0)
        shade = 0 if not n else min(5, 1 + (4 * n) // top) if top else 0
        result.append(
            {"code": code, "abbr": code[3:], "x": x * 44, "y": y * 44, "n": n, "shade": shade}
        )
    return result


def by_type(filters):
    counts = _grouped(filters, Metric.CASES_OPENED, "trafficking_type", "trafficking_type")
    labels = dict(TraffickingType.choices)
    rows = [[str(labels[value]), counts.get(value, 0)] for value in TraffickingType.values]
    return _chart("type", _("Type of trafficking"), [_("Type"), _("Cases")], rows)


def by_caller_type(filters):
    counts = _grouped(filters, Metric.CALLS, "caller_type", "caller_type")
    rows = [
        [str(label), counts.get(value, 0)]
        for value, label in Call.CallerType.choices
        if counts.get(value)
    ]
    rows.sort(key=lambda row: -row[1])
    return _chart("caller_type", _("Who contacts the hotline"), [_("Caller"), _("Signals")], rows)


def demographics(filters):
    ages, genders, minors = {}, {}, {}
    # From the margins, a row holds one of the three (the others blank); from the full rollups,
    # all three. Blank keys are no group of any: they are never shown.
    parts = _rows(filters, [Metric.VICTIMS], margins={Metric.VICTIMS: DEMOGRAPHICS})
    for row in summed(parts, ["margin", *DEMOGRAPHICS] if _margins(parts) else DEMOGRAPHICS):
        margin = row.get("margin")
        if margin in (None, "age_band"):
            ages[row["age_band"]] = ages.get(row["age_band"], 0) + row["n"]
        if margin in (None, "gender"):
            genders[row["gender"]] = genders.get(row["gender"], 0) + row["n"]
        if margin in (None, "minor"):
            minors[row["minor"]] = minors.get(row["minor"], 0) + row["n"]
    minor_labels = {"yes": _("Minor"), "no": _("Adult"), "unknown": _("Not known")}
    rows = [
        *([_("Age"), str(label), ages.get(v, 0)] for v, label in Party.AgeBand.choices),
        *([_("Gender"), str(label), genders.get(v, 0)] for v, label in Party.Gender.choices),
        *([_("Minor"), str(label), minors.get(v, 0)] for v, label in minor_labels.items()),
    ]
    return _chart(
        "demographics",
        _("Potential victims: age, gender, minors"),
        [_("Dimension"), _("Group"), _("Potential victims")],
        rows,
    )


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def forwarding_on_time(filters, today=None):
    """Forwarding deadlines per month of the deadline, and the share met: forwarded (answered)
    on time, late, or not forwarded by the deadline (overdue), as
    cases.selectors.forwarding_on_time_by_month counts them. Only deadlines on days that are
    over count (up to yesterday): an unanswered forwarding is overdue once its day has passed,
    which the rollup, kept per day, can tell without the clock; one due today is not decided."""
    today = today or timezone.localdate()
    last = min(filters.date_to, today - datetime.timedelta(days=1))
    months = {}
    if filters.date_from <= last:
        within = replace(filters, date_to=last)
        parts = _rows(within, [Metric.FORWARDINGS], margins={Metric.FORWARDINGS: ["detail"]})
        for row in summed(parts, ["month", "detail"], month=TruncMonth("day")):
            counts = months.setdefault(_as_date(row["month"]), {})
            counts[row["detail"]] = counts.get(row["detail"], 0) + row["n"]
    rows = []
    for month, counts in sorted(months.items()):
        on_time, late, overdue = (counts.get(d, 0) for d in (ON_TIME, LATE, OPEN))
        due = on_time + late + overdue
        share = round(100 * on_time / due, 1) if due else None
        rows.append([month.strftime("%Y-%m"), due, on_time, late, overdue, share])
    return _chart(
        "forwarding",
        _("Forwarded on time, per month"),
        [
            _("Month of the deadline"),
            _("Deadlines"),
            _("Forwarded on time"),
            _("Forwarded late"),
            _("Not forwarded (overdue)"),
            _("On time (%)"),
        ],
        rows,
        last_day=last.isoformat(),
    )


def dashboard(filters, *, region_names, industry_names):
    """Every chart of the dashboard: eight queries on the rollups."""
    headline, funnel = headline_and_funnel(filters)
    states, countries = by_place(filters, region_names)
    return {
        "headline": headline,
        "industry": by_industry(filters, industry_names),
        "time": over_time(filters),
        "states": states,
        "countries": countries,
        "type": by_type(filters),
        "caller_type": by_caller_type(filters),
        "demographics": demographics(filters),
        "funnel": funnel,
        "forwarding": forwarding_on_time(filters),
    }


def chart(key, filters, *, region_names, industry_names):
    """One chart, for its CSV."""
    if key in ("headline", "funnel"):
        return dict(zip(("headline", "funnel"), headline_and_funnel(filters), strict=True))[key]
    if key in ("states", "countries"):
        return dict(zip(("states", "countries"), by_place(filters, region_names), strict=True))[key]
    if key == "industry":
        return by_industry(filters, industry_names)
    return {
        "forwarding": forwarding_on_time,
        "time": over_time,
        "type": by_type,
        "caller_type": by_caller_type,
        "demographics": demographics,
    }[key](filters)
