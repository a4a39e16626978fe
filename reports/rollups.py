"""Computing the rollups from the source tables (docs/rollups.md).

Two entry points, both safe to run twice or in parallel:

- `rollup_pending()`: claims the dirty (metric, day) marks the triggers wrote, recomputes those
  days from the source tables (one GROUP BY per metric, restricted to those days) and replaces
  their rows, then the monthly rows and the margins of those days and months from the daily
  rows, all in one transaction per batch.
- `rollup_rebuild()`: the nightly reconciliation: on PostgreSQL every daily row compared with
  the source tables and only the days that differ recomputed (`_reconcile`), or every table
  written anew and swapped in by renaming (`_rebuild_by_swap`: a first run, much wrong, or
  `rewrite=True`).

Rows are keyed by the day in TIME_ZONE; marks carry the UTC day of the changed timestamp, so a
marked UTC day recomputes the local days it overlaps (the day before, the day, the day after).
"""

import datetime
import zlib

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as Choose
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from cases.models import Case, Forwarding, Outcome, Party, Referral
from hotline.models import Call, Tip
from reports.models import DirtyDay, MarginDay, MarginMonth, Metric, Rollup, RollupMonth

COLUMNS = (
    "day",
    "region_id",
    "industry_id",
    "trafficking_type",
    "channel",
    "caller_type",
    "detail",
    "age_band",
    "gender",
    "minor",
)
BATCH = 20_000
VICTIM_ROLES = sorted(Party.VICTIM_ROLES)
UNKNOWN_DEMOGRAPHICS = {
    "age_band": Value(Party.AgeBand.UNKNOWN),
    "gender": Value(Party.Gender.UNKNOWN),
    "minor": Value("unknown"),
}
LAW_ENFORCEMENT = "law_enforcement"
SERVICES = "services"
# How a forwarding met its deadline (cases.selectors.forwarding_on_time_by_month): answered by
# the deadline, answered after it, not answered yet. Whether an open one is overdue depends on
# the clock, not on the row, so it is decided when read (reports/charts.py).
ON_TIME = "on_time"
LATE = "late"
OPEN = "open"
FORWARDING_RESULTS = (ON_TIME, LATE, OPEN)
# The margins of each metric (reports.models.Margins): besides the total (""), the sum by each
# one of these columns.
_CASE_MARGINS = ("region_id", "industry_id", "trafficking_type")
MARGINS = {
    Metric.CALLS: ("region_id", "channel", "caller_type"),
    Metric.TIPS: _CASE_MARGINS,
    Metric.CASES_OPENED: _CASE_MARGINS,
    Metric.CASES_CLOSED: _CASE_MARGINS,
    Metric.VICTIMS: (*_CASE_MARGINS, "age_band", "gender", "minor"),
    Metric.REFERRALS: (*_CASE_MARGINS, "detail"),
    Metric.OUTCOMES: (*_CASE_MARGINS, "detail"),
    Metric.FORWARDINGS: (*_CASE_MARGINS, "detail"),
}
# Every table derived from the source tables, in the order they are filled, and what each holds.
DERIVED = (Rollup, RollupMonth, MarginDay, MarginMonth)
FILLED = ("day", "month", "margin_day", "margin_month")
# Metrics whose day is a date (no time zone to cross), the rest are timestamps.
DATE_METRICS = frozenset({Metric.OUTCOMES})
_BLANK = Value("", output_field=CharField())
# Typed, so that PostgreSQL takes it for the bigint column in INSERT ... SELECT.
_NO_ID = Cast(Value(None), output_field=BigIntegerField())


def _ranges(model_field, days):
    """Q for `model_field` (a timestamp) falling on any of `days` (local dates), as index-friendly
    ranges of consecutive days. None means every day."""
    if days is None:
        return Q()
    tz = timezone.get_default_timezone()
    condition = Q(pk__in=[])
    ordered = sorted(days)
    start = previous = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == previous + datetime.timedelta(days=1):
            previous = day
            continue
        begin = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min), tz)
        end = timezone.make_aware(
            datetime.datetime.combine(previous + datetime.timedelta(days=1), datetime.time.min),
            tz,
        )
        condition |= Q(**{f"{model_field}__gte": begin, f"{model_field}__lt": end})
        if day is not None:
            start = previous = day
    return condition


