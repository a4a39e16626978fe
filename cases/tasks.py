"""Celery tasks of the cases app."""

import logging

from celery import shared_task
from django.conf import settings

from cases.retention import retention_erase

logger = logging.getLogger(__name__)


@shared_task
def retention_apply():
    """Erase the identities the retention policy says are due (docs/retention.md); daily, by
    beat. Does nothing when HOTLINE_RETENTION_YEARS is 0.

    Safe to run twice and in parallel: cases are erased in batches locked with SKIP LOCKED, so
    two workers never take the same case, and a case already erased is not taken again. A run
    cut short (a worker lost, a deploy) leaves whole batches erased; the next run goes on.
    """
    if not settings.HOTLINE_RETENTION_YEARS:
        logger.info("retention: policy off (HOTLINE_RETENTION_YEARS is 0), nothing erased")
        return {}
    report = retention_erase(dry_run=False)
    logger.info(
        "retention: %s cases closed before %s erased (%s)",
        report.counts["cases"],
        report.cutoff.isoformat(),
        ", ".join(f"{kind} {count}" for kind, count in report.counts.items() if kind != "cases"),
    )
    return dict(report.counts)


# --- Cross-case matching and forwarding (docs/linking.md, docs/forwarding.md) -----------------


@shared_task
def match_record(kind, record_id):
    """Match one identifier, party or venue against the other cases (cases/linking.py);
    enqueued after the commit of the service that added or changed it. Safe to run twice: a
    suggestion is made once per pair and match. A party may also make its case meet a
    forwarding rule (a minor victim), so its case's rules are evaluated too."""
    from cases import forwarding, linking
    from cases.models import Case, Party

    created = linking.match(kind, record_id)
    if kind == "party":
        case = Case.objects.filter(pk__in=Party.objects.filter(pk=record_id).values("case")).first()
        if case is not None:
            forwarding.forwarding_evaluate(case=case)
    return len(created)


@shared_task
def match_sweep():
    """Match everything recorded since the last sweep: bulk loads and the admin enqueue
    nothing, and messages sent while the broker was down are lost. Every few minutes, by
    beat."""
    from cases import linking

    matched = linking.match_since_watermark()
    logger.info("match sweep: %s records matched", matched)
    return matched


FORWARDING_EVENT_KINDS = (
    "created",
    "updated",
    "status_changed",
    "party_added",
    "party_updated",
    "tip_linked",
)


@shared_task
def forwarding_sweep():
    """Every minute, by beat: evaluate the forwarding rules for the cases changed since the
    last sweep, attach referrals made by hand to the forwardings that needed one, record the
    forwardings the partners answered, and send the deadline notices (each once)."""
    import datetime

    from django.utils import timezone

    from cases import forwarding
    from cases.models import Case, CaseEvent, SweepWatermark

    watermark, _ = SweepWatermark.objects.get_or_create(name="forwarding")
    settled_before = timezone.now() - datetime.timedelta(minutes=10)
    changed = (
        CaseEvent.objects.filter(pk__gt=watermark.position, kind__in=FORWARDING_EVENT_KINDS)
        .order_by("pk")
        .values_list("pk", "case_id", "at")
    )
    # The watermark moves only past events old enough that every transaction before them has
    # committed; newer ones are read again next time (evaluating is safe to repeat).
    settled, cases, moving = watermark.position, set(), True
    for pk, case_id, at in changed.iterator():
        cases.add(case_id)
        moving = moving and at < settled_before
        if moving:
            settled = pk
    evaluated = 0
    for case in Case.objects.filter(pk__in=cases, status__in=_open_statuses()):
        evaluated += len(forwarding.forwarding_evaluate(case=case))
    SweepWatermark.objects.filter(pk=watermark.pk, position__lt=settled).update(position=settled)
    report = {
        "created": evaluated,
        "attached": forwarding.forwardings_attach(),
        "completed": forwarding.forwardings_complete(),
        **forwarding.deadline_notices_send(),
    }
    logger.info("forwarding sweep: %s", report)
    return report


def _open_statuses():
    from cases.workflow import OPEN_STATUSES

    return sorted(OPEN_STATUSES)
