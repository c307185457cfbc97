"""How records keep their history (django-simple-history), with three additions.

- One save, one row: an admin save writes a record, then its many-to-many fields, then its
  inline records. Inside `one_row_per_record()` each record changed gets a single historical
  row, holding the state the save ended in, instead of one per write (a programme whose
  parties change would otherwise show a version with half of them).
- Raw saves: simple-history ignores the raw saves of `loaddata`; `record_change()` lets the
  project's loaddata record what an import changed.
- Every language: a record's words kept per language (cooperation/translation.py) get
  their columns from modeltranslation once every model is built, after simple-history
  made the historical models; `follow_translations()` gives those models the same columns,
  so that a version keeps, compares and restores the text in each language.
"""

import contextlib

from django.db import models
from django.db.models.signals import pre_save
from django.utils import translation
from django.utils.module_loading import import_string
from simple_history.models import HistoricalRecords
from simple_history.utils import get_history_model_for_model

from cooperation.languages import DEFAULT, language_columns

APP_LABEL = "cooperation_history"

# The tracker of each model with a history, for the rows written outside its signals.
_trackers = {}


class RecordHistory(HistoricalRecords):
    """A record's history, in the history app's tables."""

    def __init__(self, **options):
        super().__init__(
            app=APP_LABEL,
            # A reason names the fixture an import came from, which may be a long path.
            history_change_reason_field=models.TextField(null=True, blank=True),
            **options,
        )

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            _trackers[sender] = self

    def get_extra_fields(self, model, fields):
        extra = super().get_extra_fields(model, fields)
        build = extra["instance"].fget

        def get_instance(version):
            # simple-history builds the record from the columns the historical model had
            # when it was made, which were not yet the ones per language.
            record = build(version)
            for field in language_columns(model):
                setattr(record, field.attname, getattr(version, field.attname))
            return record

        extra["instance"] = property(get_instance)
        return extra

    def create_historical_record(self, instance, history_type, using=None):
        # A translated field's original column is read in English, whatever language the
        # page that saved the record was in (the language columns hold every language).
        with translation.override(DEFAULT):
            self._create_historical_record(instance, history_type, using)

    def _create_historical_record(self, instance, history_type, using=None):
        pending = getattr(self.context, "pending_changes", None)
        if pending is None:
            super().create_historical_record(instance, history_type, using)
            return
        key = (type(instance), instance.pk)
        if history_type == "-":
            # Written at once: whatever the save did to the record before is gone with it.
            pending.pop(key, None)
            super().create_historical_record(instance, history_type, using)
            return
        if key in pending and pending[key][2] == "+":
            # Created, then given its many-to-many fields: still the record's creation.
            history_type = "+"
        pending[key] = (self, instance, history_type, using)


@contextlib.contextmanager
def one_row_per_record():
    """Record each record changed inside the block once, as it is when the block ends.

    Nothing is recorded when the block fails: its transaction is rolled back anyway.
    """
    context = HistoricalRecords.context
    if getattr(context, "pending_changes", None) is not None:
        # Inside an outer block, which records at its end.
        yield
        return
    context.pending_changes = pending = {}
    try:
        yield
    finally:
        del context.pending_changes
    for tracker, instance, history_type, using in pending.values():
        tracker.create_historical_record(instance, history_type, using)


@contextlib.contextmanager
def history_untouched():
    """Inside the block, loaddata's raw saves add no historical row, not even for the
    many-to-many fields it sets: for a backup's restore, whose history comes with it."""

    def skip(sender, instance, raw=False, **kwargs):
        if raw:
            instance.skip_history_when_saving = True

    pre_save.connect(skip, weak=False, dispatch_uid="history-untouched")
    try:
        yield
    finally:
        pre_save.disconnect(dispatch_uid="history-untouched")


def has_history(model):
    return model in _trackers


def history_state(record, using):
    """What a historical row of `record` holds: its tracked fields and many-to-many ids."""
    history_model = get_history_model_for_model(type(record))
    values = [getattr(record, field.attname) for field in history_model.tracked_fields]
    related = [
        set(getattr(record, field.name).using(using).values_list("pk", flat=True))
        for field in history_model._history_m2m_fields
    ]
    return values, related


def record_change(instance, history_type, reason, using=None):
    """Write a historical row ("+" created, "~" changed) for a save simple-history ignored."""
    instance._change_reason = reason
    _trackers[type(instance)].create_historical_record(instance, history_type, using)


# --- Every language -----------------------------------------------------------------------


def follow_translations(model):
    """Give the historical model of `model` its per-language columns, and compare versions
    by them rather than by the original column they replace."""
    history_model = get_history_model_for_model(model)
    added = language_columns(model)
    for field in added:
        if field.name in {f.name for f in history_model._meta.fields}:
            continue
        name, path, args, kwargs = field.deconstruct()
        history_model.add_to_class(name, import_string(path)(*args, **kwargs))
    translated = {field.translated_field.name for field in added}
    tracked = history_model.tracked_fields
    tracked[:] = [field for field in tracked if field.name not in translated] + added