def _dates(model_field, days):
    return Q() if days is None else Q(**{f"{model_field}__in": sorted(days)})


class CellQuery:
    """One grouped SELECT of a metric's rollup rows: the source rows (`queryset`), the
    expression of each column the metric has (`columns`, the day first), and what a row adds to
    its cell: one (`summed` None: a count of rows) or the value of `summed`."""

    def __init__(self, queryset, summed=None, **columns):
        self.queryset, self.summed, self.columns = queryset, summed, columns
        assert "day" in columns and set(columns) <= set(COLUMNS), columns

    def grouped(self):
        """The SELECT grouped by COLUMNS (missing ones blank), whose columns line up with
        COLUMNS, then the count."""
        values = {
            "day": self.columns["day"],
            "region_id": self.columns.get("region_id", _NO_ID),
            "industry_id": self.columns.get("industry_id", _NO_ID),
        }
        for name in COLUMNS[3:]:
            values[name] = self.columns.get(name, _BLANK)
        aliased = {f"r_{name}": expression for name, expression in values.items()}
        count = Count("pk") if self.summed is None else Sum(self.summed)
        return self.queryset.annotate(**aliased).values(*aliased).annotate(r_count=count)

    def rows(self):
        """The same rows ungrouped: one per source row, with the metric's columns (r_<name>)
        and what the row adds to its cell (r_weight)."""
        aliased = {f"r_{name}": expression for name, expression in self.columns.items()}
        weight = Value(1) if self.summed is None else self.summed
        rows = self.queryset.annotate(**aliased, r_weight=weight).values(*aliased, "r_weight")
        return rows.order_by()


def _case_dims(prefix=""):
    return {
        "region_id": F(f"{prefix}region_id"),
        "industry_id": F(f"{prefix}industry_id"),
        "trafficking_type": F(f"{prefix}trafficking_type"),
    }


def source_queries(metric, days=None):
    """The grouped SELECTs that give `metric`'s rollup rows for `days` (local dates; None: all)."""
    return [cells.grouped() for cells in sources(metric, days)]


