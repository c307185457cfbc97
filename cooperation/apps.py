from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import labels

# Before the models are built: their names in the admin's language (cooperation/labels.py).
labels.connect()


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("Cooperation records")

    def ready(self):
        from django.db.models.signals import post_migrate, pre_delete

        from . import caching, eventindex, records
        from .models import Delegation
        from .roles import sync_after_migrate

        caching.connect_signals()
        # The write path learns which records a change touched (cooperation/records/).
        records.connect_signals()
        post_migrate.connect(eventindex.forget_when_empty, sender=self)
        pre_delete.connect(
            eventindex.forget_deleted_visit, sender=Delegation, dispatch_uid="forget-visit"
        )
        # The staff roles as cooperation/roles.py defines them, after every migrate.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="sync-roles")
