from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_triggers(sender, using="default", **kwargs):
    from reports import triggers

    triggers.install(using)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports and statistics"

    def ready(self):
        # After every migrate (and every test flush): a migration of another app may have
        # rebuilt a source table on SQLite, dropping its triggers; this puts them back.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="reports-triggers")
