"""Enqueueing background work without ever failing the request that asked for it."""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs):
    """Send `task` to the workers; if the broker is down, log it and carry on.

    Work that matters is also found by periodic sweeps, so a lost message delays it but does
    not lose it. Returns whether the message was sent.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except OperationalError:
        logger.warning("broker unreachable, %s left for the next sweep", task.name)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs):
    """Enqueue `task` once the current transaction commits, so a worker never sees rows that
    are not there yet, and nothing is sent for a transaction that rolls back."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
