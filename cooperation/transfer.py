"""Records leaving the registry: fixtures for another installation, and CSV for staff.

A fixture export holds the chosen records and everything they need to load with `loaddata`
on an empty database, written with natural keys as `dumpdata --natural-foreign
--natural-primary` writes them, every record after the records it names. Loaded where the
records already exist, it updates them in place (natural keys find them), as loading the
Baku fixture twice does.

What comes with a record:
- its parts, which say what the record is and belong to nothing else: a person's other
  names and positions, a programme's signatories and citations, a visit's members,
  citations and activities, a meeting's participants, an activity's citations;
- every record it names (organizations, people, places, topics, sources, a programme),
  each with its own parts, and the parents of organizations, places and topics up the tree.
A visit named only as the owner of a chosen activity comes without its other activities
and members: the activity needs the visit's record, not the rest of the visit. A programme
does not bring its visits: a programme has many, and they are exported from the visits'
list (filtered by programme) when they are wanted.

Links to this installation's accounts (who published a record) do not travel: an account
named in a fixture would not exist, or would be someone else, on another installation.

The CSV export writes what a changelist shows, column for column, for the rows selected.
"""

import datetime as dt
import io
import itertools
import tempfile
from collections import defaultdict

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, label_for_field, lookup_field
from django.contrib.auth import get_permission_codename
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exports import csv_lines
from .languages import DEFAULT as DEFAULT_LANGUAGE
from .models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    Series,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Topic,
    Workshop,
    WorkshopCitation,
)

# Every kind of record a fixture can hold. Derived data (the event index, search text)
# is rebuilt where the fixture is loaded and never travels.
RECORD_MODELS = (
    Organization,
    Person,
    PersonName,
    Position,
    Place,
    Topic,
    Series,
    Occasion,
    Source,
    CooperationProgram,
    ProgramSignatory,
    ProgramCitation,
    Delegation,
    DelegationMember,
    DelegationCitation,
    Meeting,
    MeetingParticipant,
    MeetingCitation,
    Workshop,
    WorkshopCitation,
    SiteVisit,
    SiteVisitCitation,
    Signing,
)

# The parts of a record: (model of the part, its link to the record).
PARTS = {
    Person: ((PersonName, "person"), (Position, "person")),
    CooperationProgram: ((ProgramSignatory, "program"), (ProgramCitation, "program")),
    Delegation: (
        (DelegationMember, "delegation"),
        (DelegationCitation, "delegation"),
        (Meeting, "delegation"),
        (Workshop, "delegation"),
        (SiteVisit, "delegation"),
        (Signing, "delegation"),
    ),
    Meeting: ((MeetingParticipant, "meeting"), (MeetingCitation, "activity")),
    Workshop: ((WorkshopCitation, "activity"),),
    SiteVisit: ((SiteVisitCitation, "activity"),),
}

# Records that, when only named by a chosen record (an activity names its visit), come
# without their parts.
ALONE_WHEN_NAMED = {Delegation, Meeting, Workshop, SiteVisit}

# Rows per query when records are looked up by id, well under every database's limit on
# query parameters.
CHUNK = 500


def chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def links(model):
    """The fields of `model` that name another record: (field, is many-to-many)."""
    for field in model._meta.concrete_fields:
        # A one-to-one field (a signing's instrument) names a record as a foreign key does.
        if (field.many_to_one or field.one_to_one) and field.related_model in RECORD_MODELS:
            yield field, False
    for field in model._meta.many_to_many:
        # One with a model of its own (a citation) links through records of that model.
        if field.remote_field.through._meta.auto_created and field.related_model in RECORD_MODELS:
            yield field, True


def account_links(model):
    """Links to something other than a record: this installation's user accounts."""
    return [
        field
        for field in model._meta.concrete_fields
        if (field.many_to_one or field.one_to_one) and field.related_model not in RECORD_MODELS
    ]


def named_ids(model, field, many, ids, using):
    """The ids of the records that the `model` rows `ids` name through `field`."""
    found = set()
    for chunk in chunks(ids):
        if many:
            rows = field.remote_field.through.objects.using(using).filter(
                **{f"{field.m2m_field_name()}__in": chunk}
            )
            found.update(rows.values_list(field.m2m_reverse_name(), flat=True))
        else:
            rows = model._base_manager.using(using).filter(pk__in=chunk)
            found.update(rows.exclude(**{field.name: None}).values_list(field.name, flat=True))
    return found


def part_ids(part, link, owner_ids, using):
    found = set()
    for chunk in chunks(owner_ids):
        rows = part._base_manager.using(using).filter(**{f"{link}__in": chunk})
        found.update(rows.values_list("pk", flat=True))
    return found


