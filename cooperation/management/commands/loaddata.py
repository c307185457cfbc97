"""Django's loaddata, followed by what its raw saves skip: the records' history and the
search text of every visit it touched, both inside the same transaction as the load.

loaddata saves raw rows and calls no model code, so simple-history records nothing by
itself. Each record the load creates or changes gets one historical row whose reason names
the fixture and who imported it; a record the fixture holds unchanged gets none, so loading
the same fixture twice leaves the history as it leaves the records. A backup brings the
records' own history along: `restore` loads it with --no-import-history, which adds none.

A fixture loads whole or not at all: any error rolls back every record, history row and
search row of the load, and is reported as a CommandError naming the record at fault (its
position in the file, model and natural key), not only the database's words for it.
"""

import getpass
import json
import os
import re

from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.core.serializers.base import DeserializationError
from django.db import transaction
from simple_history.utils import get_history_model_for_model

from cooperation.fixture_records import (
    broken_constraint,
    describe,
    names_a_record,
    read_json_records,
    unknown_reference,
    unknown_references,
    unresolved_required_references,
)
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
        parser.add_argument(
            "--no-import-history",
            action="store_true",
            help="Record no import in the history: for a backup, whose fixtures bring the "
            "records' own history (manage.py restore).",
        )

    def handle(self, *fixture_labels, **options):
        self.loaded_records = []
        # (record, its history state before the load or None if new, fixture name)
        self.imports = []
        self.importer = options["importer"] or os_user()
        self.records_imports = not options["no_import_history"]
        # (fixture label, position in it, record) of each saved record.
        self.saved_from = []
        using = options["database"]
        with transaction.atomic(using=using):
            try:
                super().handle(*fixture_labels, **options)
            except CommandError:
                raise
            except Exception as error:
                # After every record was read: a reference put aside for a record further
                # down that never came, or the database's final check of references.
                raise CommandError(self.late_failure(error)) from error
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
        self.fixture_label = fixture_label
        # Records of this fixture handed over by the deserializer so far.
        self.position = 0
        # The model of the record being saved, while it is.
        self.saving = None
        try:
            super().load_label(fixture_label)
        except CommandError:
            raise
        except Exception as error:
            raise CommandError(self.record_failure(error)) from error

    def save_obj(self, obj):
        self.position += 1
        self.saving = type(obj.object)
        saved = self.save_record(obj)
        self.saving = None
        waiting = self.objs_with_deferred_fields
        if waiting and waiting[-1] is obj:
            # loaddata resolves these once every record is in; name this one if it fails.
            waiting[-1] = Located(obj, self.fixture_files(), self.position, self.record_at)
        if saved:
            self.saved_from.append((self.fixture_label, self.position, obj.object))
        return saved

    def save_record(self, obj):
        record = obj.object
        for field, value in unresolved_required_references(obj, self.using):
            unknown = unknown_reference(field, value, "earlier in the fixture")
            raise CommandError(f"{self.where(self.position)}: {unknown}.")
        tracked = self.records_imports and has_history(type(record))
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

    def fixture_files(self):
        return [path for path, _, _ in self.find_fixtures(self.fixture_label)]

    def record_at(self, path, position):
        """The JSON record at `position` (from 1) of the fixture file, or None."""
        _, ser_fmt, cmp_fmt = self.parse_name(os.path.basename(path))
        if ser_fmt != "json":
            return None
        opener, mode = self.compression_formats[cmp_fmt]
        records = read_json_records(path, opener, mode)
        if records is None or not 0 < position <= len(records):
            return None
        return records[position - 1]

    def where(self, position, files=None):
        files = self.fixture_files() if files is None else files
        if len(files) != 1:
            return f"Fixture '{self.fixture_label}', record {position}"
        return f"{files[0]}, {describe(position, self.record_at(files[0], position))}"

    def record_failure(self, error):
        """The message for an error while the records of a fixture were read and saved."""
        files = self.fixture_files()
        cause = error.__cause__
        if isinstance(error, DeserializationError) and isinstance(cause, json.JSONDecodeError):
            name = files[0] if len(files) == 1 else self.fixture_label
            at = f"line {cause.lineno}, column {cause.colno}"
            return f"{name} is not valid JSON ({at}): {cause.msg}."
        if self.saving:
            explained = broken_constraint(self.saving, error)
            because = f" ({explained})" if explained else ""
            return f"{self.where(self.position, files)}: {plain(error)}{because}"
        # A record failing to deserialize was never handed over: it is the next one. It
        # may fail for a reference to no record, when its own natural key goes through it.
        position = self.position + 1
        record = self.record_at(files[0], position) if len(files) == 1 else None
        if isinstance(record, dict):
            for field, value in unknown_references(record, self.using):
                unknown = unknown_reference(field, value, "earlier in the fixture")
                return f"{self.where(position, files)}: {unknown}."
        return f"{self.where(position, files)}: {plain(error)}"

    def late_failure(self, error):
        if isinstance(error, RecordError):
            return str(error)
        # The database's final check of references, for a reference written as a primary
        # key: SQLite names the row by table and primary key, PostgreSQL by table, column
        # and the value it refers to.
        text = str(error)
        sqlite = re.search(r"row in table '(\w+)' with primary key '([^']*)'", text)
        postgresql = re.search(r'on table "(\w+)".*Key \((\w+)\)=\(([^)]*)\)', text, re.DOTALL)
        for fixture_label, position, record in self.saved_from:
            table = record._meta.db_table
            if (sqlite and table == sqlite[1] and str(record.pk) == sqlite[2]) or (
                postgresql
                and table == postgresql[1]
                and str(getattr(record, postgresql[2], None)) == postgresql[3]
            ):
                self.fixture_label = fixture_label
                return f"{self.where(position)}: {plain(error)}"
        return f"Problem installing fixtures: {plain(error)}"


class RecordError(Exception):
    pass


class Located:
    """A deserialized object whose put-aside references name the record when unresolvable."""

    def __init__(self, obj, files, position, record_at):
        self.obj, self.files, self.position, self.record_at = obj, files, position, record_at

    def save_deferred_fields(self, using=None):
        try:
            self.obj.save_deferred_fields(using=using)
        except Exception as error:
            if len(self.files) == 1:
                record = self.record_at(self.files[0], self.position)
                where = f"{self.files[0]}, {describe(self.position, record)}"
            else:
                where = f"record {self.position}"
            unknown = [
                unknown_reference(field, value)
                for field, value in self.obj.deferred_fields.items()
                if not names_a_record(field, value, using)
            ]
            raise RecordError(f"{where}: {'; '.join(unknown) or error}.") from error


def plain(error):
    """The error's own words, without loaddata's "Problem installing fixture" prefix."""
    text = str(error)
    text = re.sub(r"^Problem installing fixtures?(?: '[^']*')?: ", "", text)
    return text


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
