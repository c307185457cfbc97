"""Django's loaddata, followed by what its raw saves skip: the records' history and the
search text of every visit it touched, both inside the same transaction as the load.

loaddata saves raw rows and calls no model code, so simple-history records nothing by
itself. Each record the load creates or changes gets one historical row whose reason names
the fixture and who imported it; a record the fixture holds unchanged gets none, so loading
the same fixture twice leaves the history as it leaves the records.
"""

import getpass
import os

from django.core.management.commands import loaddata
from django.db import transaction
from simple_history.utils import get_history_model_for_model

from cooperation.history.records import has_history, record_change
from cooperation.models import Delegation


class Command(loaddata.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--importer",
            help="Who is importing, as the change history should name them "
            "(default: the operating-system user running the command).",
        )

    def handle(self, *fixture_labels, **options):
        self.loaded_records = []
        # (record, its history state before the load or None if new, fixture name)
        self.imports = []
        self.importer = options["importer"] or os_user()
        using = options["database"]
        with transaction.atomic(using=using):
            super().handle(*fixture_labels, **options)
            recorded = record_imports(self.imports, self.importer, using)
            refreshed = refresh_search_after_load(self.loaded_records, using)
        if options["verbosity"] >= 1:
            if recorded:
                self.stdout.write(f"Recorded {recorded} new or changed record(s) in the history.")
            if refreshed:
                self.stdout.write(f"Refreshed the search text of {refreshed} visit(s).")

    def load_label(self, fixture_label):
        # The name the history gives as the source of the records: "baku_2023" whether the
        # fixture was named so or given as a path to baku_2023.json.
        self.fixture_name = self.parse_name(os.path.basename(fixture_label))[0]
        super().load_label(fixture_label)

    def save_obj(self, obj):
        record = obj.object
        tracked = has_history(type(record))
        before = stored_state(record, self.using) if tracked else None
        # Setting many-to-many fields is no raw save: simple-history would record a row of
        # its own for it, without the import's reason. record_imports() writes the one row.
        record.skip_history_when_saving = True
        try:
            saved = super().save_obj(obj)
        finally:
            del record.skip_history_when_saving
        if saved and record._meta.app_label == "cooperation":
            self.loaded_records.append(record)
        if saved and tracked:
            self.imports.append((record, before, self.fixture_name))
        return saved


def os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No login name in the environment and no entry in the password database.
        return "an unnamed system user"


def history_state(record, using):
    """What a historical row of `record` holds: its tracked fields and many-to-many ids."""
    history_model = get_history_model_for_model(type(record))
    values = [getattr(record, field.attname) for field in history_model.tracked_fields]
    related = [
        set(getattr(record, field.name).using(using).values_list("pk", flat=True))
        for field in history_model._history_m2m_fields
    ]
    return values, related


def stored_state(record, using):
    """The history state of the stored row `record` is about to replace, or None."""
    if record.pk is None:
        return None
    stored = type(record)._base_manager.using(using).filter(pk=record.pk).first()
    return None if stored is None else history_state(stored, using)


def record_imports(imports, importer, using):
    """Write a historical row for each record the load created or changed."""
    recorded = 0
    for record, before, fixture_name in imports:
        # Read after the whole load: forward references and many-to-many rows are in place.
        if before is not None and history_state(record, using) == before:
            continue
        reason = f"Imported from fixture {fixture_name} by {importer}"
        record_change(record, "+" if before is None else "~", reason, using)
        recorded += 1
    return recorded


def refresh_search_after_load(records, using):
    if not records:
        return 0
    pks = set()
    events = Delegation.objects.using(using)
    for record in records:
        pks.update(events.affected_by(record).values_list("pk", flat=True))
    return events.filter(pk__in=pks).refresh_search()
