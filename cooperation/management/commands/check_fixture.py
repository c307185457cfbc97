"""Check a fixture file without loading it: every record that `loaddata` would refuse, or
that the admin's validation would, with its position in the file, model and natural key.

The records are read and saved the way loaddata does it, so that a record can refer to one
earlier in the file, but inside a transaction that is always rolled back: the database is
left exactly as it was, whatever the fixture holds.
"""

import json
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.python import Deserializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction

from cooperation.fixture_records import (
    describe,
    names_a_record,
    record_identity,
    reference_identity,
    unknown_reference,
    unknown_references,
    unresolved_required_references,
)


class Command(BaseCommand):
    help = (
        "Check a JSON fixture without writing anything: exit status 0 when loaddata would "
        "load every record and each passes model validation, 1 with every problem otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("fixture", help="Path to a JSON fixture file.")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database whose records the fixture's references are resolved against.",
        )

    def handle(self, *args, fixture, database, verbosity, **options):
        try:
            text = Path(fixture).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {fixture}: {error}.") from error
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            at = f"line {error.lineno}, column {error.colno}"
            raise CommandError(f"{fixture} is not valid JSON ({at}): {error.msg}.") from error
        if not isinstance(records, list):
            raise CommandError(f"{fixture} holds no list of records.")

        with transaction.atomic(using=database):
            problems = check_records(records, database)
            # Whatever reading the records wrote (all of them, on success) goes.
            transaction.set_rollback(True, using=database)

        for problem in problems:
            self.stderr.write(f"{fixture}, {problem}")
        if problems:
            raise CommandError(
                f"{fixture}: {len(problems)} problem(s) in {len(records)} record(s)."
            )
        if verbosity >= 1:
            self.stdout.write(f"{fixture}: {len(records)} record(s), no problems.")


def check_records(records, using):
    """Every problem of `records`, each as "record N (model [key]): what is wrong"."""
    problems = []
    # Records with an optional reference to a record that may come later in the file.
    waiting = []
    # Records that could not be saved: a reference to one is no problem of its own (it
    # would repeat the first one), and the record referring to it cannot be saved either.
    broken = set()
    for position, record in enumerate(records, start=1):
        where = describe(position, record)
        if not isinstance(record, dict) or not isinstance(record.get("fields"), dict):
            problems.append(f'{where}: a record needs "model" and "fields".')
            continue
        try:
            with transaction.atomic(using=using):
                problem, obj = check_record(record, using, broken)
        except (DatabaseError, ValueError) as error:
            problem, obj = str(error).strip(), None
        if problem:
            problems.append(f"{where}: {problem}")
        if obj is None:
            broken.add(record_identity(record))
        elif obj.deferred_fields:
            waiting.append((where, obj))
    for where, obj in waiting:
        for field, value in obj.deferred_fields.items():
            named_broken = not field.many_to_many and reference_identity(field, value) in broken
            if not named_broken and not names_a_record(field, value, using):
                problems.append(f"{where}: {unknown_reference(field, value)}.")
    return problems


def check_record(record, using, broken):
    """(what is wrong with one record or None, the deserialized object if it was saved)."""
    try:
        (obj,) = Deserializer([record], using=using, handle_forward_references=True)
    except Exception as error:  # noqa: BLE001 - whatever stops loaddata is a problem
        for field, value in unknown_references(record, using):
            if reference_identity(field, value) in broken:
                return None, None
            return f"{unknown_reference(field, value, 'earlier in the fixture')}.", None
        return str(error), None
    for field, value in unresolved_required_references(obj, using):
        if reference_identity(field, value) in broken:
            return None, None
        return f"{unknown_reference(field, value, 'earlier in the fixture')}.", None

    instance = obj.object
    model = type(instance)
    # A record the database already holds is an update: its unique values are its own.
    if instance.pk is not None and model._base_manager.using(using).filter(pk=instance.pk).exists():
        instance._state.adding = False
    problem = None
    try:
        instance.full_clean(exclude={field.name for field in obj.deferred_fields})
    except ValidationError as error:
        problem = validation_messages(error)
    # Saved as loaddata saves it (rolled back with everything else), so that records
    # further down can refer to it; the database's own refusal counts when validation
    # found nothing.
    try:
        with transaction.atomic(using=using):
            obj.save(using=using)
    except (DatabaseError, ValueError) as error:
        return problem or str(error).strip(), None
    return problem, obj


def validation_messages(error):
    parts = []
    for field, messages in error.message_dict.items():
        text = " ".join(messages)
        parts.append(text if field == NON_FIELD_ERRORS else f"{field}: {text}")
    return "; ".join(parts)
