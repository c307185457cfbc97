"""The one write path into the records.

Every door (the admin's forms, actions and history revert, `loaddata`, `restore`, the
management commands, bench/editor.py, the tests) writes records inside a `change()` block,
or through one of the steps below, which open one. A block is one transaction in which:

1. the records are written (by the door: a form's save, a deserialized row, a step here);
2. the rules that span records are checked (cooperation/records/rules.py): a published
   record cites a source, publishing is a publisher's decision taken from review, a
   programme has two parties… A broken rule raises `ValidationError`: nothing is written;
3. a change to what a published page shows, made by someone who may not publish, is rolled
   back and kept as a pending revision instead (cooperation/records/revisions.py);
4. the visits the change reaches, before and after it, get their search text, vector and
   event-index rows rebuilt (cooperation/records/derived.py);
5. each record changed gets one historical row (cooperation/history/records.py);
6. the public pages' version (cooperation/registry_version.py) moves only when something
   the public can see changed: editing a draft leaves every ETag and cached page as it was.

Which records a block touched is learned from Django's model signals, which only note them
here; all of the work above is done explicitly when the block ends.
"""

import contextlib
import threading

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save
from django.utils.translation import gettext as _

from cooperation import registry_version
from cooperation.history.records import has_history, history_state, one_row_per_record
from cooperation.history.records import record_change as record_history
from cooperation.models import PUBLICATION_FIELDS, Delegation, Status, publication_time

from . import derived, rules
from .owners import OWNER_MODELS, owners_of, public_owner_ids

_local = threading.local()


class Change:
    """What one block touched, as the signals reported it."""

    def __init__(self, user, reason, using, importing):
        self.user = user
        self.reason = reason
        self.using = using
        self.importing = importing
        # (model, pk) -> the record as saved last, for every record saved in the block.
        self.saved = {}
        # (model, pk) -> the record, for every record deleted in the block.
        self.deleted = {}
        # The visits reached by the touched records as they were before the block.
        self.visits_before = set()
        # (model, pk) of the programmes and visits that own a touched record, as before.
        self.owners_before = set()
        # (model, pk) -> status, of each owner as stored before the block changed it.
        self.status_before = {}
        # Raw saves of an import: (model, pk) -> history state before, or None if new.
        self.imported = {}
        # Whether any reference record the public sees was touched.
        self.reference_public = False
        # The pending revisions this block started from (see `change(starting_from=…)`).
        self.base_revisions = []
        # Set by `discard()`: the block is rolled back whole when it ends.
        self.discarded = False
        # The pending revisions written when the change was kept for review.
        self.revisions = []
        # With an import: whether it may take published records off the site.
        self.allow_unpublish = False
        # What the block did, once it ended: historical rows of an import, visits rebuilt.
        self.recorded = 0
        self.refreshed = 0
        # How many saves and deletes the block has seen: a door tells by it whether what it
        # ran wrote anything.
        self.writes = 0

    def discard(self):
        """Roll back everything the block wrote (a form shown again with its errors, a
        page rendered from a pending revision)."""
        self.discarded = True

    # --- Noted by the signals -------------------------------------------------------------

    def before_write(self, record, raw=False):
        model = type(record)
        stored = None
        if record.pk is not None:
            stored = model._base_manager.using(self.using).filter(pk=record.pk).first()
        if self.importing and raw:
            if has_history(model):
                # Kept on the record until it is saved and has its key (see after_write).
                before = None if stored is None else history_state(stored, self.using)
                record._imported_from = (before, self.reason)
            # The import writes the one historical row of the record (see finish()).
            record.skip_history_when_saving = True
        if stored is not None:
            self.note_before(stored)
        # The programmes and visits it is becoming part of: their status as it stands.
        self.note_owners(record)

    def note_before(self, stored):
        self.visits_before |= derived.visits_naming(stored, using=self.using)
        self.owners_before |= self.note_owners(stored)
        if rules.is_reference(stored) and rules.public_reference(stored, self.using):
            self.reference_public = True

    def note_owners(self, record):
        """Keep the status each owner of `record` has before the block changes it."""
        keys = set()
        for owner in owners_of(record, self.using):
            key = (type(owner), owner.pk)
            keys.add(key)
            self.status_before.setdefault(key, owner.status)
        return keys

    def after_write(self, record, created=False):
        key = (type(record), record.pk)
        if created and isinstance(record, OWNER_MODELS):
            # Made in this block: it had no status before.
            self.status_before.setdefault(key, None)
        self.writes += 1
        imported = record.__dict__.pop("_imported_from", None)
        if imported is not None:
            self.imported.setdefault(key, imported)
        self.saved[key] = record

    def before_delete(self, record):
        self.writes += 1
        self.note_before(record)
        self.deleted[(type(record), record.pk)] = record

    # --- Done when the block ends ---------------------------------------------------------

    def live(self):
        """The records saved in the block that still exist."""
        return [record for key, record in self.saved.items() if key not in self.deleted]

    def owners_after(self):
        owners = set()
        for record in self.live():
            owners |= {(type(owner), owner.pk) for owner in owners_of(record, self.using)}
        return owners

    def finish(self):
        """Check the rules, then keep derived data, history and the public version in step.
        Returns the owners whose change must wait for review (see `change()`)."""
        owners = self.owners_before | self.owners_after()
        rules.check_change(self, owners)
        waiting = self.waiting_for_review(owners)
        if waiting:
            return waiting
        live = self.live()
        visits = self.visits_before | derived.visits_naming(*live, using=self.using)
        self.refreshed = derived.refresh(visits, self.using)
        if self.imported:
            self.record_imports()
        if self.public_changed(owners, visits):
            registry_version.bump(self.using)
        return []

    def waiting_for_review(self, owners):
        """The published programmes and visits this change reaches that its author may not
        publish: their change is kept for review rather than made."""
        if self.user is None:
            return []
        waiting = []
        for model, pk in sorted(owners, key=lambda key: (key[0].__name__, key[1])):
            was_published = self.status_before.get((model, pk)) == Status.PUBLISHED
            if was_published and not may_publish(self.user, model):
                waiting.append((model, pk))
        return waiting

    def public_changed(self, owners, visits):
        if self.reference_public:
            return True
        for record in self.live():
            if rules.is_reference(record) and rules.public_reference(record, self.using):
                return True
        if any(status == Status.PUBLISHED for status in self.status_before.values()):
            return True
        if public_owner_ids(owners, self.using):
            return True
        published = Delegation.objects.using(self.using).filter(status=Status.PUBLISHED)
        return published.filter(pk__in=visits).exists()

    def record_imports(self):
        """One historical row for each record the import created or changed (read after the
        whole load: forward references and many-to-many rows are in place)."""
        for (model, pk), (before, reason) in self.imported.items():
            if (model, pk) in self.deleted:
                continue
            record = model._base_manager.using(self.using).filter(pk=pk).first()
            if record is None or (
                before is not None and history_state(record, self.using) == before
            ):
                continue
            record_history(record, "+" if before is None else "~", reason or "Imported", self.using)
            self.recorded += 1