def sources(metric, days=None):
    """The CellQuery of each SELECT of `metric` for `days` (local dates; None: all)."""
    if metric == Metric.CALLS:
        return [
            CellQuery(
                Call.objects.filter(_ranges("started_at", days)),
                day=TruncDate("started_at"),
                region_id=F("region_id"),
                channel=F("channel"),
                caller_type=F("caller_type"),
            )
        ]
    if metric == Metric.TIPS:
        return [
            CellQuery(
                Tip.objects.filter(_ranges("received_at", days)),
                day=TruncDate("received_at"),
                **_case_dims(),
            )
        ]
    if metric == Metric.CASES_OPENED:
        return [
            CellQuery(
                Case.objects.filter(_ranges("opened_at", days)),
                day=TruncDate("opened_at"),
                **_case_dims(),
            )
        ]
    if metric == Metric.CASES_CLOSED:
        return [
            CellQuery(
                Case.objects.filter(_ranges("closed_at", days), closed_at__isnull=False),
                day=TruncDate("closed_at"),
                **_case_dims(),
            )
        ]
    if metric == Metric.VICTIMS:
        recorded = (
            Party.objects.filter(case=OuterRef("pk"), role__in=VICTIM_ROLES)
            .order_by()
            .values("case")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return [
            CellQuery(
                Party.objects.filter(_ranges("case__opened_at", days), role__in=VICTIM_ROLES),
                day=TruncDate("case__opened_at"),
                **_case_dims("case__"),
                age_band=F("age_band"),
                gender=F("gender"),
                minor=Choose(
                    When(is_minor=True, then=Value("yes")),
                    When(is_minor=False, then=Value("no")),
                    default=Value("unknown"),
                ),
            ),
            # The victims counted on the case beyond those recorded as parties, with unknown
            # demographics.
            CellQuery(
                Case.objects.filter(_ranges("opened_at", days))
                .annotate(recorded=Coalesce(Subquery(recorded), 0))
                .filter(victim_count__gt=F("recorded")),
                F("victim_count") - F("recorded"),
                day=TruncDate("opened_at"),
                **_case_dims(),
                **UNKNOWN_DEMOGRAPHICS,
            ),
        ]
    if metric == Metric.REFERRALS:
        return [
            CellQuery(
                Referral.objects.filter(_ranges("sent_at", days)),
                day=TruncDate("sent_at"),
                **_case_dims("case__"),
                detail=Choose(
                    When(
                        reason=Referral.Reason.LAW_ENFORCEMENT_REPORT,
                        then=Value(LAW_ENFORCEMENT),
                    ),
                    default=Value(SERVICES),
                ),
            )
        ]
    if metric == Metric.OUTCOMES:
        return [
            CellQuery(
                Outcome.objects.filter(_dates("occurred_on", days)),
                day=F("occurred_on"),
                **_case_dims("case__"),
                detail=F("kind"),
            )
        ]
    if metric == Metric.FORWARDINGS:
        return [
            CellQuery(
                Forwarding.objects.filter(_ranges("due_at", days)),
                day=TruncDate("due_at"),
                **_case_dims("case__"),
                detail=Choose(
                    When(completed_at__isnull=True, then=Value(OPEN)),
                    When(completed_at__lte=F("due_at"), then=Value(ON_TIME)),
                    default=Value(LATE),
                ),
            )
        ]
    raise ValueError(f"unknown metric {metric!r}")


def _insert(metric, queryset, model=Rollup):
    """INSERT INTO `model`'s table the rows `queryset` selects, without a trip through
    Python."""
    sql, params = queryset.query.sql_with_params()
    columns = ", ".join(("metric", *COLUMNS, "count"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) SELECT %s, s.* FROM ({sql}) s",
            [metric, *params],
        )
        return cursor.rowcount


def _insert_margins(metric, queries, model):
    """INSERT INTO a margin table the rows of every (margin, queryset) of `queries`: one
    statement."""
    selects, params = [], []
    for margin, queryset in queries:
        sql, query_params = queryset.query.sql_with_params()
        selects.append(f"SELECT %s, %s, s.* FROM ({sql}) s")
        params += [metric, margin, *query_params]
    columns = ", ".join(("metric", "margin", *COLUMNS, "count"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) {' UNION ALL '.join(selects)}",
            params,
        )
        return cursor.rowcount


def next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_query(metric, months=None):
    """The monthly rows of `metric` for `months` (first days; None: all), summed from the
    daily rows."""
    rows = Rollup.objects.filter(metric=metric)
    if months is not None:
        condition = Q(pk__in=[])
        for month in months:
            condition |= Q(day__gte=month, day__lt=next_month(month))
        rows = rows.filter(condition)
    # Grouped by the columns the metric has (the others are blank): fewer keys to hash.
    return CellQuery(
        rows,
        F("count"),
        day=TruncMonth("day"),
        **{name: F(name) for name in MARGINS[metric]},
    ).grouped()


def _in_months(months):
    condition = Q(pk__in=[])
    for month in months:
        condition |= Q(day__gte=month, day__lt=next_month(month))
    return condition


def margin_queries(metric, days=None):
    """(margin, the daily margin rows of `metric` on `days` (None: all), summed from the daily
    rows)."""
    rows = Rollup.objects.filter(metric=metric)
    if days is not None:
        rows = rows.filter(day__in=sorted(days))
    return [
        (
            column,
            CellQuery(
                rows, F("count"), day=F("day"), **({column: F(column)} if column else {})
            ).grouped(),
        )
        for column in ("", *MARGINS[metric])
    ]


def margin_month_queries(metric, months=None):
    """(margin, the monthly margin rows of `metric` for `months` (None: all), from the daily
    margins)."""
    within = Q() if months is None else _in_months(months)
    return [
        (
            column,
            CellQuery(
                MarginDay.objects.filter(within, metric=metric, margin=column),
                F("count"),
                day=TruncMonth("day"),
                **({column: F(column)} if column else {}),
            ).grouped(),
        )
        for column in ("", *MARGINS[metric])
    ]


def _local_days(metric, utc_days):
    """The local days whose rows a change on these UTC days can touch."""
    if metric in DATE_METRICS or timezone.get_default_timezone_name() == "UTC":
        return set(utc_days)
    one = datetime.timedelta(days=1)
    return {day + delta for day in utc_days for delta in (-one, 0 * one, one)}


def _lock_days(keys):
    """Serialise recomputations of the same (metric, day) across processes (PostgreSQL), in a
    fixed order so that two runs never wait for each other in a cycle."""
    if connection.vendor != "postgresql" or not keys:
        return
    pairs = sorted(
        (zlib.crc32(metric.encode()) & 0x7FFFFFFF, day.toordinal()) for metric, day in keys
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k.a, k.b) FROM unnest(%s::int[], %s::int[]) AS k(a, b) "
            "ORDER BY k.a, k.b",
            [[a for a, _ in pairs], [b for _, b in pairs]],
        )