def collect(chosen, using=DEFAULT_DB_ALIAS):
    """Every record a fixture of the `chosen` records ({model: ids}) holds: {model: ids}."""
    records = defaultdict(set)
    with_parts = defaultdict(set)
    whole = {model: set(ids) for model, ids in chosen.items()}
    alone = {}
    # Each round adds the parts of the records that came whole and the records named by
    # those seen for the first time; a tree's chain of parents takes a round per level.
    while whole or alone:
        new = defaultdict(set)
        next_whole, next_alone = defaultdict(set), defaultdict(set)
        for model, ids in whole.items():
            ids = ids - with_parts[model]
            with_parts[model] |= ids
            new[model] |= ids - records[model]
            for part, link in PARTS.get(model, ()):
                next_whole[part] |= part_ids(part, link, ids, using)
        for model, ids in alone.items():
            new[model] |= ids - records[model]
        for model, ids in new.items():
            records[model] |= ids
            for field, many in links(model):
                named = named_ids(model, field, many, ids, using)
                target = field.related_model
                (next_alone if target in ALONE_WHEN_NAMED else next_whole)[target] |= named
        whole = {model: ids for model, ids in next_whole.items() if ids - with_parts[model]}
        alone = {model: ids for model, ids in next_alone.items() if ids - records[model]}
    return {model: ids for model, ids in records.items() if ids}


# In place of a set of ids: every row of the model. The whole registry is exported table by
# table without holding millions of ids in memory.
EVERY_ROW = object()


def everything():
    """Every record of the registry, in the form `collect` returns."""
    return dict.fromkeys(RECORD_MODELS, EVERY_ROW)


def natural_key_paths(model):
    """The relations the serializer follows to write `model`'s links as natural keys.

    A linked record's natural key may start with the natural key of a record it belongs
    to (a meeting's starts with its visit's slug): that relation is followed too, so the
    export costs the same queries however many rows it writes.
    """
    paths = []
    for field, many in links(model):
        if many:
            continue
        paths.append(field.name)
        target = field.related_model
        owners = set(getattr(target.natural_key, "dependencies", ()))
        for owner_field, owner_many in links(target):
            if not owner_many and owner_field.related_model._meta.label_lower in owners:
                paths.append(f"{field.name}__{owner_field.name}")
    return paths


def parents_first(model, ids, using):
    """The ids of a tree's records (organizations, places, topics), each after its parent.

    `loaddata` resolves a reference to a record further down the file only once the whole
    file is read; a fixture in this order needs no such second pass, and reads top down.
    """
    records = model._base_manager.using(using)
    if ids is EVERY_ROW:
        parent_of = dict(records.values_list("pk", "parent_id"))
    else:
        parent_of = {}
        for chunk in chunks(ids):
            parent_of.update(records.filter(pk__in=chunk).values_list("pk", "parent_id"))
    placed, ordered = set(), []
    remaining = sorted(parent_of)
    while remaining:
        ready = [
            pk for pk in remaining if parent_of[pk] not in parent_of or parent_of[pk] in placed
        ]
        if not ready:
            # A loop of parents (only raw database edits make one): loaddata resolves the
            # references at the end of the load, so the rest goes in id order.
            ready = remaining
        ordered += ready
        placed.update(ready)
        remaining = [pk for pk in remaining if pk not in placed]
    return ordered


def ordered_models(models):
    """`models` in an order loaddata accepts: each after the models it links to."""
    return serializers.sort_dependencies([(None, list(models))])


def rows(records, using=DEFAULT_DB_ALIAS, accounts=False):
    """The records ({model: ids}) as model instances, in the order of a loadable fixture.

    With `accounts`, links to this installation's accounts are kept: a backup returns the
    records to the installation they came from (cooperation/backups.py).
    """
    for model in ordered_models(records):
        ids = records[model]
        hidden = [
            field.name
            for field in model._meta.concrete_fields
            if not field.serialize and not field.primary_key
        ]
        outside = account_links(model)
        # Kept, an account is written as its natural key (the username): read with the row.
        kept = [field.name for field in outside] if accounts else []
        queryset = (
            model._base_manager.using(using)
            .select_related(*natural_key_paths(model), *kept)
            .prefetch_related(*(field.name for field, many in links(model) if many))
            .defer(*hidden)
        )
        if any(field.name == "parent" for field, _ in links(model)):
            ids = parents_first(model, ids, using)
        if ids is EVERY_ROW:
            found = queryset.order_by("pk").iterator(chunk_size=2000)
        else:
            found = in_order(queryset, ids if isinstance(ids, list) else sorted(ids))
        for obj in found:
            if not accounts:
                for field in outside:
                    setattr(obj, field.attname, None)
            yield obj


def in_order(queryset, ids):
    for chunk in chunks(ids):
        found = queryset.in_bulk(chunk)
        yield from (found[pk] for pk in chunk if pk in found)


class ExactJSONEncoder(DjangoJSONEncoder):
    """Writes times to the microsecond. Django's encoder cuts them to the millisecond (as
    JavaScript reads them), so a record moved to another installation would arrive with
    other timestamps than it left with."""

    def default(self, o):
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class Counted:
    """An iterable that counts what passes through it."""

    def __init__(self, iterable):
        self.iterable = iterable
        self.count = 0

    def __iter__(self):
        for item in self.iterable:
            self.count += 1
            yield item


