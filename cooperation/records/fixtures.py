"""Fixture import, a trust boundary: what `loaddata` loads and `check_fixture` checks.

`validate()` is the one validation both commands run. It reads a fixture's records as
loaddata does (a record may refer to one further down), inside a transaction that is always
rolled back, and finds every problem: a model that is no record of the registry (accounts,
groups, permissions, sessions, the admin log, history rows, lockouts), a record that fails
its model's validation (fields, text rules, `clean()`, constraints), a reference to no
record, a broken rule of the write path (a published record that cites no source, a
programme with one party), and a published record the fixture would take off the site.

`loaddata` runs Django's own command only once the validation found nothing, inside one
change of the write path (cooperation/records/__init__.py), which keeps the history and the
derived data in step and checks the rules once more.
"""

import contextlib
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.python import Deserializer
from django.db import DatabaseError, transaction

from cooperation.fixture_records import (
    describe,
    names_a_record,
    record_identity,
    reference_identity,
    unknown_reference,
    unknown_references,
    unresolved_required_references,
)
from cooperation.models import Revision, Status

from . import rules
from .owners import OWNER_MODELS


def record_models():
    """The models a fixture may carry: the registry's records, nothing about accounts."""
    return [
        model
        for model in apps.get_app_config("cooperation").get_models()
        if model._meta.managed and model is not Revision
    ]


def refusal(label):
    return (
        f"{label} is not a record of the registry; a fixture carries the registry's records "
        "only (accounts, groups, permissions, sessions, the admin log, history and lockouts "
        "travel in a backup: manage.py restore)."
    )


def find(label):
    """The fixture file a `loaddata` label names: a path, or a name in FIXTURE_DIRS or an
    app's fixtures/ folder, with or without ".json". None when there is none."""
    candidates = [Path(label)]
    folders = [Path(folder) for folder in settings.FIXTURE_DIRS]
    folders += [Path(config.path) / "fixtures" for config in apps.get_app_configs()]
    if not Path(label).is_absolute():
        candidates += [folder / label for folder in folders]
    for candidate in candidates:
        for path in (candidate, candidate.with_name(candidate.name + ".json")):
            if path.is_file():
                return path
    return None