def recompute(metric, days):
    """Replace the rows of `metric` on `days` (local dates), and of the months they fall in,
    with counts from the source tables. Call inside a transaction."""
    days = set(days)
    if not days:
        return 0
    months = sorted({day.replace(day=1) for day in days})
    # Every margin the metric has, named: the index on (metric, margin, day) then finds the
    # days' rows rather than reading all of the metric's.
    margins = ["", *MARGINS[metric]]
    Rollup.objects.filter(metric=metric, day__in=sorted(days)).delete()
    MarginDay.objects.filter(metric=metric, margin__in=margins, day__in=sorted(days)).delete()
    RollupMonth.objects.filter(metric=metric, day__in=months).delete()
    MarginMonth.objects.filter(metric=metric, margin__in=margins, day__in=months).delete()
    if connection.vendor == "postgresql":
        return _recompute_in_sql(metric, days, months)
    rows = sum(_insert(metric, query) for query in source_queries(metric, days))
    _insert_margins(metric, margin_queries(metric, days), MarginDay)
    _insert(metric, month_query(metric, months), RollupMonth)
    _insert_margins(metric, margin_month_queries(metric, months), MarginMonth)
    return rows


TABLES = dict(zip(FILLED, (model._meta.db_table for model in DERIVED), strict=True))


def _recompute_in_sql(metric, days, months):
    """recompute() on PostgreSQL, with the rebuild's statements: the days' rows and their
    margins in one statement, then the months' rows and margins, summed from all the daily
    rows of those months, in another."""
    with connection.cursor() as cursor:
        daily, params = _written_days(metric, source_queries(metric, days), TABLES["day"])
        sums, sum_params = _sums(metric, TABLES, day_margins=True, months=False)
        cursor.execute(f"WITH {daily}, {sums} SELECT count(*) FROM daily", [*params, *sum_params])
        (rows,) = cursor.fetchone()
        _sum_months(cursor, metric, months, day_margins=False)
    return rows


def _months_within(months):
    """SQL and parameters for `day` falling in any of `months` (first days)."""
    within = " OR ".join(["(day >= %s AND day < %s)"] * len(months))
    return within, [bound for month in months for bound in (month, next_month(month))]


def _sum_months(cursor, metric, months, *, day_margins):
    """Write `metric`'s rows and margins of `months` (first days), and with `day_margins` the
    margins of every day in them, summed from the daily rows (their old rows deleted first)."""
    within, bounds = _months_within(months)
    sums, sum_params = _sums(metric, TABLES, day_margins=day_margins, months=True)
    cursor.execute(
        f"WITH daily AS (SELECT day, {', '.join(MARGINS[metric])}, count "
        f"FROM {TABLES['day']} WHERE metric = %s AND ({within})), {sums} SELECT 1",
        [metric, *bounds, *sum_params],
    )


def _claim(limit):
    """Take up to `limit` dirty marks, deleting them in the caller's transaction: committed with
    the recomputation, or put back if it fails. On PostgreSQL, rows another run has claimed are
    skipped rather than waited for."""
    table = DirtyDay._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id "
                f"LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING metric, day",
                [limit],
            )
            return cursor.fetchall()
        # SQLite has one writer at a time: read, then delete exactly what was read.
        cursor.execute(f"SELECT id, metric, day FROM {table} ORDER BY id LIMIT %s", [limit])
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk
            )
        return [(metric, day) for _, metric, day in rows]


def _as_date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


