from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = "Hotline intake and people"

    def ready(self):
        from hotline import audit  # noqa: F401 - connects the sign-in signals
        from hotline.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="hotline.roles_sync")
