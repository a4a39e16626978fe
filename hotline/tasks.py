from celery import shared_task

from hotline import services


@shared_task(bind=True)
def worker_heartbeat(self):
    """Record that a worker is alive and consuming; /healthz reports the last heartbeat."""
    services.heartbeat_record(worker=self.request.hostname or "in-process")
