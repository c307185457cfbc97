"""Django's loaddata, followed by a refresh of the search text of every visit it touched.

loaddata saves raw rows and calls no model code, so derived data (the search text and
vector, never part of a fixture) is rebuilt here, inside the same transaction as the load.
"""

from django.core.management.commands import loaddata
from django.db import transaction

from cooperation.models import Delegation


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        self.loaded_records = []
        using = options["database"]
        with transaction.atomic(using=using):
            super().handle(*fixture_labels, **options)
            refreshed = refresh_search_after_load(self.loaded_records, using)
        if refreshed and options["verbosity"] >= 1:
            self.stdout.write(f"Refreshed the search text of {refreshed} visit(s).")

    def save_obj(self, obj):
        saved = super().save_obj(obj)
        if obj.object._meta.app_label == "cooperation":
            self.loaded_records.append(obj.object)
        return saved


def refresh_search_after_load(records, using):
    if not records:
        return 0
    pks = set()
    events = Delegation.objects.using(using)
    for record in records:
        pks.update(events.affected_by(record).values_list("pk", flat=True))
    return events.filter(pk__in=pks).refresh_search()
