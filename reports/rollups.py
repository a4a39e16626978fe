"""Computing the rollups from the source tables (docs/rollups.md).

Two entry points, both safe to run twice or in parallel:

- `rollup_pending()`: claims the dirty (metric, day) marks the triggers wrote, recomputes those
  days from the source tables (one GROUP BY per metric, restricted to those days) and replaces
  their rows, then the monthly rows and the margins of those days and months from the daily
  rows, all in one transaction per batch.
- `rollup_rebuild()`: recomputes everything, the nightly reconciliation (on PostgreSQL into
  fresh tables swapped in by renaming, `_rebuild_by_swap`).

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
# Every table derived from the source tables, in the order they are filled.
DERIVED = (Rollup, RollupMonth, MarginDay, MarginMonth)
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


def _cells(queryset, count, **columns):
    """`queryset` grouped by COLUMNS (missing ones blank), counting with `count`: the SELECT
    whose columns line up with COLUMNS, then the count."""
    values = {
        "day": columns.pop("day"),
        "region_id": columns.pop("region_id", _NO_ID),
        "industry_id": columns.pop("industry_id", _NO_ID),
    }
    for name in COLUMNS[3:]:
        values[name] = columns.pop(name, _BLANK)
    assert not columns, columns
    aliased = {f"r_{name}": expression for name, expression in values.items()}
    return queryset.annotate(**aliased).values(*aliased).annotate(r_count=count)


def _case_dims(prefix=""):
    return {
        "region_id": F(f"{prefix}region_id"),
        "industry_id": F(f"{prefix}industry_id"),
        "trafficking_type": F(f"{prefix}trafficking_type"),
    }


def source_queries(metric, days=None):
    """The grouped SELECTs that give `metric`'s rollup rows for `days` (local dates; None: all)."""
    if metric == Metric.CALLS:
        return [
            _cells(
                Call.objects.filter(_ranges("started_at", days)),
                Count("pk"),
                day=TruncDate("started_at"),
                region_id=F("region_id"),
                channel=F("channel"),
                caller_type=F("caller_type"),
            )
        ]
    if metric == Metric.TIPS:
        return [
            _cells(
                Tip.objects.filter(_ranges("received_at", days)),
                Count("pk"),
                day=TruncDate("received_at"),
                **_case_dims(),
            )
        ]
    if metric == Metric.CASES_OPENED:
        return [
            _cells(
                Case.objects.filter(_ranges("opened_at", days)),
                Count("pk"),
                day=TruncDate("opened_at"),
                **_case_dims(),
            )
        ]
    if metric == Metric.CASES_CLOSED:
        return [
            _cells(
                Case.objects.filter(_ranges("closed_at", days), closed_at__isnull=False),
                Count("pk"),
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
            _cells(
                Party.objects.filter(_ranges("case__opened_at", days), role__in=VICTIM_ROLES),
                Count("pk"),
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
            _cells(
                Case.objects.filter(_ranges("opened_at", days))
                .annotate(recorded=Coalesce(Subquery(recorded), 0))
                .filter(victim_count__gt=F("recorded")),
                Sum(F("victim_count") - F("recorded")),
                day=TruncDate("opened_at"),
                **_case_dims(),
                **UNKNOWN_DEMOGRAPHICS,
            ),
        ]
    if metric == Metric.REFERRALS:
        return [
            _cells(
                Referral.objects.filter(_ranges("sent_at", days)),
                Count("pk"),
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
            _cells(
                Outcome.objects.filter(_dates("occurred_on", days)),
                Count("pk"),
                day=F("occurred_on"),
                **_case_dims("case__"),
                detail=F("kind"),
            )
        ]
    if metric == Metric.FORWARDINGS:
        return [
            _cells(
                Forwarding.objects.filter(_ranges("due_at", days)),
                Count("pk"),
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


def _insert(metric, queryset, model=Rollup, table=None, by_day=False):
    """INSERT INTO the rollup table (or `table`) the rows `queryset` selects, without a trip
    through Python; `by_day`: in the order of their day."""
    sql, params = queryset.query.sql_with_params()
    columns = ", ".join(("metric", *COLUMNS, "count"))
    order = " ORDER BY 2" if by_day else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table or model._meta.db_table} ({columns}) "
            f"SELECT %s, s.* FROM ({sql}) s{order}",
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
    return _cells(
        rows,
        Sum("count"),
        day=TruncMonth("day"),
        **{name: F(name) for name in MARGINS[metric]},
    )


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
            _cells(rows, Sum("count"), day=F("day"), **({column: F(column)} if column else {})),
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
            _cells(
                MarginDay.objects.filter(within, metric=metric, margin=column),
                Sum("count"),
                day=TruncMonth("day"),
                **({column: F(column)} if column else {}),
            ),
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
    Rollup.objects.filter(metric=metric, day__in=sorted(days)).delete()
    rows = sum(_insert(metric, query) for query in source_queries(metric, days))
    MarginDay.objects.filter(metric=metric, day__in=sorted(days)).delete()
    _insert_margins(metric, margin_queries(metric, days), MarginDay)
    months = sorted({day.replace(day=1) for day in days})
    RollupMonth.objects.filter(metric=metric, day__in=months).delete()
    _insert(metric, month_query(metric, months), RollupMonth)
    MarginMonth.objects.filter(metric=metric, day__in=months).delete()
    _insert_margins(metric, margin_month_queries(metric, months), MarginMonth)
    return rows


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


def _lock_rollups_for_writing():
    """Take the rollup tables before the dirty marks, as rollup_rebuild does: a sweep that had
    claimed marks and then waited for the tables, while the rebuild held the tables and waited
    for those marks, would deadlock. ROW EXCLUSIVE is what the writes take anyway; sweeps do
    not block each other, and a running rebuild holds them off before they claim anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(model._meta.db_table for model in DERIVED)
            cursor.execute(f"LOCK TABLE {tables} IN ROW EXCLUSIVE MODE")


def rollup_pending(batch=BATCH):
    """Recompute every marked day; returns how many marks were taken."""
    taken = 0
    while True:
        with transaction.atomic():
            _lock_rollups_for_writing()
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


def rollup_rebuild():
    """Recompute every row from the source tables, in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
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


NEW = "{}_new"


# The rebuild sorts and hashes about as many rows as there are calls: in memory rather than in
# temporary files (the benchmark gives its plain GROUP BY the same setting).
REBUILD_WORK_MEM = "256MB"
_MONTH = "(day - (extract(day from day)::int - 1))"


def _blank(column):
    return "NULL" if column.endswith("_id") else "''"


def _fill_months(cursor, source, target, margin=False):
    """The monthly rows from the daily rows of `source` (month_query, or margin_month_queries
    with `margin`), in SQL, one metric at a time, grouping by the columns it has (the others
    are blank): fewer and narrower keys to hash."""
    for metric, columns in MARGINS.items():
        keys = ", ".join(("margin", *columns) if margin else columns)
        values = ", ".join(
            column if column in columns else _blank(column) for column in COLUMNS[1:]
        )
        cursor.execute(
            f"INSERT INTO {target} (metric, {'margin, ' if margin else ''}{', '.join(COLUMNS)}, "
            f"count) SELECT %s, {'margin, ' if margin else ''}{_MONTH}, {values}, sum(count) "
            f"FROM {source} WHERE metric = %s GROUP BY {_MONTH}, {keys} ORDER BY {_MONTH}",
            [metric, metric],
        )


def _fill_margins(cursor, source, target):
    """The daily margins from the daily rows (margin_queries), in SQL: per metric, one pass with
    GROUPING SETS, the total and one set per column of MARGINS."""
    dimensions = COLUMNS[1:]
    for metric, columns in MARGINS.items():
        kept = " ".join(f"WHEN GROUPING({column}) = 0 THEN '{column}'" for column in columns)
        selected = ", ".join(
            (column if column.endswith("_id") else f"COALESCE({column}, '')")
            if column in columns
            else _blank(column)
            for column in dimensions
        )
        sets = ", ".join(["(day)", *(f"(day, {column})" for column in columns)])
        cursor.execute(
            f"INSERT INTO {target} (metric, margin, {', '.join(COLUMNS)}, count) "
            f"SELECT %s, CASE {kept} ELSE '' END, day, {selected}, sum(count) FROM {source} "
            f"WHERE metric = %s GROUP BY GROUPING SETS ({sets}) ORDER BY day",
            [metric, metric],
        )


def _rebuild_by_swap():
    """The rebuild on PostgreSQL: fill fresh tables without indexes, all in the database (no row
    comes to Python), index them, then swap them in for the old ones by renaming.

    Locks: SHARE ROW EXCLUSIVE on the derived tables while filling (sweeps wait, readers read
    the old rows), then ACCESS EXCLUSIVE for the swap only (readers wait for the renames, a
    few milliseconds, then read the new tables: PostgreSQL resolves the name again after a
    wait). Everything is one transaction: if anything fails, the old tables stay as they were.
    """
    tables = [model._meta.db_table for model in DERIVED]
    daily, monthly, margin_day, margin_month = (NEW.format(table) for table in tables)
    with connection.cursor() as cursor:
        # Incremental runs wait while this replaces everything; readers do not. The tables
        # come before the marks here and in rollup_pending (one lock order).
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")
        # Every mark committed so far is covered by what follows; later ones stay for the sweep.
        DirtyDay.objects.all().delete()
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {NEW.format(table)}")
            cursor.execute(
                f"CREATE TABLE {NEW.format(table)} (LIKE {table} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING IDENTITY)"
            )
        rows = 0
        for metric in Metric.values:
            for query in source_queries(metric):
                # In the order of the day: a day's or a month's rows sit together on disk,
                # so the sweep and the readers fetch a few pages rather than one per row.
                rows += _insert(metric, query, table=daily, by_day=True)
        _fill_months(cursor, daily, monthly)
        _fill_margins(cursor, daily, margin_day)
        _fill_months(cursor, margin_day, margin_month, margin=True)
        for model, table in zip(DERIVED, tables, strict=True):
            new = NEW.format(table)
            cursor.execute(f"ALTER TABLE {new} ADD CONSTRAINT {new}_pkey PRIMARY KEY (id)")
            for index in model._meta.indexes:
                columns = ", ".join(model._meta.get_field(name).column for name in index.fields)
                cursor.execute(f"CREATE INDEX {NEW.format(index.name)} ON {new} ({columns})")
            cursor.execute(f"ANALYZE {new}")
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        for model, table in zip(DERIVED, tables, strict=True):
            new = NEW.format(table)
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [new])
            (sequence,) = cursor.fetchone()
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
            cursor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey")
            for index in model._meta.indexes:
                cursor.execute(f"ALTER INDEX {NEW.format(index.name)} RENAME TO {index.name}")
            cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq")
    return rows
