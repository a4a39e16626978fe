"""Reads for the hotline app that need more than one line of ORM."""

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Max
from django.utils import timezone

from hotline.models import Role, User, WorkerHeartbeat


def _database_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unreachable"
    return "ok"


def _broker_status():
    if settings.CELERY_BROKER_URL is None:
        return "in-process"
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        return "unreachable"
    return "ok"


def _workers_status():
    if settings.CELERY_BROKER_URL is None:
        return {"status": "in-process", "last_heartbeat_seconds_ago": None}
    last_seen = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    if last_seen is None:
        return {"status": "none", "last_heartbeat_seconds_ago": None}
    age = int((timezone.now() - last_seen).total_seconds())
    late = age > settings.HOTLINE_HEARTBEAT_STALE_SECONDS
    return {"status": "late" if late else "ok", "last_heartbeat_seconds_ago": age}


def health_report():
    """What /healthz answers. Only the database is vital: without Redis or workers the hotline
    still takes calls, and background work catches up when they return."""
    database = _database_status()
    report = {"status": "ok" if database == "ok" else "error", "database": database}
    report["broker"] = _broker_status()
    report["workers"] = _workers_status() if database == "ok" else {"status": "unknown"}
    return report


ASSIGNABLE_ROLES = (Role.ADVOCATE, Role.SUPERVISOR)


def assignable_staff():
    """Active advocates and supervisors: the people a case can be given to."""
    return User.objects.filter(is_active=True, groups__name__in=ASSIGNABLE_ROLES).distinct()


def is_assignable(user):
    return user.is_active and user.role in ASSIGNABLE_ROLES
