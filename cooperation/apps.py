from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = "Cooperation records"

    def ready(self):
        from . import caching

        caching.connect_signals()
