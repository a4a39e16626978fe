from celery import shared_task
from django.core.management import call_command

from hotline import services


@shared_task(bind=True)
def worker_heartbeat(self):
    """Record that a worker is alive and consuming; /healthz reports the last heartbeat."""
    services.heartbeat_record(worker=self.request.hostname or "in-process")


@shared_task
def sessions_clear():
    """Delete expired sessions: a session row can hold what a page showed (a message naming a
    record) and should not outlive its use."""
    call_command("clearsessions")


@shared_task
def api_records_purge():
    """Forget idempotency keys past their 24 hours and finished rate-limit windows."""
    services.api_records_purge()
