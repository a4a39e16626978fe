"""Computing the rollups from the source tables (docs/rollups.md).

Two entry points, both safe to run twice or in parallel:

- `rollup_pending()`: claims the dirty (metric, day) marks the triggers wrote, recomputes those
  days from the source tables (one GROUP BY per metric, restricted to those days) and replaces
  their rows, all in one transaction per batch.
- `rollup_rebuild()`: recomputes everything, the nightly reconciliation.

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

from cases.models import Case, Outcome, Party, Referral
from hotline.models import Call, Tip
from reports.models import DirtyDay, Metric, Rollup, RollupMonth

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
    raise ValueError(f"unknown metric {metric!r}")


def _insert(metric, queryset, model=Rollup):
    """INSERT INTO the rollup table the rows `queryset` selects, without a trip through Python."""
    sql, params = queryset.query.sql_with_params()
    columns = ", ".join(("metric", *COLUMNS, "count"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) SELECT %s, s.* FROM ({sql}) s",
            [metric, *params],
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
    return _cells(
        rows,
        Sum("count"),
        day=TruncMonth("day"),
        **{name: F(name) for name in COLUMNS[1:]},
    )


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
    months = sorted({day.replace(day=1) for day in days})
    RollupMonth.objects.filter(metric=metric, day__in=months).delete()
    _insert(metric, month_query(metric, months), RollupMonth)
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
            cursor.execute(
                f"LOCK TABLE {Rollup._meta.db_table}, {RollupMonth._meta.db_table} "
                "IN ROW EXCLUSIVE MODE"
            )


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
            with connection.cursor() as cursor:
                # Incremental runs wait while this replaces everything; readers do not. The
                # tables come before the marks here and in rollup_pending (one lock order).
                cursor.execute(
                    f"LOCK TABLE {Rollup._meta.db_table}, {RollupMonth._meta.db_table} "
                    "IN SHARE ROW EXCLUSIVE MODE"
                )
        # Every mark committed so far is covered by what follows; later ones stay for the sweep.
        DirtyDay.objects.all().delete()
        Rollup.objects.all().delete()
        RollupMonth.objects.all().delete()
        rows = 0
        for metric in Metric.values:
            for query in source_queries(metric):
                rows += _insert(metric, query)
            _insert(metric, month_query(metric), RollupMonth)
        return rows