def current():
    """The block being written, or None."""
    return getattr(_local, "change", None)


class _Staged(Exception):
    """Rolls a change back once it is kept as a pending revision."""


@contextlib.contextmanager
def change(user=None, reason=None, using=DEFAULT_DB_ALIAS, importing=False, starting_from=()):
    """One write to the records (see the module's docstring). `user` is who makes it (None
    for a command or script, which is trusted to publish); `reason` goes into the history;
    `importing` marks a fixture's raw rows; `starting_from` names programmes or visits whose
    pending revision the change builds on (an editor continuing a change under review).

    Yields the `Change`; its `revisions` attribute lists the pending revisions written when
    the change was kept for review instead of made. A block inside a block is part of it.
    """
    outer = current()
    if outer is not None:
        yield outer
        return
    block = Change(user, reason, using, importing)
    _local.change = block
    try:
        with transaction.atomic(using=using):
            snapshots = []
            try:
                with transaction.atomic(using=using), one_row_per_record():
                    from . import revisions

                    for owner in starting_from:
                        block.base_revisions += revisions.apply_pending(owner, using)
                    with _reason(block):
                        yield block
                    if block.discarded:
                        raise _Staged
                    waiting = block.finish()
                    if waiting:
                        snapshots = revisions.snapshots(waiting, using)
                        raise _Staged
            except _Staged:
                if snapshots:
                    block.revisions = revisions.keep(snapshots, user, using)
    finally:
        _local.change = None


@contextlib.contextmanager
def _reason(block):
    """Give every record saved in the block the block's reason, for its historical row."""
    yield
    if block.reason:
        for record in block.live():
            if getattr(record, "_change_reason", None) is None:
                record._change_reason = block.reason


def may_publish(user, model):
    if user is None:
        return True
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")


# --- The steps of the workflow -------------------------------------------------------------
# Each saves the record (never `QuerySet.update()`), so the change is validated, kept in the
# history and reaches the derived data like any edit.


def save(record, user=None, reason=None, using=DEFAULT_DB_ALIAS):
    """Validate `record` as the admin does (fields, rules, constraints) and save it."""
    with change(user=user, reason=reason, using=using) as block:
        record.full_clean()
        record.save(using=using)
    return block