def read(path):
    """The records of a fixture file, or raise ValueError saying why they cannot be read."""
    if path.suffix != ".json":
        raise ValueError(f"{path}: only JSON fixtures (.json) are read.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"Cannot read {path}: {error}.") from error
    try:
        records = json.loads(text)
    except json.JSONDecodeError as error:
        at = f"line {error.lineno}, column {error.colno}"
        raise ValueError(f"{path} is not valid JSON ({at}): {error.msg}.") from error
    if not isinstance(records, list):
        raise ValueError(f"{path} holds no list of records.")
    return records


def validate(records, using, allow_unpublish=False):
    """Every problem of `records`, each as "record N (model [key]): what is wrong". Writes
    nothing: everything read is rolled back."""
    with transaction.atomic(using=using):
        problems = Check(using, allow_unpublish).run(records)
        transaction.set_rollback(True, using=using)
    return problems


class Check:
    def __init__(self, using, allow_unpublish):
        self.using = using
        self.allow_unpublish = allow_unpublish
        self.allowed = {model._meta.label_lower for model in record_models()}
        # Records that could not be saved: a reference to one is no problem of its own (it
        # would repeat the first one), and the record referring to it cannot be saved either.
        self.broken = set()
        # (where, deserialized object) of records with a reference that may come later.
        self.waiting = []
        # (where, record) of each programme and visit read, for the rules across records.
        self.owners = []

    def run(self, records):
        problems = []
        for position, record in enumerate(records, start=1):
            where = describe(position, record)
            problem = self.shape_problem(record)
            if problem is None:
                try:
                    with transaction.atomic(using=self.using):
                        problem, obj = self.check(record, where)
                except (DatabaseError, ValueError) as error:
                    problem, obj = str(error).strip(), None
                if obj is None:
                    self.broken.add(record_identity(record))
                elif obj.deferred_fields:
                    self.waiting.append((where, obj))
            if problem:
                problems.append(f"{where}: {problem}")
        problems += self.late_problems()
        return problems

    def shape_problem(self, record):
        if not isinstance(record, dict) or not isinstance(record.get("fields"), dict):
            return 'a record needs "model" and "fields".'
        label = str(record.get("model", "")).lower()
        if label not in self.allowed:
            try:
                apps.get_model(label)
            except (LookupError, ValueError):
                return f"{label or 'a record without a model'} is no model of this site."
            return refusal(label)
        return None

    def check(self, record, where):
        """(what is wrong with one record or None, the deserialized object if saved)."""
        try:
            (obj,) = Deserializer([record], using=self.using, handle_forward_references=True)
        except Exception as error:  # noqa: BLE001 - whatever stops loaddata is a problem
            for field, value in unknown_references(record, self.using):
                if reference_identity(field, value) in self.broken:
                    return None, None
                return f"{unknown_reference(field, value, 'earlier in the fixture')}.", None
            return str(error), None
        for field, value in unresolved_required_references(obj, self.using):
            if reference_identity(field, value) in self.broken:
                return None, None
            return f"{unknown_reference(field, value, 'earlier in the fixture')}.", None

        instance = obj.object
        model = type(instance)
        stored = None
        if instance.pk is not None:
            stored = model._base_manager.using(self.using).filter(pk=instance.pk).first()
        # A record the database already holds is an update: its unique values are its own.
        if stored is not None:
            instance._state.adding = False
        problems = []
        deferred = {field.name for field in obj.deferred_fields}
        try:
            instance.full_clean(exclude=deferred)
        except ValidationError as error:
            # A reference to a record further down is judged once that is in: a rule that
            # reads it (a visit's host, or why there is none) waits for it too.
            if hasattr(error, "error_dict"):
                kept = {name: e for name, e in error.error_dict.items() if name not in deferred}
                if kept:
                    problems.append(validation_messages(ValidationError(kept)))
            else:
                problems.append(validation_messages(error))
        if isinstance(instance, OWNER_MODELS):
            problems += self.unpublish_problems(instance, stored)
        # Saved as loaddata saves it (rolled back with everything else), so that records
        # further down can refer to it; the database's own refusal counts when validation
        # found nothing.
        try:
            with transaction.atomic(using=self.using):
                obj.save(using=self.using)
        except (DatabaseError, ValueError) as error:
            # Left empty until a record further down names it, a reference the record cannot
            # be without (a host, where no reason for none is given) is the problem to tell.
            for field, value in obj.deferred_fields.items():
                if reference_identity(field, value) in self.broken:
                    return None, None
                return f"{unknown_reference(field, value, 'earlier in the fixture')}.", None
            return "; ".join(problems) or str(error).strip(), None
        if isinstance(instance, OWNER_MODELS):
            self.owners.append((where, instance))
        return "; ".join(problems) or None, obj

    def unpublish_problems(self, instance, stored):
        if self.allow_unpublish or stored is None or stored.status != Status.PUBLISHED:
            return []
        if instance.status == Status.PUBLISHED:
            return []
        return [
            f"it is published here and the fixture says {instance.status}: loading it would "
            "take it off the public site (loaddata --allow-unpublish does, on purpose)."
        ]

    def late_problems(self):
        """What can be told only once every record is in: references to records further
        down, and the rules across records (sources, parties, activity dates)."""
        problems = []
        for where, obj in self.waiting:
            for field, value in obj.deferred_fields.items():
                named_broken = (
                    not field.many_to_many and reference_identity(field, value) in self.broken
                )
                if not named_broken and not names_a_record(field, value, self.using):
                    problems.append(f"{where}: {unknown_reference(field, value)}.")
            # Already reported when it fails: an unknown reference.
            with contextlib.suppress(Exception), transaction.atomic(using=self.using):
                obj.save_deferred_fields(using=self.using)
                # Now whole: what its references make of it (a loop of places through
                # records further down) is checked again.
                try:
                    obj.object.full_clean()
                except ValidationError as error:
                    problems.append(f"{where}: {validation_messages(error)}")
        for where, owner in self.owners:
            for problem in rules.owner_problems(owner, self.using):
                problems.append(f"{where}: {problem}")
        return problems


def validation_messages(error):
    parts = []
    for field, messages in error.message_dict.items():
        text = " ".join(messages)
        parts.append(text if field == NON_FIELD_ERRORS else f"{field}: {text}")
    return "; ".join(parts)