def write_fixture(records, stream, indent=None, using=DEFAULT_DB_ALIAS):
    """Write the records ({model: ids}) to `stream` as a JSON fixture; return how many."""
    objects = Counted(rows(records, using))
    # A record's words are written in each language's column (`title_en`, `title_az`…);
    # the original column (`title`) in English, whatever page asked for the export.
    with translation.override(DEFAULT_LANGUAGE):
        serializers.serialize(
            "json",
            objects,
            stream=stream,
            indent=indent,
            cls=ExactJSONEncoder,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
    return objects.count


# --- Admin actions ------------------------------------------------------------------------


def can_view(admin_site, request, model):
    """Whether the user may see records of `model` in the admin."""
    if admin_site.is_registered(model):
        return admin_site.get_model_admin(model).has_view_permission(request)
    # Parts (members, citations, participants…) are seen through their owner's page,
    # where Django shows an inline only to those with permission on its model.
    opts = model._meta
    return any(
        request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
        for action in ("view", "change")
    )


def export_filename(queryset, chosen, extension):
    """The slug of the one record chosen, or what the records are and the day."""
    model = queryset.model
    if len(chosen) == 1 and hasattr(model, "slug"):
        records = model._base_manager.using(queryset.db).filter(pk__in=chosen)
        name = records.values_list("slug", flat=True).first()
        if name:
            return f"{name}.{extension}"
    today = timezone.localdate().isoformat()
    return f"{file_stem(model)}-{today}.{extension}"


def file_stem(model):
    """What a file of `model`'s records is named: in English, whatever the admin's
    language, as slugify() keeps only ASCII letters."""
    with translation.override(settings.LANGUAGE_CODE):
        return slugify(model._meta.verbose_name_plural)


@admin.action(description=_("Export selected as fixture (JSON)"), permissions=("view",))
def export_fixture(modeladmin, request, queryset):
    """The selected records as a fixture to load into another installation."""
    chosen = set(queryset.values_list("pk", flat=True))
    records = collect({queryset.model: chosen}, queryset.db)
    hidden = [model for model in records if not can_view(modeladmin.admin_site, request, model)]
    if hidden:
        # The fixture would carry records this user is not allowed to see.
        names = ", ".join(str(model._meta.verbose_name_plural) for model in hidden)
        modeladmin.message_user(
            request,
            _(
                "Not exported: the fixture would include %(names)s, which you are not "
                "allowed to view."
            )
            % {"names": names},
            messages.ERROR,
        )
        return None
    # Written to a temporary file and streamed from it, so a large selection never sits in
    # memory as one string; the response closes (and so deletes) the file once it is sent.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        text = io.TextIOWrapper(output, encoding="utf-8", newline="")
        write_fixture(records, text, indent=2, using=queryset.db)
        text.flush()
        text.detach()
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=export_filename(queryset, chosen, "json"),
        content_type="application/json",
    )


def csv_value(value, field=None, boolean=False):
    """A changelist cell as plain text: choices by their label, dates in ISO 8601."""
    if value is None:
        return ""
    if field is not None and getattr(field, "flatchoices", None):
        return str(display_for_field(value, field, ""))
    if boolean or isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, SafeData):
        return strip_tags(value)
    return str(value)


def changelist_columns(modeladmin, request):
    """The names and headings of the changelist's columns, as the changelist shows them."""
    names = [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]
    headings = [
        capfirst(str(label_for_field(name, modeladmin.model, modeladmin))) for name in names
    ]
    return names, headings


def listed(modeladmin, queryset):
    """The records of `queryset`, a chunk at a time, each chunk given what the admin's
    columns show beside the records' own fields (`attach_to_rows`, as its changelist's
    pages are)."""
    attach = getattr(modeladmin, "attach_to_rows", None)
    records = queryset.iterator(chunk_size=CHUNK)
    if attach is None:
        yield from records
        return
    while chunk := list(itertools.islice(records, CHUNK)):
        attach(chunk)
        yield from chunk


def changelist_row(modeladmin, obj, names):
    cells = []
    for name in names:
        field, attr, value = lookup_field(name, obj, modeladmin)
        if field is not None and field.auto_created:
            field = None
        cells.append(csv_value(value, field, boolean=getattr(attr, "boolean", False)))
    return cells


@admin.action(description=_("Export selected as CSV"), permissions=("view",))
def export_csv(modeladmin, request, queryset):
    """The selected rows with the changelist's columns, streamed as they are read.

    The queryset is the changelist's own, so it selects and prefetches what the columns
    show, a chunk of rows at a time.
    """
    names, headings = changelist_columns(modeladmin, request)
    rows = (changelist_row(modeladmin, obj, names) for obj in listed(modeladmin, queryset))
    response = StreamingHttpResponse(
        csv_lines(headings, rows), content_type="text/csv; charset=utf-8"
    )
    filename = f"{file_stem(queryset.model)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