def _step(record, user, reason, using, take):
    """Take one step of the workflow (`take(record)` sets the fields) and save."""
    with change(user=user, reason=reason, using=using) as block:
        take(record)
        record.save(using=using)
    return block


def submit_for_review(record, user=None, using=DEFAULT_DB_ALIAS):
    return _step(record, user, "Submitted for review", using, lambda r: r.submit_for_review())


def publish(record, user=None, when=None, using=DEFAULT_DB_ALIAS):
    """Publish a record in review; the rules refuse a draft, a record citing no source, and
    a user who may not publish."""
    stamp = when or publication_time()
    return _step(record, user, "Published", using, lambda r: r.publish(_account(user), stamp))


def return_to_draft(record, user=None, using=DEFAULT_DB_ALIAS):
    return _step(record, user, "Returned to draft", using, lambda r: r.return_to_draft())


def delete(*records, user=None, using=DEFAULT_DB_ALIAS):
    with change(user=user, using=using) as block:
        for record in records:
            rules.check_may_delete(record, user)
            record.delete(using=using)
    return block


def revert(record, version, user=None, using=DEFAULT_DB_ALIAS):
    """Restore `record`'s own fields to `version` (an earlier version in its history; its
    inline records keep histories of their own). Its publication stays as it is: that
    changes through the workflow. The rules hold as for any edit."""
    restored = version.instance
    for name in PUBLICATION_FIELDS:
        if hasattr(record, name):
            attname = record._meta.get_field(name).attname
            setattr(restored, attname, getattr(record, attname))
    with change(user=user, reason=revert_reason(version), using=using) as block:
        restored.full_clean()
        restored.save(using=using)
    return block


def approve(revision, user, using=DEFAULT_DB_ALIAS):
    """A publisher's decision: the public pages show what `revision` holds."""
    from . import revisions

    owner = revision.record
    author = revision.created_by or "an unnamed account"
    with change(user=user, reason=f"Approved the change of {author}", using=using) as block:
        if not may_publish(user, type(owner)):
            raise ValidationError(rules.named(owner) + ": " + _(rules.ONLY_PUBLISHERS))
        revisions.apply(owner, revision.content, using)
        decide(revision, revision.State.APPROVED, user, using)
    return block


def reject(revision, user, using=DEFAULT_DB_ALIAS):
    """A publisher's decision: the change is not made; the public pages stay as they are."""
    owner = revision.record
    if not may_publish(user, type(owner)):
        raise ValidationError(rules.named(owner) + ": " + _(rules.ONLY_PUBLISHERS))
    decide(revision, revision.State.REJECTED, user, using)


def decide(revision, state, user, using):
    from django.utils import timezone

    revision.state = state
    revision.decided_by = _account(user)
    revision.decided_at = timezone.now()
    revision.save(using=using)


def revert_reason(version):
    from django.conf import settings
    from django.utils import timezone, translation
    from django.utils.dateformat import format as format_date

    # Kept in the history in English, whatever the admin's language, like the log.
    with translation.override(settings.LANGUAGE_CODE):
        when = format_date(timezone.localtime(version.history_date), "j F Y, H:i:s")
    return f"Reverted to the version of {when}"


def _account(user):
    return user if isinstance(user, get_user_model()) else None


# --- Noting what a block touches -----------------------------------------------------------


def _records_model(sender):
    return sender._meta.app_label == "cooperation" and sender._meta.managed


def _pre_save(sender, instance, raw=False, **kwargs):
    block = current()
    if block is not None and _records_model(sender):
        block.before_write(instance, raw)


def _post_save(sender, instance, created=False, **kwargs):
    block = current()
    if block is not None and _records_model(sender):
        block.after_write(instance, created)


def _pre_delete(sender, instance, **kwargs):
    block = current()
    if block is not None and _records_model(sender):
        block.before_delete(instance)


def _m2m_changed(sender, instance, action, **kwargs):
    block = current()
    if block is None or not _records_model(type(instance)):
        return
    if action.startswith("pre_"):
        block.before_write(instance)
    else:
        block.after_write(instance)


def connect_signals():
    pre_save.connect(_pre_save, dispatch_uid="records-pre-save")
    post_save.connect(_post_save, dispatch_uid="records-post-save")
    pre_delete.connect(_pre_delete, dispatch_uid="records-pre-delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="records-m2m")


__all__ = [
    "approve",
    "reject",
    "change",
    "current",
    "delete",
    "publish",
    "return_to_draft",
    "revert",
    "save",
    "submit_for_review",
]
