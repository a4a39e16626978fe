"""Every rollup figure computed the plain way: row by row in Python, from the source tables.

Independent of reports/rollups.py on purpose (no shared query), so the tests compare two
computations rather than one with itself."""

from collections import Counter

from django.utils import timezone

from cases.models import Case, Forwarding, Outcome, Party, Referral
from hotline.models import Call, Tip
from reports.models import Rollup

KEY = (
    "metric",
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


def _key(metric, day, region=None, industry=None, type="", **dims):
    return (
        metric,
        day,
        region,
        industry,
        type,
        dims.get("channel", ""),
        dims.get("caller_type", ""),
        dims.get("detail", ""),
        dims.get("age_band", ""),
        dims.get("gender", ""),
        dims.get("minor", ""),
    )


def _day(moment):
    return timezone.localtime(moment).date()


def expected():
    counts = Counter()
    for call in Call.objects.all():
        counts[
            _key(
                "calls",
                _day(call.started_at),
                call.region_id,
                channel=call.channel,
                caller_type=call.caller_type,
            )
        ] += 1
    for tip in Tip.objects.all():
        counts[
            _key(
                "tips", _day(tip.received_at), tip.region_id, tip.industry_id, tip.trafficking_type
            )
        ] += 1
    cases = {case.pk: case for case in Case.objects.all()}
    for case in cases.values():
        dims = (case.region_id, case.industry_id, case.trafficking_type)
        counts[_key("cases_opened", _day(case.opened_at), *dims)] += 1
        if case.closed_at is not None:
            counts[_key("cases_closed", _day(case.closed_at), *dims)] += 1
        victims = [p for p in case.parties.all() if p.role in Party.VICTIM_ROLES]
        for party in victims:
            minor = {True: "yes", False: "no", None: "unknown"}[party.is_minor]
            counts[
                _key(
                    "victims",
                    _day(case.opened_at),
                    *dims,
                    age_band=party.age_band,
                    gender=party.gender,
                    minor=minor,
                )
            ] += 1
        if case.victim_count > len(victims):
            counts[
                _key(
                    "victims",
                    _day(case.opened_at),
                    *dims,
                    age_band="unknown",
                    gender="NonSpecifiedUnknown",
                    minor="unknown",
                )
            ] += case.victim_count - len(victims)
    for referral in Referral.objects.all():
        case = cases[referral.case_id]
        kind = "law_enforcement" if referral.reason == "LawEnforcementReport" else "services"
        counts[
            _key(
                "referrals",
                _day(referral.sent_at),
                case.region_id,
                case.industry_id,
                case.trafficking_type,
                detail=kind,
            )
        ] += 1
    for outcome in Outcome.objects.all():
        case = cases[outcome.case_id]
        counts[
            _key(
                "outcomes",
                outcome.occurred_on,
                case.region_id,
                case.industry_id,
                case.trafficking_type,
                detail=outcome.kind,
            )
        ] += 1
    for row in Forwarding.objects.all():
        case = cases[row.case_id]
        if row.completed_at is None:
            result = "open"
        else:
            result = "on_time" if row.completed_at <= row.due_at else "late"
        counts[
            _key(
                "forwardings",
                _day(row.due_at),
                case.region_id,
                case.industry_id,
                case.trafficking_type,
                detail=result,
            )
        ] += 1
    return +counts


def actual():
    counts = Counter()
    for row in Rollup.objects.values_list(*KEY, "count"):
        counts[row[:-1]] += row[-1]
    return +counts


def snapshot():
    """The rollup table's rows, as a sorted list (to check a rerun changes nothing)."""
    return sorted(Rollup.objects.values_list(*KEY, "count"), key=repr)


def monthly_from_daily():
    """The monthly table as it should be: the daily rows summed per calendar month."""
    counts = Counter()
    for row in Rollup.objects.values_list(*KEY, "count"):
        counts[(row[0], row[1].replace(day=1), *row[2:-1])] += row[-1]
    return +counts


def monthly():
    from reports.models import RollupMonth

    counts = Counter()
    for row in RollupMonth.objects.values_list(*KEY, "count"):
        counts[row[:-1]] += row[-1]
    return +counts


def margins_from_daily():
    """The margin tables as they should be: per day and per month, the daily rows summed for
    the total and for each one of the metric's dimensions (reports.rollups.MARGINS)."""
    from reports.rollups import MARGINS

    days, months = Counter(), Counter()
    for row in Rollup.objects.values_list(*KEY, "count"):
        values = dict(zip(KEY, row, strict=False))
        for column in ("", *MARGINS[values["metric"]]):
            key = [values["metric"], column]
            for name in KEY[2:]:
                blank = None if name in ("region_id", "industry_id") else ""
                key.append(values[name] if name == column else blank)
            days[(key[0], key[1], values["day"], *key[2:])] += row[-1]
            months[(key[0], key[1], values["day"].replace(day=1), *key[2:])] += row[-1]
    return +days, +months


def margins():
    from reports.models import MarginDay, MarginMonth

    result = []
    for model in (MarginDay, MarginMonth):
        counts = Counter()
        for row in model.objects.values_list("metric", "margin", *KEY[1:], "count"):
            counts[row[:-1]] += row[-1]
        result.append(+counts)
    return tuple(result)
