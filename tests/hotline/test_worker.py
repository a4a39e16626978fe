"""Background work runs through a real Celery worker and Redis, and never fails a request when
the broker is down."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction

from hotline.celery import app
from hotline.models import WorkerHeartbeat
from hotline.queue import enqueue, enqueue_on_commit
from hotline.tasks import worker_heartbeat

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


@contextmanager
def broker(url):
    """Point this process's Celery app at a real broker instead of running tasks in-process."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    drop_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        drop_connections()


def drop_connections():
    # Celery builds its connection pool once, from the broker_url of that moment; a new URL
    # needs new pools. (kombu keeps pools per URL, so they are reused, not closed.)
    app._pool = None
    app.amqp._producer_pool = None


def database_url():
    db = connection.settings_dict
    user = f"{db['USER']}@" if db["USER"] else ""
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db):
    """A real worker process on the test database, consuming from TEST_REDIS_URL."""
    if TEST_REDIS_URL is None:
        pytest.skip("needs a Redis for a real worker: set TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": TEST_REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": "worker-test-secret-key-long-enough-to-pass",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hotline",
            "worker",
            "--pool=solo",
            "--hostname=test-worker@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
@pytest.mark.redis
def test_a_task_enqueued_on_commit_runs_in_a_real_worker_through_redis(worker):
    with broker(TEST_REDIS_URL):
        with transaction.atomic():
            enqueue_on_commit(worker_heartbeat)
            # Nothing is sent before the transaction commits.
            assert redis.Redis.from_url(TEST_REDIS_URL).llen("celery") == 0
        ran = wait_for(
            lambda: WorkerHeartbeat.objects.filter(worker__startswith="test-worker@").exists()
        )
    if not ran:
        worker.terminate()
        pytest.fail("the worker did not run the task; its output:\n" + worker.communicate()[0])


@pytest.mark.django_db
def test_enqueueing_gives_up_quickly_and_quietly_when_the_broker_is_down(caplog):
    # Port 9 is closed: the request must go on, and the sweeps catch up later.
    with broker("redis://127.0.0.1:9/0"):
        started = time.monotonic()
        sent = enqueue(worker_heartbeat)
        elapsed = time.monotonic() - started
    assert sent is False
    assert "broker unreachable" in caplog.text
    assert elapsed < 30  # generous: the point is that it does not hang on retries


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_process(settings):
    if settings.CELERY_BROKER_URL is not None:
        pytest.skip("CELERY_BROKER_URL is set for this run: tasks go to the broker")
    # Nothing here turns eager mode on: the settings did, because no broker is configured.
    assert enqueue(worker_heartbeat) is True
    assert WorkerHeartbeat.objects.count() == 1
