"""Rollup tables: counts of calls, tips, cases, victims, referrals and outcomes per day and per
the finest dimensions recorded (docs/rollups.md).

Coarser periods (week, month, year) and regions (state, country, Census region, the world) are
sums over these rows; the region tree is joined when a page reads them, so an edit of the tree
needs no rebuild.
"""

from django.db import models
from django.db.models import Q

from hotline.db import choices_constraint


class Metric(models.TextChoices):
    """What a rollup row counts, and by which date (docs/rollups.md)."""

    CALLS = "calls", "Calls (signals), by the day the call started"
    TIPS = "tips", "Tips, by the day the tip was received"
    CASES_OPENED = "cases_opened", "Cases opened, by the day opened"
    CASES_CLOSED = "cases_closed", "Cases closed, by the day closed"
    VICTIMS = "victims", "Potential victims, by the day their case opened"
    REFERRALS = "referrals", "Referrals, by the day sent"
    OUTCOMES = "outcomes", "Outcomes, by the day they occurred"
    FORWARDINGS = "forwardings", "Forwarding deadlines, by the day due"


class Cells(models.Model):
    """The columns of a rollup table: a metric, a day, the dimensions and a count.

    Dimensions a metric does not have are empty: calls have no industry or trafficking type,
    cases no channel. `detail` is the referral kind (law_enforcement, services), the outcome
    kind, or how a forwarding met its deadline (on_time, late, open). Several rows may share a
    key (the victims recorded as parties and those only counted on the case); readers sum.
    """

    Metric = Metric

    metric = models.CharField(max_length=16, choices=Metric.choices)
    day = models.DateField()
    # No database foreign keys: the rollup is derived data, rebuilt from the source tables, and
    # its inserts should not pay for constraint checks. Regions and industries are PROTECTed
    # by the source rows that use them. No index of their own either: a place is read through
    # the (region, metric, day) indexes, an industry among a metric's days; each index is paid
    # for by every row the sweep writes.
    region = models.ForeignKey(
        "hotline.Region",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    industry = models.ForeignKey(
        "hotline.Industry",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    trafficking_type = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    caller_type = models.CharField(max_length=20, blank=True)
    detail = models.CharField(max_length=24, blank=True)
    age_band = models.CharField(max_length=8, blank=True)
    gender = models.CharField(max_length=24, blank=True)
    minor = models.CharField(max_length=7, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.metric} {self.day}: {self.count}"


class Rollup(Cells):
    """One cell per day (in TIME_ZONE): how many `metric` on `day` with these dimensions."""

    class Meta:
        constraints = [
            choices_constraint("metric", Metric),
            models.CheckConstraint(condition=Q(count__gt=0), name="reports_rollup_count_positive"),
        ]
        indexes = [
            models.Index(fields=["metric", "day"], name="rollup_metric_day_idx"),
            # A dashboard or table filtered by a place reads that place's cells only: its time
            # follows the place's rows, not the whole table's.
            models.Index(fields=["region", "metric", "day"], name="rollup_region_idx"),
        ]


class RollupMonth(Cells):
    """The same cells summed per calendar month (`day` is the month's first day): what readers
    use for the whole months of a range, so a year is 12 rows per combination, not 365.
    Always recomputed from the daily rows, in the transaction that recomputes them."""

    class Meta:
        constraints = [
            choices_constraint("metric", Metric),
            models.CheckConstraint(
                condition=Q(count__gt=0), name="reports_rollupmonth_count_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "day"], name="rollupmonth_metric_day_idx"),
            models.Index(fields=["region", "metric", "day"], name="rollupmonth_region_idx"),
        ]


class Margins(Cells):
    """Marginal sums of the daily rows: for each metric, the total (`margin` empty) and the
    sums by each one of its dimensions (`margin` names the column kept; the others are empty).
    What the dashboard's unfiltered charts and the one-dimension statistics read: a bounded
    number of rows per day (the values of one dimension), however many calls and cases there
    are. Always recomputed from the daily rows, in the transaction that recomputes them."""

    margin = models.CharField(max_length=16, blank=True)

    class Meta:
        abstract = True


class MarginDay(Margins):
    """The margins per day."""

    class Meta:
        constraints = [
            choices_constraint("metric", Metric),
            models.CheckConstraint(
                condition=Q(count__gt=0), name="reports_marginday_count_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "margin", "day"], name="marginday_metric_margin_idx")
        ]


class MarginMonth(Margins):
    """The margins per calendar month (`day` is the month's first day)."""

    class Meta:
        constraints = [
            choices_constraint("metric", Metric),
            models.CheckConstraint(
                condition=Q(count__gt=0), name="reports_marginmonth_count_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "margin", "day"], name="marginmonth_metric_margin_idx")
        ]


class DirtyDay(models.Model):
    """A (metric, day) whose rollup rows may be out of date.

    Written by database triggers on the source tables, in the transaction of the change, with
    the UTC day of the changed row's date before and after the change; the rollup task deletes
    the rows it claims in the transaction that recomputes them. Duplicates are fine: inserting
    is all a trigger does, so writers never wait for each other here.
    """

    metric = models.CharField(max_length=16, choices=Metric.choices)
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["metric", "day"], name="dirtyday_metric_day_idx")]

    def __str__(self):
        return f"{self.metric} {self.day}"