# What the sweep reads (a few days' source rows and rollup rows, by index) is in memory: with
# PostgreSQL's default cost of a random page read (4, a spinning disk's), it plans a scan of the
# whole parties table to join the victims of a few hundred cases.
SWEEP_SETTINGS = ("random_page_cost = 1.1",)


def _lock_rollups_for_writing():
    """Take the rollup tables before the dirty marks, as rollup_rebuild does: a sweep that had
    claimed marks and then waited for the tables, while the rebuild held the tables and waited
    for those marks, would deadlock. ROW EXCLUSIVE is what the writes take anyway; sweeps do
    not block each other, and a running rebuild holds them off before they claim anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(model._meta.db_table for model in DERIVED)
            cursor.execute(f"LOCK TABLE {tables} IN ROW EXCLUSIVE MODE")


def _plan_for_the_sweep():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for setting in SWEEP_SETTINGS:
                cursor.execute(f"SET LOCAL {setting}")


def rollup_pending(batch=BATCH):
    """Recompute every marked day; returns how many marks were taken."""
    taken = 0
    while True:
        with transaction.atomic():
            _lock_rollups_for_writing()
            _plan_for_the_sweep()
            marks = _claim(batch)
            if not marks:
                return taken
            taken += len(marks)
            by_metric = {}
            for metric, day in marks:
                by_metric.setdefault(metric, set()).add(_as_date(day))
            local = {metric: _local_days(metric, days) for metric, days in by_metric.items()}
            _lock_days(
                [(metric, day) for metric, days in local.items() for day in days]
                + [
                    (f"{metric}/month", month)
                    for metric, days in local.items()
                    for month in {day.replace(day=1) for day in days}
                ]
            )
            for metric, days in sorted(local.items()):
                recompute(metric, days)


def rollup_rebuild(*, rewrite=False):
    """Bring every row in line with the source tables, in one transaction (the nightly
    reconciliation). On PostgreSQL: compare every daily row with the source tables and
    recompute the days that differ, and the months whose derived rows do not add up to their
    daily rows (_reconcile); with `rewrite`, or when so much differs that recomputing day by
    day would take longer, write every table anew (_rebuild_by_swap). Elsewhere, every row is
    written anew. Returns the number of daily rows written."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            if not rewrite:
                rows = _reconcile()
                if rows is not None:
                    return rows
            return _rebuild_by_swap()
        # Every mark committed so far is covered by what follows; later ones stay for the sweep.
        DirtyDay.objects.all().delete()
        for model in DERIVED:
            model.objects.all().delete()
        rows = 0
        for metric in Metric.values:
            for query in source_queries(metric):
                rows += _insert(metric, query)
            _insert(metric, month_query(metric), RollupMonth)
            _insert_margins(metric, margin_queries(metric), MarginDay)
            _insert_margins(metric, margin_month_queries(metric), MarginMonth)
        return rows


# Past this share of the (metric, day) pairs differing, writing every table anew is faster than
# recomputing the days one batch at a time (both about 10 ms a day on the benchmark's data).
REWRITE_SHARE = 0.1


