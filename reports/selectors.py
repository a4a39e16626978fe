"""Reading the rollups: any metric, grouped by any dimensions, filtered like the dashboards
(docs/statistics.md). Everything here reads reports_rollup (and the region and industry
tables for names), never the source tables, so its cost does not grow with the data.
"""

import datetime
import operator
from dataclasses import asdict, dataclass, field
from functools import reduce

from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Outcome
from hotline.models import Call, Industry, Region, TraffickingType
from reports.models import MarginDay, MarginMonth, Metric, Rollup, RollupMonth
from reports.rollups import LAW_ENFORCEMENT, ON_TIME, SERVICES, next_month

VICTIM_CALLER_TYPES = (Call.CallerType.POTENTIAL_VICTIM, Call.CallerType.SURVIVOR)

# Each public metric: the stored metric and the rows of it that count.
METRICS = {
    "calls": (Metric.CALLS, {}),
    "calls_from_victims": (Metric.CALLS, {"caller_type__in": VICTIM_CALLER_TYPES}),
    "tips": (Metric.TIPS, {}),
    "cases": (Metric.CASES_OPENED, {}),
    "cases_opened": (Metric.CASES_OPENED, {}),
    "cases_closed": (Metric.CASES_CLOSED, {}),
    "victims": (Metric.VICTIMS, {}),
    "referrals": (Metric.REFERRALS, {}),
    "referrals_law_enforcement": (Metric.REFERRALS, {"detail": LAW_ENFORCEMENT}),
    "referrals_services": (Metric.REFERRALS, {"detail": SERVICES}),
    "investigations": (Metric.OUTCOMES, {"detail": Outcome.Kind.INVESTIGATION_OPENED}),
    "charges": (Metric.OUTCOMES, {"detail": Outcome.Kind.CHARGES_FILED}),
    "convictions": (Metric.OUTCOMES, {"detail": Outcome.Kind.CONVICTION}),
    "forwardings": (Metric.FORWARDINGS, {}),
    "forwardings_on_time": (Metric.FORWARDINGS, {"detail": ON_TIME}),
}

# Dimensions: the public name and the rollup column.
CASE_DIMENSIONS = {"region": "region", "industry": "industry", "type": "trafficking_type"}
DIMENSIONS = {
    Metric.CALLS: {"region": "region", "channel": "channel", "caller_type": "caller_type"},
    Metric.TIPS: CASE_DIMENSIONS,
    Metric.CASES_OPENED: CASE_DIMENSIONS,
    Metric.CASES_CLOSED: CASE_DIMENSIONS,
    Metric.VICTIMS: {
        **CASE_DIMENSIONS,
        "age_band": "age_band",
        "gender": "gender",
        "minor": "minor",
    },
    Metric.REFERRALS: {**CASE_DIMENSIONS, "referral_kind": "detail"},
    Metric.OUTCOMES: {**CASE_DIMENSIONS, "outcome_kind": "detail"},
    Metric.FORWARDINGS: {**CASE_DIMENSIONS, "forwarding_result": "detail"},
}
ALL_DIMENSIONS = sorted({name for dims in DIMENSIONS.values() for name in dims} | {"period"})
PERIODS = {"day": None, "week": TruncWeek, "month": TruncMonth, "year": TruncYear}
REGION_LEVELS = ("region", "state", "country", "census_region", "world")
TYPES = TraffickingType.values


class QueryError(ValueError):
    """A request the statistics cannot answer: {field: message}."""

    def __init__(self, fields):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


@dataclass
class StatsQuery:
    metric: str
    group_by: list = field(default_factory=list)
    period: str = "day"
    region_level: str = "state"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    region: str | None = None
    census_region: str | None = None
    industry: str | None = None
    type: str | None = None
    region_path: str | None = None

    @property
    def stored(self):
        return METRICS[self.metric][0]

    def as_audit(self):
        """The query as the audit trail keeps it: what was asked, with dates as text."""
        return {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in asdict(self).items()
            if value not in (None, [])
        }


# The hotline keeps nothing older, and far-off dates only overflow date arithmetic (year 1
# minus a day, year 9999 plus a day): dates outside this range are refused.
MIN_DATE = datetime.date(2000, 1, 1)


def max_date():
    return timezone.localdate() + datetime.timedelta(days=366)


def date_range_error(value):
    """A message if `value` lies outside the dates the statistics answer for, else None."""
    if MIN_DATE <= value <= max_date():
        return None
    return _("Use a date from %(first)s to %(last)s.") % {
        "first": MIN_DATE.isoformat(),
        "last": max_date().isoformat(),
    }


