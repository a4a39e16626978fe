"""Rollups through a real Celery worker on Redis; with the broker down, intake goes on and
nothing is lost; when it is back, the beat's sweep catches up with no manual step."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.db import transaction

from hotline import services
from hotline.models import Call, Tip
from hotline.queue import enqueue_on_commit
from reports.models import DirtyDay, Rollup
from reports.tasks import rollup_sweep
from tests.factories import region
from tests.hotline.test_worker import broker, database_url, wait_for
from tests.reports.source import actual, expected

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
CLOSED_PORT = "redis://127.0.0.1:9/0"

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def start_worker(*extra, env=None):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hotline",
            "worker",
            "--pool=solo",
            "--hostname=rollup-worker@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            *extra,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": TEST_REDIS_URL,
            "DEBUG": "0",
            "SECRET_KEY": "worker-test-secret-key-long-enough-to-pass",
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process):
    process.terminate()
    try:
        return process.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


@pytest.fixture
def redis_db(transactional_db):
    if TEST_REDIS_URL is None:
        pytest.skip("needs a Redis for a real worker: set TEST_REDIS_URL=redis://127.0.0.1:6379/12")
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    return TEST_REDIS_URL


def log_intake(advocate):
    services.call_log(
        advocate=advocate,
        channel="phone",
        caller_type="potential_victim",
        reason="trafficking_tip",
        region=region("US-TX"),
        tip={"observed": "Workers sleep in the warehouse and cannot leave."},
    )
    services.tip_submit(source=Tip.Source.WEB_FORM, observed="A van drops women at a motel.")


def test_a_real_worker_recomputes_the_marked_days(redis_db, advocate):
    process = start_worker()
    try:
        with broker(redis_db):
            with transaction.atomic():
                log_intake(advocate)
                enqueue_on_commit(rollup_sweep)
            done = wait_for(lambda: not DirtyDay.objects.exists() and Rollup.objects.exists())
    finally:
        output = stop(process)
    assert done, "the worker did not roll up; its output:\n" + output
    assert actual() == expected()


def test_with_the_broker_down_intake_goes_on_and_the_sweep_catches_up_when_it_is_back(
    redis_db, advocate, caplog
):
    with broker(CLOSED_PORT):
        log_intake(advocate)
        with transaction.atomic():
            log_intake(advocate)
            enqueue_on_commit(rollup_sweep)  # cannot be sent: logged, not raised
    assert "broker unreachable" in caplog.text
    assert Call.objects.count() == 2
    assert Tip.objects.count() == 4
    assert DirtyDay.objects.filter(metric="calls").exists()
    assert not Rollup.objects.exists()

    # The broker is back: a worker with its beat, and nobody asks for anything.
    with tempfile.TemporaryDirectory() as folder:
        process = start_worker(
            "--beat",
            f"--schedule={folder}/beat-schedule",
            env={"HOTLINE_ROLLUP_SWEEP_SECONDS": "1"},
        )
        try:
            done = wait_for(lambda: not DirtyDay.objects.exists() and Rollup.objects.exists())
            time.sleep(0.5)
        finally:
            output = stop(process)
    assert done, "the sweep did not catch up; the worker's output:\n" + output
    assert actual() == expected()
    assert Rollup.objects.get(metric="calls", caller_type="potential_victim").count == 2