def _reconcile():
    """The rebuild when the rollups are mostly right, as they are after the sweeps: no row is
    written unless it is wrong. Returns the number of daily rows written, or None, having
    written nothing, when so much differs (more than REWRITE_SHARE of the days, as on a
    first run) that _rebuild_by_swap is the faster way.

    For each metric, one statement sets every source row (+1, or the value it adds) beside
    every stored daily row (minus its count), grouped by the metric's columns: a cell whose
    sum is not zero is missing, extra or wrong, and its day is recomputed (recompute(), as
    the sweep does, which also rewrites that day's margins and its month's rows). It costs
    about what the grouped SELECTs cost alone. Then the derived tables (months, margins),
    sums of the daily rows: every table and margin must add up to the daily rows' total per
    metric and month, and a month that does not is derived again from its daily rows
    (_rederive). What the totals cannot see (a derived row moved to another value of the
    same month) the weekly rewrite puts right (docs/rollups.md)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLES['margin_day']} WHERE margin = ''")
        (stored,) = cursor.fetchone()  # the (metric, day) pairs that have rows
        if stored == 0:
            return None  # a first run
        _begin_rebuild(cursor)
        wrong = {metric: _differing_days(cursor, metric) for metric in sorted(Metric.values)}
        if sum(len(days) for days in wrong.values()) > REWRITE_SHARE * stored:
            return None
        for setting in SWEEP_SETTINGS:
            cursor.execute(f"SET LOCAL {setting}")
    rows = sum(recompute(metric, days) for metric, days in sorted(wrong.items()))
    with connection.cursor() as cursor:
        months = {}
        for metric, month in _months_not_adding_up(cursor):
            months.setdefault(metric, set()).add(month)
        for metric, listed in sorted(months.items()):
            _rederive(cursor, metric, sorted(listed))
    return rows


def _rederive(cursor, metric, months):
    """Every derived row of `metric` in `months` (first days) summed again from its daily
    rows: the margins of every day of those months, whatever their margin, and the months'
    rows and margins."""
    within, bounds = _months_within(months)
    for table in (TABLES["margin_day"], TABLES["month"], TABLES["margin_month"]):
        cursor.execute(f"DELETE FROM {table} WHERE metric = %s AND ({within})", [metric, *bounds])
    _sum_months(cursor, metric, months, day_margins=True)


def _differing_days(cursor, metric):
    """The local days on which `metric`'s daily rows differ from the source tables' cells."""
    cells = sources(metric)
    own = [name for name in COLUMNS if name in cells[0].columns]
    assert all(set(each.columns) == set(own) for each in cells), metric
    selects, params = [], []
    for each in cells:
        sql, query_params = each.rows().query.sql_with_params()
        selects.append(f"SELECT {', '.join(f'r_{name}' for name in own)}, r_weight FROM ({sql}) s")
        params += query_params
    selects.append(f"SELECT {', '.join(own)}, -count FROM {TABLES['day']} WHERE metric = %s")
    params.append(metric)
    listed = ", ".join(own)
    cursor.execute(
        f"SELECT DISTINCT day FROM (SELECT day FROM ({' UNION ALL '.join(selects)}) "
        f"u({listed}, weight) GROUP BY {listed} HAVING sum(weight) <> 0) wrong",
        params,
    )
    return {_as_date(day) for (day,) in cursor.fetchall()}


def _months_not_adding_up(cursor):
    """(metric, first day of the month) where a derived table, or one margin of it, does not
    add up to the daily rows' total of the month, or has rows where there are none."""
    expected = [
        (metric, what)
        for metric, margins in MARGINS.items()
        for what in (
            "month",
            *(f"{period}:{margin}" for period in ("day", "month") for margin in ("", *margins)),
        )
    ]
    cursor.execute(
        f"WITH daily AS (SELECT metric, {_MONTH} AS month, sum(count) AS total "
        f"FROM {TABLES['day']} GROUP BY 1, 2), "
        "expected (metric, what) AS (SELECT * FROM unnest(%s::text[], %s::text[])), "
        "wanted AS (SELECT metric, month, what, total FROM daily JOIN expected USING (metric)), "
        f"derived AS (SELECT metric, {_MONTH} AS month, 'day:' || margin AS what, "
        f"sum(count) AS total FROM {TABLES['margin_day']} GROUP BY 1, 2, 3 "
        f"UNION ALL SELECT metric, day, 'month', sum(count) FROM {TABLES['month']} "
        "GROUP BY 1, 2 "
        f"UNION ALL SELECT metric, day, 'month:' || margin, sum(count) "
        f"FROM {TABLES['margin_month']} GROUP BY 1, 2, 3) "
        "SELECT DISTINCT metric, month FROM wanted FULL JOIN derived "
        "USING (metric, month, what) WHERE wanted.total IS DISTINCT FROM derived.total",
        [[metric for metric, _ in expected], [what for _, what in expected]],
    )
    return [(metric, _as_date(month)) for metric, month in cursor.fetchall()]


NEW = "{}_new"


# The rebuild sorts and hashes about as many rows as there are calls: in memory rather than in
# temporary files (the benchmark gives its plain GROUP BY the same settings).
REBUILD_WORK_MEM = "256MB"
REBUILD_SETTINGS = (
    f"work_mem = '{REBUILD_WORK_MEM}'",
    # The index builds sort as many rows as the tables hold.
    "maintenance_work_mem = '512MB'",
    # The victims' SELECT (a subquery per case) is costed high enough for PostgreSQL to compile
    # the whole statement to machine code, which takes longer than running it.
    "jit = off",
)
# The month's first day; date_trunc on a timestamp without time zone, so TIME_ZONE plays no part.
_MONTH = "date_trunc('month', day::timestamp)::date"