def _date(value, name, errors):
    if not value:
        return None
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Use a date like 2026-01-31.")
        return None
    message = date_range_error(day)
    if message:
        errors[name] = message
        return None
    return day


def _year(value, errors):
    """The calendar year of the `year` parameter as (1 January, 31 December), or None."""
    if not value:
        return None
    year = int(value) if value.isdigit() and len(value) == 4 else None
    if year is None or not MIN_DATE.year <= year <= max_date().year:
        errors["year"] = _("Use a year from %(first)s to %(last)s, like 2025.") % {
            "first": MIN_DATE.year,
            "last": max_date().year,
        }
        return None
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def parse(params, *, default_metric=None):
    """A StatsQuery from request parameters, or QueryError naming each parameter refused."""
    errors = {}
    for name in ("metric", "group_by", "period", "region_level", "from", "to", "year",
                 "region", "census_region", "industry", "type"):  # fmt: skip
        value = params.get(name) or ""
        if "\x00" in value or len(value) > 200:
            errors[name] = _("This value is not one this parameter takes.")
    if errors:
        raise QueryError(errors)
    metric = params.get("metric") or default_metric
    if metric not in METRICS:
        errors["metric"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(METRICS)}
        raise QueryError(errors)
    stored = METRICS[metric][0]
    allowed = DIMENSIONS[stored]
    group_by = [g.strip() for g in (params.get("group_by") or "").split(",") if g.strip()]
    if params.get("period") and "period" not in group_by:
        group_by.append("period")
    unknown = [g for g in group_by if g != "period" and g not in allowed]
    if unknown:
        errors["group_by"] = _(
            "%(metric)s cannot be grouped by %(unknown)s; choose from: %(choices)s."
        ) % {
            "metric": metric,
            "unknown": ", ".join(unknown),
            "choices": ", ".join(["period", *allowed]),
        }
    if len(set(group_by)) != len(group_by):
        errors["group_by"] = _("Name each dimension once.")
    period = params.get("period") or "day"
    if period not in PERIODS:
        errors["period"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(PERIODS)}
    region_level = params.get("region_level") or "state"
    if region_level not in REGION_LEVELS:
        errors["region_level"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(REGION_LEVELS)
        }
    date_from = _date(params.get("from"), "from", errors)
    date_to = _date(params.get("to"), "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = _("The end date comes before the start date.")
    year = _year(params.get("year"), errors)
    if year and (params.get("from") or params.get("to")):
        errors["year"] = _("Give either year or from/to, not both.")
    elif year:
        date_from, date_to = year
    query = StatsQuery(
        metric=metric,
        group_by=group_by,
        period=period,
        region_level=region_level,
        date_from=date_from,
        date_to=date_to,
    )
    for name in ("region", "census_region", "industry", "type"):
        value = (params.get(name) or "").strip() or None
        if value is None:
            continue
        dimension = "region" if name == "census_region" else name
        if dimension not in allowed:
            errors[name] = _("%(metric)s are not recorded by %(dimension)s.") % {
                "metric": metric,
                "dimension": dimension,
            }
            continue
        setattr(query, name, value)
    if query.region:
        query.region_path = (
            Region.objects.filter(code=query.region).values_list("path", flat=True).first()
        )
    if query.region and query.region_path is None:
        errors["region"] = _("No region has the code %(code)s (use ISO codes: US, US-TX).") % {
            "code": query.region
        }
    if query.census_region and query.census_region not in Region.CensusRegion.values:
        errors["census_region"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Region.CensusRegion.values)
        }
    if query.industry and not Industry.objects.filter(code=query.industry).exists():
        errors["industry"] = _("No industry has the code %(code)s.") % {"code": query.industry}
    if query.type and query.type not in TYPES:
        errors["type"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(TYPES)}
    if errors:
        raise QueryError(errors)
    return query


# Metrics that are a part of another metric a partner can also group: with both published,
# a withheld cell of one is the difference of published cells (referrals = law enforcement +
# services; the victims' calls are two caller types of calls). Partners group the parent.
PARTNER_REFUSED_METRICS = {
    "calls_from_victims": "calls&group_by=caller_type",
    "referrals_law_enforcement": "referrals&group_by=referral_kind",
    "referrals_services": "referrals&group_by=referral_kind",
    "forwardings_on_time": "forwardings&group_by=forwarding_result",
}
PARTNER_FILTERS = ("region", "census_region", "industry", "type")


