"""Rows that tell operators how the running system is doing."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task; /healthz reads it."""

    worker = models.CharField(max_length=200, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.worker} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