def _blank(column):
    return "NULL" if column.endswith("_id") else "''"


def _grouping_mask(keys, kept):
    """What GROUPING(keys) gives for the grouping set `kept`: a bit per key the set leaves
    out, the first key's the highest."""
    return sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in kept)


def _written_days(metric, queries, table):
    """A CTE `daily`: INSERT INTO `table` the rows `queries` select, in the order of the day,
    handing on (RETURNING) the day, the metric's columns and the count. (sql, params)"""
    selects, params = [], []
    for queryset in queries:
        sql, query_params = queryset.query.sql_with_params()
        selects.append(sql)
        params += query_params
    names = ", ".join(COLUMNS)
    return (
        f"daily AS (INSERT INTO {table} (metric, {names}, count) SELECT %s, * FROM "
        f"({' UNION ALL '.join(selects)}) s ORDER BY 2 "
        f"RETURNING day, {', '.join(MARGINS[metric])}, count)",
        [metric, *params],
    )


def _sums(metric, tables, *, day_margins, months):
    """CTEs that sum the rows of a CTE `daily` (day, the metric's columns, count) in one pass
    (GROUPING SETS over the columns the metric has) and write them: with `day_margins`, the
    daily margins into tables["margin_day"]; with `months`, the monthly rows into
    tables["month"] and the monthly margins, summed from those (fewer), into
    tables["margin_month"]. Each table is written in the order of its index. (sql, params)"""
    columns = MARGINS[metric]
    names = ", ".join(COLUMNS)
    listed = ", ".join(columns)

    def values(kept):
        # A column the metric does not have is blank; one a set leaves out comes back NULL.
        return ", ".join(
            (column if column.endswith("_id") else f"COALESCE({column}, '')")
            if column in kept
            else _blank(column)
            for column in COLUMNS[1:]
        )

    def sets(grouped):
        return ", ".join(f"({', '.join(kept)})" for kept in grouped)

    periods = (("month",) if months else ()) + (("day",) if day_margins else ())
    keys = (*periods, *columns)
    full = ("month", *columns)
    day_sets = [("day",), *(("day", column) for column in columns)]
    full_mask = _grouping_mask(keys, full)
    grouped = ([full] if months else []) + (day_sets if day_margins else [])
    ctes = [
        f"sums AS MATERIALIZED (SELECT GROUPING({', '.join(keys)}) AS g, {', '.join(keys)}, "
        f"sum(count) AS count FROM (SELECT *, {_MONTH} AS month FROM daily) d "
        f"GROUP BY GROUPING SETS ({sets(grouped)}))"
    ]
    params = []
    if months:
        month_margin = " ".join(
            f"WHEN {_grouping_mask(columns, (column,))} THEN '{column}'" for column in columns
        )
        ctes += [
            f"months AS (INSERT INTO {tables['month']} (metric, {names}, count) "
            f"SELECT %s, month, {values(columns)}, count FROM sums WHERE g = {full_mask} "
            "ORDER BY 2)",
            f"margin_months AS (INSERT INTO {tables['margin_month']} (metric, margin, {names}, "
            f"count) SELECT %s, CASE GROUPING({listed}) {month_margin} ELSE '' END, month, "
            f"{values(columns)}, sum(count) FROM sums WHERE g = {full_mask} "
            f"GROUP BY GROUPING SETS ({sets([('month',), *(('month', c) for c in columns)])}) "
            "ORDER BY 2, 3)",
        ]
        params += [metric, metric]
    if day_margins:
        day_margin = " ".join(
            f"WHEN {_grouping_mask(keys, ('day', column))} THEN '{column}'" for column in columns
        )
        day_masks = ", ".join(str(_grouping_mask(keys, kept)) for kept in day_sets)
        ctes.append(
            f"margin_days AS (INSERT INTO {tables['margin_day']} (metric, margin, {names}, count) "
            f"SELECT %s, CASE g {day_margin} ELSE '' END, day, {values(columns)}, count "
            f"FROM sums WHERE g IN ({day_masks}) ORDER BY 2, 3)"
        )
        params.append(metric)
    return ", ".join(ctes), params