def last_complete_year():
    year = timezone.localdate().year - 1
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def restrict_for_partner(params, query):
    """Check `query` against the fixed set of tables partners may read (docs/statistics.md):
    one whole calendar year, at most one dimension (region at state level, or period=month),
    no filters. Returns the query with the default year filled in, or raises QueryError."""
    errors = {}
    if query.metric in PARTNER_REFUSED_METRICS:
        errors["metric"] = _(
            "Partners read %(metric)s as part of its parent table: ask for metric=%(instead)s."
        ) % {"metric": query.metric, "instead": PARTNER_REFUSED_METRICS[query.metric]}
    for name in PARTNER_FILTERS:
        if (params.get(name) or "").strip():
            errors[name] = _(
                "Partners cannot filter statistics (by %(name)s): ask for the table grouped by "
                "it instead."
            ) % {"name": name}
    if len(query.group_by) > 1:
        errors["group_by"] = _("Partners may group by at most one dimension (or period) per table.")
    elif query.group_by == ["period"] and query.period != "month":
        errors["period"] = _("Partners may group by period=month only.")
    elif query.group_by == ["region"] and query.region_level != "state":
        errors["region_level"] = _("Partners may group regions at state level only.")
    if query.date_from is None and query.date_to is None:
        query.date_from, query.date_to = last_complete_year()
    elif not (
        query.date_from
        and query.date_to
        and query.date_from == datetime.date(query.date_from.year, 1, 1)
        and query.date_to == datetime.date(query.date_from.year, 12, 31)
    ):
        errors["year" if params.get("year") else "from"] = _(
            "Partners read whole calendar years: use year=YYYY (or from=YYYY-01-01 and "
            "to=YYYY-12-31 of the same year)."
        )
    if errors:
        raise QueryError(errors)
    return query


def split_range(date_from, date_to):
    """The days of [date_from, date_to] (either may be None: unbounded) as the ranges to read
    from the daily rows and the range of whole months to read from the monthly rows:
    ([(first day, day after the last)], (first month, month after the last) or None)."""
    low = date_from
    high = date_to + datetime.timedelta(days=1) if date_to else None
    start = None if low is None else (low if low.day == 1 else next_month(low))
    end = None if high is None else high.replace(day=1)
    if start is not None and end is not None and start >= end:
        return [(low, high)], None
    daily = []
    if low is not None and start != low:
        daily.append((low, start))
    if high is not None and end != high:
        daily.append((end, high))
    return daily, (start, end)


def _between(first, after):
    condition = Q()
    if first is not None:
        condition &= Q(day__gte=first)
    if after is not None:
        condition &= Q(day__lt=after)
    return condition


FULL = (Rollup, RollupMonth)
MARGINS = (MarginDay, MarginMonth)


def date_parts(rows, date_from, date_to, *, daily_only=False, tables=FULL):
    """Querysets that together hold the cells of [date_from, date_to]: daily rows for the
    partial months at either end, monthly rows for the whole months between. `rows(model)`
    gives the filtered rows of a table; `tables` are the daily and monthly tables (the full
    rollups, or the margins). With daily_only (grouping by day or week), daily rows for
    everything."""
    day_table, month_table = tables
    daily, months = split_range(date_from, date_to)
    if daily_only:
        return [
            rows(day_table).filter(
                _between(date_from, date_to and date_to + datetime.timedelta(days=1))
            )
        ]
    parts = []
    if daily:
        # An empty Q would vanish from an OR: an unbounded range means no condition at all.
        conditions = [_between(first, after) for first, after in daily]
        condition = Q() if Q() in conditions else reduce(operator.or_, conditions)
        parts.append(rows(day_table).filter(condition))
    if months is not None:
        parts.append(rows(month_table).filter(_between(*months)))
    return parts


def summed(parts, columns, **annotations):
    """One query: each part grouped by `columns` with n = the sum of its counts, UNION ALL.
    Keys can repeat across parts; callers add them up."""
    grouped = [
        part.annotate(**annotations).values(*columns).annotate(n=Sum("count")).order_by()
        for part in parts
    ]
    return grouped[0].union(*grouped[1:], all=True) if len(grouped) > 1 else grouped[0]


def in_census_region(census_region):
    """Rows recorded in a US state of `census_region` or anywhere below one. The census region
    is set on the states; a county or city below one takes its state's (the path's second
    code), so nothing depends on census_region being copied down the tree."""
    paths = Region.objects.filter(depth=1, census_region=census_region).values_list(
        "path", flat=True
    )
    condition = Q(region__census_region=census_region)
    for path in paths:
        condition |= Q(region__path__startswith=path + "/")
    return condition


