from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = "Cooperation records"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import caching, eventindex

        caching.connect_signals()
        post_migrate.connect(eventindex.forget_when_empty, sender=self)