def _fill(cursor, metric, queries, tables):
    """Fill the new tables (`tables`: {FILLED: the table's name}) with `metric`'s rows in one
    statement: the daily rows from the source tables (the sweep's SELECTs), handed on to
    `_sums` for the monthly rows and the margins. The source tables are read once and no new
    table is read back; each table is written in the order of its index, so the index builds
    find their input sorted. Returns the number of daily rows."""
    daily, params = _written_days(metric, queries, tables["day"])
    sums, sum_params = _sums(metric, tables, day_margins=True, months=True)
    cursor.execute(f"WITH {daily}, {sums} SELECT count(*) FROM daily", [*params, *sum_params])
    return cursor.fetchone()[0]


def _begin_rebuild(cursor):
    """What both rebuilds start with: the derived tables taken (incremental runs wait,
    readers do not; the tables before the marks, here and in rollup_pending: one lock order),
    the rebuild's settings, and the marks committed so far deleted (what follows covers them;
    later ones stay for the sweep). Taking the lock and deleting the marks again, when the
    reconciliation hands over to the swap, changes nothing."""
    tables = ", ".join(model._meta.db_table for model in DERIVED)
    cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    for setting in REBUILD_SETTINGS:
        cursor.execute(f"SET LOCAL {setting}")
    DirtyDay.objects.all().delete()


def _indexes(cursor, table):
    """[(name, what follows USING in its definition)] of `table`'s indexes besides its primary
    key: every index the migrations made, made again on the new table."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY c.relname",
        [table],
    )
    found = []
    for name, definition in cursor.fetchall():
        head, using = definition.split(" USING ", 1)
        # None is unique (the rows have no natural key: docs/rollups.md); one that were would
        # need UNIQUE here.
        assert not head.startswith("CREATE UNIQUE"), definition
        assert len(NEW.format(name)) <= 63, name
        found.append((name, using))
    return found


def _rebuild_by_swap():
    """The rebuild on PostgreSQL: fill fresh tables without indexes, all in the database (no row
    comes to Python), index them, then swap them in for the old ones by renaming.

    Locks: SHARE ROW EXCLUSIVE on the derived tables while filling (sweeps wait, readers read
    the old rows), then ACCESS EXCLUSIVE for the swap only (readers wait for the renames, a
    few milliseconds, then read the new tables: PostgreSQL resolves the name again after a
    wait). Everything is one transaction: if anything fails, the old tables stay as they were.
    """
    tables = [model._meta.db_table for model in DERIVED]
    with connection.cursor() as cursor:
        _begin_rebuild(cursor)
        for table in tables:
            new = NEW.format(table)
            cursor.execute(f"DROP TABLE IF EXISTS {new}")
            cursor.execute(
                f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING IDENTITY)"
            )
            # Ids handed out a thousand at a time while filling (one sequence update per
            # thousand rows, not per row); back to one at a time before the swap.
            cursor.execute(f"ALTER TABLE {new} ALTER COLUMN id SET CACHE 1000")
        indexes = {table: _indexes(cursor, table) for table in tables}
        filled = dict(zip(FILLED, map(NEW.format, tables), strict=True))
        rows = 0
        # In the order of the metric, like the indexes.
        for metric in sorted(Metric.values):
            rows += _fill(cursor, metric, source_queries(metric), filled)
        for table in tables:
            new = NEW.format(table)
            cursor.execute(f"ALTER TABLE {new} ALTER COLUMN id SET CACHE 1")
            cursor.execute(f"ALTER TABLE {new} ADD CONSTRAINT {new}_pkey PRIMARY KEY (id)")
            for name, using in indexes[table]:
                cursor.execute(f"CREATE INDEX {NEW.format(name)} ON {new} USING {using}")
            cursor.execute(f"ANALYZE {new}")
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        for table in tables:
            new = NEW.format(table)
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [new])
            (sequence,) = cursor.fetchone()
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
            cursor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey")
            for name, _ in indexes[table]:
                cursor.execute(f"ALTER INDEX {NEW.format(name)} RENAME TO {name}")
            cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq")
    return rows
