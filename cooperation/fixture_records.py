"""How a record of a fixture file is named when something is wrong with it.

A fixture names its records by natural key, but a record that fails to load may be one
whose key cannot be read from a model instance (its model is unknown, or a reference in
it is). So the key is read from the JSON itself: the fields that identify a record (its
unique field, or the fields of its first unconditional unique constraint) are the fields
its `natural_key()` is made of, references written as the referenced record's key.
"""

import json

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.base import DEFER_FIELD, deserialize_fk_value, deserialize_m2m_values
from django.db import models


def identifying_fields(model):
    """The names of the fields whose values make up the natural key of `model`."""
    for field in model._meta.local_concrete_fields:
        if field.unique and not field.primary_key:
            return [field.name]
    for constraint in model._meta.constraints:
        unique = isinstance(constraint, models.UniqueConstraint)
        if unique and constraint.condition is None and constraint.fields:
            return list(constraint.fields)
    return []


def natural_key_of(record):
    """The natural key a record of a fixture file gives itself, or None if unknown."""
    if not isinstance(record, dict):
        return None
    fields = record.get("fields")
    try:
        model = apps.get_model(record.get("model"))
    except (LookupError, TypeError, ValueError):
        model = None
    if model is None or not isinstance(fields, dict):
        return None
    key = []
    for name in identifying_fields(model):
        value = fields.get(name)
        key.extend(value if isinstance(value, list) else [value])
    return key or None


def describe(position, record):
    """'record 12 (cooperation.delegation ["a-visit"])': position counts from 1."""
    if not isinstance(record, dict):
        return f"record {position} (not a JSON object)"
    what = str(record.get("model", "no model given"))
    key = natural_key_of(record)
    if key is not None:
        what += " " + json.dumps(key, ensure_ascii=False)
    elif record.get("pk") is not None:
        what += f" pk={record['pk']}"
    return f"record {position} ({what})"


def unresolved_required_references(deserialized, using):
    """The required references of `deserialized` that name no stored record, as
    (field, value) pairs.

    The deserializer puts a reference it cannot resolve aside, in case the record it names
    comes later in the file; but a required reference can never wait (its column may not
    be empty), so one that names no stored record is an unknown record.
    """
    return [
        (field, value)
        for field, value in deserialized.deferred_fields.items()
        if not field.many_to_many
        and not field.null
        and deserialize_fk_value(field, value, using, True) == DEFER_FIELD
    ]


def unknown_references(record, using):
    """The references of a fixture record (model known) that name no stored record, as
    (field, value) pairs: a record whose natural key goes through one cannot even be
    read."""
    try:
        model = apps.get_model(record["model"])
    except (LookupError, KeyError, TypeError, ValueError):
        return []
    unknown = []
    for name, value in record.get("fields", {}).items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not (field.many_to_one or field.one_to_one) or not isinstance(value, list):
            continue
        try:
            resolved = deserialize_fk_value(field, value, using, True)
        except Exception:  # noqa: BLE001 - a malformed key names no record either
            resolved = DEFER_FIELD
        if resolved == DEFER_FIELD:
            unknown.append((field, value))
    return unknown


def names_a_record(field, value, using):
    """Whether a reference (foreign key or many-to-many) resolves to stored records."""
    try:
        if field.many_to_many:
            return deserialize_m2m_values(field, value, using, True) != DEFER_FIELD
        return deserialize_fk_value(field, value, using, True) != DEFER_FIELD
    except Exception:  # noqa: BLE001 - a malformed reference names no record either
        return False


def broken_constraint(model, error):
    """The message of the constraint of `model` that a database error names, or None."""
    text = str(error)
    for constraint in model._meta.constraints:
        if constraint.name in text:
            return constraint.get_violation_error_message()
    return None


def record_identity(record):
    """(model label, natural key) of a fixture record, as references name it."""
    key = natural_key_of(record)
    return (str(record.get("model", "")).lower(), tuple(key or ()))


def reference_identity(field, value):
    """(model label, natural key) of the record a reference names."""
    key = tuple(value) if isinstance(value, list) else (value,)
    return (field.remote_field.model._meta.label_lower, key)


def unknown_reference(field, value, where="in the fixture"):
    model = field.remote_field.model._meta.label_lower
    return (
        f"{field.name} refers to {model} {json.dumps(value, ensure_ascii=False)}, "
        f"which is neither in the database nor {where}"
    )


def read_json_records(path, opener=open, mode="rt"):
    """The records of a JSON fixture file, or None when it cannot be read as a list."""
    try:
        with opener(path, mode) as stream:
            text = stream.read()
        if isinstance(text, bytes):
            text = text.decode()
        records = json.loads(text)
    except (OSError, ValueError):
        return None
    return records if isinstance(records, list) else None
