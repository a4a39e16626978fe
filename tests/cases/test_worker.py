"""Matching through a real Celery worker on Redis (cases/tasks.py match_record, match_sweep):
the identifier is added through the service on a live database; the worker, not the test
process, makes the suggestion; running the task again makes no second one."""

import os

import pytest
import redis
from django.db import transaction

from cases import services
from cases.models import LinkSuggestion
from cases.tasks import match_record, match_sweep
from hotline.models import WorkerHeartbeat
from hotline.queue import enqueue
from hotline.tasks import worker_heartbeat
from tests.factories import CaseFactory
from tests.hotline.test_worker import broker, wait_for
from tests.reports.test_worker import start_worker, stop

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def redis_db(transactional_db):
    if TEST_REDIS_URL is None:
        pytest.skip("needs a Redis for a real worker: set TEST_REDIS_URL=redis://127.0.0.1:6379/13")
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    return TEST_REDIS_URL


def queued(url):
    return redis.Redis.from_url(url).llen("celery")


def ran(output, task):
    """How many runs of `task` the worker's log says succeeded."""
    return sum(
        1 for line in output.splitlines() if f"Task {task}[" in line and "] succeeded in " in line
    )


def everything_before_is_done(url):
    """Enqueue a heartbeat behind what is queued: the worker (one process, --pool=solo) takes
    messages in order, so once the heartbeat is written, every task before it has run."""
    WorkerHeartbeat.objects.all().delete()
    assert enqueue(worker_heartbeat) is True
    return wait_for(lambda: WorkerHeartbeat.objects.exists())


def test_a_real_worker_makes_the_suggestion_once_however_often_it_runs(redis_db, supervisor):
    with broker(redis_db):
        with transaction.atomic():
            first = CaseFactory(actor=supervisor)
            services.identifier_add(actor=supervisor, case=first, kind="phone",
                                    value="+1 713 555 0147")  # fmt: skip
            second = CaseFactory(actor=supervisor)
            identifier = services.identifier_add(
                actor=supervisor, case=second, kind="phone", value="(713) 555-0147"
            )
            # Nothing is sent before the transaction commits.
            assert queued(redis_db) == 0
        # Committed: each service's match_record is on the queue, and nothing ran here.
        assert queued(redis_db) >= 2
        assert not LinkSuggestion.objects.exists()

        process = start_worker()
        try:
            made = wait_for(lambda: LinkSuggestion.objects.exists())
            # Again, by hand and through the sweep: still one suggestion.
            enqueue(match_record, "identifier", identifier.pk)
            enqueue(match_record, "identifier", identifier.pk)
            enqueue(match_sweep)
            settled = everything_before_is_done(redis_db)
        finally:
            output = stop(process)

    assert made and settled, "the worker did not match; its output:\n" + output
    suggestion = LinkSuggestion.objects.get()
    assert (suggestion.case_a, suggestion.case_b) == (first, second)
    assert (suggestion.kind, suggestion.detail, suggestion.state) == ("identifier", "phone", "open")
    assert suggestion.match_key == identifier.value_hash
    # The worker ran match_record four times (the two services' and the two by hand) and the
    # sweep, each to the end: Celery logs "Task <name>[<id>] succeeded in ..." once a run.
    assert ran(output, "cases.tasks.match_record") >= 4, output
    assert ran(output, "cases.tasks.match_sweep") == 1, output
    assert queued(redis_db) == 0