def census_by_state():
    """{state code: census region} for the states that have one."""
    return dict(
        Region.objects.filter(depth=1)
        .exclude(census_region="")
        .values_list("code", "census_region")
    )


# The rollup column of each public dimension.
COLUMN_OF = {"region": "region_id", "industry": "industry_id", "type": "trafficking_type"}


def margin_for(query):
    """The margin (reports.models.Margins) that holds every row `query` reads: with no filter
    and at most one column among its dimensions and its metric's fixed rows, that column's
    ("" for the total). None when it needs the full rollups."""
    if query.region or query.census_region or query.industry or query.type:
        return None
    dims = DIMENSIONS[query.stored]
    columns = {COLUMN_OF.get(name, dims.get(name)) for name in query.group_by if name != "period"}
    columns |= {key.split("__")[0] for key in METRICS[query.metric][1]}
    if len(columns) > 1:
        return None
    return columns.pop() if columns else ""


def _filtered(query, margin=None):
    stored, fixed = METRICS[query.metric]
    census = in_census_region(query.census_region) if query.census_region else None

    def rows(model):
        rows = model.objects.filter(metric=stored, **fixed)
        if margin is not None:
            rows = rows.filter(margin=margin)
        if query.region:
            # The region and everything below it: one prefix match on the materialised path.
            rows = rows.filter(
                Q(region__path=query.region_path)
                | Q(region__path__startswith=query.region_path + "/")
            )
        if census is not None:
            rows = rows.filter(census)
        if query.industry:
            rows = rows.filter(industry__code=query.industry)
        if query.type:
            rows = rows.filter(trafficking_type=query.type)
        return rows

    return rows


def rows_for(query):
    """The querysets `query` reads: its metric, date range and filters (not grouped)."""
    by_day = "period" in query.group_by and query.period in ("day", "week")
    margin = margin_for(query)
    return date_parts(
        _filtered(query, margin),
        query.date_from,
        query.date_to,
        daily_only=by_day,
        tables=FULL if margin is None else MARGINS,
    )


def region_key(level, path, census_region, states=None):
    """The code of the region at `level` that a row recorded at `path` falls in. `states`
    ({state code: census region}) gives the census region of rows recorded below a state."""
    if path is None:
        return None
    parts = path.split("/")
    if level == "census_region" and not census_region and states and len(parts) > 1:
        census_region = states.get(parts[1])
    if level == "region":
        return parts[-1]
    if level == "state":
        return parts[1] if len(parts) > 1 else parts[0]
    if level == "country":
        return parts[0]
    if level == "census_region":
        return census_region or None
    return None


def _columns(query):
    """The columns to GROUP BY in SQL for `query`'s dimensions."""
    dims = DIMENSIONS[query.stored]
    columns = []
    for name in query.group_by:
        if name == "period":
            columns.append("r_period")
        elif name == "region":
            columns += ["region__path", "region__census_region"]
        elif name == "industry":
            columns.append("industry__code")
        else:
            columns.append(dims[name])
    return columns


def table(query):
    """{(group key values in query.group_by order): count} for `query`; one SQL query."""
    parts = rows_for(query)
    annotations = {}
    if "period" in query.group_by:
        trunc = PERIODS[query.period]
        annotations["r_period"] = trunc("day") if trunc else F("day")
    columns = _columns(query) or ["metric"]
    dims = DIMENSIONS[query.stored]
    states = (
        census_by_state()
        if "region" in query.group_by and query.region_level == "census_region"
        else None
    )
    result = {}
    for row in summed(parts, columns, **annotations):
        key = []
        for name in query.group_by:
            if name == "period":
                value = row["r_period"]
                if isinstance(value, datetime.datetime):
                    value = value.date()
                elif isinstance(value, str):
                    value = datetime.date.fromisoformat(value[:10])
                key.append(value.isoformat() if value else None)
            elif name == "region":
                key.append(
                    region_key(
                        query.region_level,
                        row["region__path"],
                        row["region__census_region"],
                        states,
                    )
                )
            elif name == "industry":
                key.append(row["industry__code"])
            else:
                key.append(row[dims[name]] or None)
        key = tuple(key)
        result[key] = result.get(key, 0) + row["n"]
    return {key: n for key, n in result.items() if n}
