"""Pending revisions: a change to a published programme or visit (or to anything its page
shows) by someone who may not publish waits here until a publisher approves it.

The change is made as any other (the admin's forms and formsets save it, the rules are
checked) inside a savepoint; the programme's or visit's whole graph is then serialised as
a fixture with natural keys, the savepoint is rolled back, and the serialisation is kept
as the pending revision. The public keeps seeing the published rows. Approving applies the
serialisation to the rows through the write path, as one change with its history; an
editor's next change starts from the pending revision (cooperation/records/__init__.py,
`change(starting_from=…)`), so no earlier pending change is lost.
"""

import json

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cooperation.fixture_records import natural_key_of
from cooperation.languages import DEFAULT
from cooperation.models import PUBLICATION_FIELDS, CooperationProgram, Delegation, Revision

from .owners import load


def graph(owner, using="default"):
    """The records a programme's or visit's page shows as part of it, parents first."""
    if isinstance(owner, CooperationProgram):
        return [
            owner,
            *owner.signatories.using(using).order_by("order", "pk"),
            *owner.programcitation_set.using(using).order_by("order", "pk"),
        ]
    # Members who are not the head first: a revision that moves the headship saves the
    # former head's row before the new one (one head per delegation).
    records = [owner, *owner.members.using(using).order_by("is_head", "order", "pk")]
    records += owner.delegationcitation_set.using(using).order_by("order", "pk")
    for meeting in owner.meetings.using(using).order_by("pk"):
        records.append(meeting)
        records += meeting.participants.using(using).order_by("order", "pk")
        records += meeting.meetingcitation_set.using(using).order_by("order", "pk")
    for workshop in owner.workshops.using(using).order_by("pk"):
        records += [workshop, *workshop.workshopcitation_set.using(using).order_by("pk")]
    for site_visit in owner.site_visits.using(using).order_by("pk"):
        records += [site_visit, *site_visit.sitevisitcitation_set.using(using).order_by("pk")]
    # After the meetings, which a signing may name.
    records += owner.signings.using(using).order_by("order", "pk")
    return records


def serialise(owner, using="default"):
    return serializers.serialize(
        "json",
        graph(owner, using),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
        indent=1,
    )


def snapshots(keys, using="default"):
    """(owner key, serialisation) of each programme or visit in `keys`, as they are now."""
    return [(key, serialise(load(key, using), using)) for key in keys]


def pending_for(owner, using="default"):
    if owner is None or owner.pk is None:
        return None
    field = "delegation" if isinstance(owner, Delegation) else "program"
    return (
        Revision.objects.using(using)
        .filter(**{field: owner.pk}, state=Revision.State.PENDING)
        .select_related("created_by")
        .first()
    )


def keep(snapshots, user, using="default"):
    """Write (or rewrite) the pending revision of each owner; returns them."""
    kept = []
    for (model, pk), content in snapshots:
        field = "delegation_id" if model is Delegation else "program_id"
        revision = Revision.objects.using(using).filter(
            **{field: pk}, state=Revision.State.PENDING
        ).first() or Revision(**{field: pk})
        revision.content = content
        revision.created_by = user if getattr(user, "pk", None) else None
        revision.updated_at = timezone.now()
        revision.save(using=using)
        kept.append(revision)
    return kept


def apply_pending(owner, using="default"):
    """Make `owner`'s rows what its pending revision says (inside the caller's change), and
    return [the revision] or []."""
    revision = pending_for(owner, using)
    if revision is None:
        return []
    apply(owner, revision.content, using)
    return [revision]


def identity(model_label, key):
    """A record of a graph as its owner knows it: its natural key less the owner's own
    (the owner's slug may change in the revision)."""
    return (model_label.lower(), tuple(key[1:]))


class StaleRevision(ValidationError):
    """A pending revision that names a record which has since changed its key or gone."""


def apply(owner, content, using="default"):
    """Write `content` (a serialised graph) over `owner`'s rows: the owner's own fields but
    its publication, its parts added, changed or removed to match. Raises StaleRevision,
    having written nothing, when the revision names a record that is no longer there as it
    names it (a source whose address changed, a person deleted)."""
    try:
        with transaction.atomic(using=using):
            _apply(owner, content, using)
    except (DeserializationError, ObjectDoesNotExist, DatabaseError, ValueError) as error:
        raise StaleRevision(
            _(
                "The change waiting for review names a record that has changed or gone "
                "since (%(error)s): reject it, then make the change again."
            )
            % {"error": error}
        ) from error


def _apply(owner, content, using):
    data = json.loads(content)
    wanted = {identity(item["model"], natural_key_of(item) or []) for item in data[1:]}
    current = graph(owner, using)[1:]
    # Parts the revision no longer has go first, deepest first, so that no unique value
    # they hold stands in the way of the parts that take it.
    for record in reversed(current):
        label = record._meta.label_lower
        if identity(label, list(record.natural_key())) not in wanted:
            type(record)._base_manager.using(using).filter(pk=record.pk).delete()
    stored = {name: getattr(owner, name) for name in PUBLICATION_FIELDS}
    for position, item in enumerate(
        serializers.deserialize("json", content, using=using, ignorenonexistent=True)
    ):
        record = item.object
        if position == 0:
            record.pk = owner.pk
            record._state.adding = False
            for name, value in stored.items():
                setattr(record, name, value)
        record.save(using=using)
        for name, values in (item.m2m_data or {}).items():
            getattr(record, name).set(values)


def differences(owner, content, using="default"):
    """What a revision changes on `owner`'s page: rows of (what, field, now, pending)."""
    live = {_key(item): item for item in json.loads(serialise(owner, using))}
    pending = {_key(item): item for item in json.loads(content)}
    rows = []
    for key in [*live, *(key for key in pending if key not in live)]:
        before, after = live.get(key), pending.get(key)
        what = _label(before or after)
        if before is None:
            rows.append((what, "", "", _shown(after["fields"])))
        elif after is None:
            rows.append((what, "", _shown(before["fields"]), ""))
        else:
            names = before["fields"].keys() | after["fields"].keys()
            for field in sorted(names):
                if field in PUBLICATION_FIELDS or field in ("created_at", "updated_at"):
                    continue
                if f"{field}_{DEFAULT}" in names:
                    # A translated field: its language columns say it, each on its own row.
                    continue
                old, new = before["fields"].get(field), after["fields"].get(field)
                if old != new:
                    rows.append(
                        (what, _field_label(item_model(after), field), _value(old), _value(new))
                    )
    return rows


def _key(item):
    key = natural_key_of(item) or []
    return identity(item["model"], key) if item["model"] not in _OWNER_LABELS else ("owner",)


_OWNER_LABELS = {"cooperation.delegation", "cooperation.cooperationprogram"}


def item_model(item):
    return apps.get_model(item["model"])


def _field_label(model, name):
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _label(item):
    key = natural_key_of(item) or []
    name = capfirst(item_model(item)._meta.verbose_name)
    title = item["fields"].get(f"title_{DEFAULT}") or item["fields"].get("title")
    return f"{name}: {title or ' / '.join(str(part) for part in key[1:])}"


def _value(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_value(part) for part in value)
    return str(value)


def _shown(fields):
    return "; ".join(
        f"{name}: {_value(value)}"
        for name, value in fields.items()
        if value not in (None, "", []) and name not in ("created_at", "updated_at")
    )
