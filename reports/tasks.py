"""Rollup tasks. They take no arguments: what to do is in the database (the dirty marks the
triggers wrote), so a lost message loses nothing and a duplicate does nothing twice."""

from celery import shared_task
from django.db import OperationalError

from reports import rollups

# A lock timeout or a deadlock someone else's transaction caused rolls the whole run back and
# loses nothing (the marks stay): try again shortly.
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRY)
def rollup_sweep():
    """Recompute the marked days (every minute on the beat schedule)."""
    return rollups.rollup_pending()


@shared_task(**RETRY)
def rollup_rebuild():
    """Compare every row with the source tables and recompute what differs (nightly):
    reconciles even a change made with triggers disabled."""
    return rollups.rollup_rebuild()


@shared_task(**RETRY)
def rollup_rewrite():
    """Write every rollup table anew from the source tables (weekly): puts right even a
    derived row the nightly reconciliation's totals cannot see."""
    return rollups.rollup_rebuild(rewrite=True)
