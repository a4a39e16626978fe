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
