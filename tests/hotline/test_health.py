"""/healthz tells a load balancer and an operator how the system is."""

import datetime

import pytest
from django.utils import timezone

from hotline.models import WorkerHeartbeat
from hotline.services import heartbeat_record

pytestmark = pytest.mark.django_db


def test_it_reports_ok_with_in_process_tasks_when_no_broker_is_configured(client, settings):
    settings.CELERY_BROKER_URL = None
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process",
        "workers": {"status": "in-process", "last_heartbeat_seconds_ago": None},
    }


def test_an_unreachable_broker_is_reported_but_does_not_fail_the_check(client, settings):
    # Port 9 (discard) is closed here: the hotline must keep taking calls without Redis.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["broker"] == "unreachable"
    assert body["workers"]["status"] == "none"


def test_workers_are_late_when_the_last_heartbeat_is_old(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    settings.HOTLINE_HEARTBEAT_STALE_SECONDS = 300
    WorkerHeartbeat.objects.create(
        worker="celery@old", last_seen=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert client.get("/healthz").json()["workers"]["status"] == "late"
    heartbeat_record(worker="celery@new")
    workers = client.get("/healthz").json()["workers"]
    assert workers["status"] == "ok" and workers["last_heartbeat_seconds_ago"] < 60


def test_it_is_never_cached_and_only_answers_get(client):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_the_home_page_answers(client):
    assert client.get("/").status_code == 200
