"""A visit's derived data, defined once: its search text, its PostgreSQL search vector and
its rows of the event index (cooperation/eventindex.py).

What a visit's search text reads (`SearchReader`, `search_document`) and which visits
a changed record reaches (`visits_naming`) are written here and nowhere else: the write
path (cooperation/records/__init__.py) refreshes what a change reaches, the
`refresh_search` command and the synthetic-archive generator rebuild whole archives with
`rebuild_all`, and tests/test_search.py checks each relation against a real change.

The models never import this module: derived data follows the records, not the other way.
"""

import queue
import threading
from collections import defaultdict

from django.db import connections, reset_queries, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.expressions import RawSQL

from cooperation import eventindex, involvement
from cooperation.languages import fold, in_every_language
from cooperation.models import (
    Activity,
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
    ProgramCitation,
    ProgramSignatory,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Status,
    Topic,
    Workshop,
    WorkshopCitation,
    search_vector_of,
    texts,
)

# Visits are rebuilt this many at a time: one batch is a fixed handful of queries.
BATCH = 500


# The named paths that are a column of the visit itself, with that column: read with the
# visit's own row rather than asked on their own.
OWN_COLUMNS = {
    path: Delegation._meta.get_field(path).attname
    for paths in involvement.NAMED.values()
    for path in paths
    if "__" not in path and not Delegation._meta.get_field(path).many_to_many
}


class _Row:
    """A row read with `.values()`, its columns as attributes, so that `texts()` reads it
    as it reads a record."""

    def __init__(self, values):
        self.__dict__.update(values)


class SearchReader:
    """Reads what the search text of a batch of visits names (`search_document` below is
    the text's one definition), in a fixed number of queries per batch whatever it holds.

    The visit's own words and its activities' are read as rows; the organizations, people,
    places and topics it names are those it involves (involvement.NAMED), each path asked
    once per batch. Plain rows rather than model instances, so that rebuilding an archive
    of a million visits takes minutes, not hours; the records that many visits name are
    read once per reader and kept: a reader lives only as long as the transaction it reads
    in."""

    def __init__(self, using="default"):
        self.using = using
        self.programs = {}
        # Per kind of record named: {id: its texts}.
        self.names = {kind: {} for kind in involvement.NAMED}

    def documents(self, ids, run=False):
        """{visit id: search text} for those of the visits `ids` that exist.

        `run`: `ids` are every visit numbered from the first to the last (as rebuild_all
        reads them), asked as a range. Five hundred ids written into each of a batch's
        two dozen queries were a third of its time: psycopg parses a statement that
        long anew every time."""
        if run and ids:
            where = {"pk__gte": ids[0], "pk__lte": ids[-1]}
            in_batch = {"delegation__gte": ids[0], "delegation__lte": ids[-1]}
        else:
            where, in_batch = {"pk__in": ids}, {"delegation__in": ids}
        visits = self._rows(
            Delegation,
            where,
            ("title", "summary", "purpose"),
            "program_id",
            *OWN_COLUMNS.values(),
        )
        self.activities = defaultdict(list)
        # The first step of each path that leads nowhere in this batch (no meetings, say)
        # is not asked again: a single visit's refresh stays a handful of queries.
        empty = set()
        for name, model in (
            ("meetings", Meeting),
            ("workshops", Workshop),
            ("site_visits", SiteVisit),
        ):
            rows = self._rows(model, in_batch, ("title", "summary"), "delegation_id")
            for row in rows:
                self.activities[row.delegation_id].append(row)
            if not rows:
                empty.add(name)
        self.named = {}
        for kind, paths in involvement.NAMED.items():
            named = self.named[kind] = defaultdict(list)
            for path in paths:
                if path.split("__")[0] in empty:
                    continue
                if path in OWN_COLUMNS:
                    for visit in visits:
                        if getattr(visit, OWN_COLUMNS[path]) is not None:
                            named[visit.pk].append(getattr(visit, OWN_COLUMNS[path]))
                    continue
                pairs = self._plain(Delegation).filter(**where)
                pairs = pairs.filter(**{f"{path}__isnull": False}).order_by("pk", path)
                for visit, record in pairs.values_list("pk", path).distinct():
                    named[visit].append(record)
            self._read_names(kind, {record for records in named.values() for record in records})
        self._read(self.programs, CooperationProgram, [v.program_id for v in visits], "status")
        return {visit.pk: search_document(visit, self) for visit in visits}

    def _rows(self, model, where, translated, *columns):
        queryset = self._plain(model).filter(**where).order_by("pk")
        fields = ("pk", *in_every_language(*translated), *columns)
        return [_Row(values) for values in queryset.values(*fields)]

    def _plain(self, model):
        """Every row of `model`, as Django's own QuerySet reads them: the reader names each
        language's column itself, and the translation package's wrapping of every row read
        was a tenth of a batch's time."""
        return QuerySet(model=model, using=self.using)

    def _read(self, kept, model, ids, *columns):
        missing = {pk for pk in ids if pk is not None and pk not in kept}
        if missing:
            rows = self._rows(model, {"pk__in": missing}, ("title",), *columns)
            kept.update((row.pk, row) for row in rows)

    def _read_names(self, kind, ids):
        kept = self.names[kind]
        missing = ids - kept.keys()
        if not missing:
            return
        if kind == "person":
            people = self._plain(Person).filter(pk__in=missing)
            kept.update((pk, [name]) for pk, name in people.values_list("pk", "name"))
            spellings = self._plain(PersonName).filter(person__in=missing)
            for person, name in spellings.order_by("pk").values_list("person_id", "name"):
                kept[person].append(name)
            return
        model, fields = NAMES[kind]
        for row in self._rows(model, {"pk__in": missing}, fields):
            kept[row.pk] = texts(row, *fields)


# The words each kind of named record adds to a visit's search text (people: every
# spelling of their name).
NAMES = {
    "organization": (Organization, ("name", "short_name")),
    "place": (Place, ("name",)),
    "topic": (Topic, ("name",)),
    "occasion": (Occasion, ("name",)),
}


def search_document(visit, read):
    """The text search matches for `visit`, a row of `read` (a SearchReader): its words,
    its activities' words, its programme's title, and the names of the organizations,
    people, places and topics it involves, in every language they are kept in and every
    spelling of the people's names, folded (languages.fold). The same whatever language is
    active when it is rebuilt."""
    parts = texts(visit, "title", "summary", "purpose")
    for activity in read.activities[visit.pk]:
        parts += texts(activity, "title", "summary")
    program = read.programs.get(visit.program_id)
    if program and program.status == Status.PUBLISHED:
        parts += texts(program, "title")
    for kind, named in read.named.items():
        for record in named[visit.pk]:
            parts += read.names[kind][record]
    return fold(" ".join(dict.fromkeys(part for part in parts if part)))


def search_documents(ids, using="default"):
    """{visit id: search text} for the visits `ids`, as the write path would store them."""
    return SearchReader(using).documents(sorted(set(ids)))


def visits_reached_by(record, using="default"):
    """The visits whose search text, index rows or public page show `record`: a queryset."""
    visits = Delegation.objects.using(using)
    if isinstance(record, Delegation):
        return visits.filter(pk=record.pk)
    if isinstance(record, (Activity, DelegationMember, DelegationCitation, Signing)):
        return visits.filter(pk=record.delegation_id)
    if isinstance(record, MeetingParticipant):
        return visits.filter(meetings=record.meeting_id)
    if isinstance(record, (MeetingCitation, WorkshopCitation, SiteVisitCitation)):
        activity = type(record)._meta.get_field("activity").related_model
        return visits.filter(
            pk__in=activity._default_manager.filter(pk=record.activity_id).values("delegation")
        )
    if isinstance(record, (Person, PersonName)):
        person = record.person_id if isinstance(record, PersonName) else record.pk
        return visits.involving("person", person)
    if isinstance(record, Organization):
        return visits.involving("organization", record)
    if isinstance(record, Place):
        return visits.involving("place", record)
    if isinstance(record, Topic):
        return visits.involving("topic", record)
    if isinstance(record, Occasion):
        return visits.involving("occasion", record)
    if isinstance(record, CooperationProgram):
        # The visits carrying it out, and the one it was signed during (whose page names it).
        return visits.filter(Q(program=record) | Q(signings__instrument=record))
    if isinstance(record, Source):
        return visits.filter(
            Q(sources=record)
            | Q(meetings__sources=record)
            | Q(workshops__sources=record)
            | Q(site_visits__sources=record)
        )
    return visits.none()


def programs_reached_by(record, using="default"):
    """The programmes whose public page shows `record`: a queryset."""
    programs = CooperationProgram.objects.using(using)
    if isinstance(record, CooperationProgram):
        return programs.filter(pk=record.pk)
    if isinstance(record, (ProgramSignatory, ProgramCitation)):
        return programs.filter(pk=record.program_id)
    if isinstance(record, Organization):
        return programs.filter(Q(parties=record) | Q(signatories__organization=record))
    if isinstance(record, (Person, PersonName)):
        person = record.person_id if isinstance(record, PersonName) else record.pk
        return programs.filter(signatories__person=person)
    if isinstance(record, Place):
        return programs.filter(signed_at=record)
    if isinstance(record, Topic):
        return programs.filter(topics=record)
    if isinstance(record, Source):
        return programs.filter(sources=record)
    if isinstance(record, Delegation):
        return programs.filter(Q(pk=record.program_id) | Q(signing__delegation=record))
    if isinstance(record, Signing):
        return programs.filter(pk=record.instrument_id)
    if isinstance(record, Meeting):
        return programs.filter(signing__meeting=record)
    return programs.none()


def visits_naming(*records, using="default"):
    """Ids of the visits that any of `records` reaches."""
    ids = set()
    for record in records:
        ids.update(visits_reached_by(record, using).values_list("pk", flat=True))
    return ids


def refresh(ids, using="default", batch_size=BATCH):
    """Rebuild the search text, the search vector and the event-index rows of the visits
    `ids` (any of which may be unpublished or deleted). Returns how many were rebuilt.

    Whether the public pages changed is the write path's question: this marks nothing
    stale by itself."""
    ids = sorted(set(ids))
    with transaction.atomic(using=using):
        reader = SearchReader(using)
        for start in range(0, len(ids), batch_size):
            _write_texts(reader.documents(ids[start : start + batch_size]), using)
        eventindex.refresh(ids, using)
    return Delegation.objects.using(using).filter(pk__in=ids).count()


def rebuild_all(using="default", after=None, batch_size=BATCH, beside=False):
    """Rebuild every visit's derived data, or that of the visits numbered above `after`
    (the rows a bulk load just added): search text and vector batch by batch, the event
    index in one statement. Returns the number of visits rebuilt.

    `beside`: on PostgreSQL, outside a transaction, the texts are read here and written by
    a second thread while a third rebuilds the event index: reading the records is
    Python's work, writing and indexing PostgreSQL's, so both cores stay busy and the
    whole takes about as long as the reading. Each thread has its own connection and
    commits on its own, so a failure half-way leaves part of the work done (derived data:
    running it again mends it). A bulk load's choice (generate_records); inside a
    transaction the threads could not see the rows, so all is then done here, in order."""
    connection = connections[using]
    beside = beside and connection.vendor == "postgresql" and not connection.in_atomic_block
    index = writer = None
    if beside:
        index = _Beside(lambda _, using: eventindex.rebuild(using, after=after), using)
        index.put(None)
        writer = _Beside(_write_texts, using)
    visits = Delegation.objects.using(using).order_by("pk")
    if after is not None:
        visits = visits.filter(pk__gt=after)
    rebuilt = 0
    try:
        with transaction.atomic(using=using):
            reader = SearchReader(using)
            last = after
            while True:
                page = visits if last is None else visits.filter(pk__gt=last)
                chunk = list(page.values_list("pk", flat=True)[:batch_size])
                if not chunk:
                    break
                documents = reader.documents(chunk, run=True)
                if writer is None:
                    _write_texts(documents, using)
                else:
                    writer.put(documents)
                rebuilt += len(chunk)
                last = chunk[-1]
            if index is None:
                eventindex.rebuild(using, after=after)
    finally:
        for thread in (writer, index):
            if thread is not None:
                thread.finish()
    return rebuilt


_DONE = object()


class _Beside(threading.Thread):
    """Work done on a thread of its own, and so on a connection and in transactions of its
    own (Django's connections are per thread): `function(item, using)` for each item
    `put`, in order. `finish()` waits for the last and raises what any of them raised;
    after an error the rest are skipped."""

    def __init__(self, function, using):
        super().__init__(daemon=True)
        self.function, self.using = function, using
        # The reader stays at most two batches ahead of the writer.
        self.queue = queue.Queue(maxsize=2)
        self.error = None
        self.start()

    def run(self):
        try:
            while (item := self.queue.get()) is not _DONE:
                if self.error is None:
                    try:
                        self.function(item, self.using)
                    except BaseException as error:  # handed to the thread that waits
                        self.error = error
                # With DEBUG on (the generator's), Django keeps the SQL of this thread's
                # last 9,000 queries: a batch's texts are a megabyte of it.
                reset_queries()
        finally:
            connections[self.using].close()

    def put(self, item):
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def finish(self):
        self.queue.put(_DONE)
        self.join()
        if self.error is not None:
            raise self.error


def _write_texts(documents, using):
    """Store `documents` ({visit id: search text}) and, on PostgreSQL, the vectors read
    from them."""
    connection = connections[using]
    table = connection.ops.quote_name(Delegation._meta.db_table)
    pk = connection.ops.quote_name(Delegation._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The text and the vector read from it in one statement: written one after the
            # other, every row was written twice, and the second write took twice as long
            # as working out the vectors.
            vector, params = _vector_of_new_text(using)
            cursor.execute(
                f"UPDATE {table} SET search_text = new.text, search_vector = {vector} "
                f"FROM unnest(%s::bigint[], %s::text[]) AS new (id, text) "
                f"WHERE {table}.{pk} = new.id",
                [*params, list(documents), list(documents.values())],
            )
        else:
            # One statement run for many rows: Django's bulk_update would build a CASE of
            # 500 branches, slower than reading the batch.
            cursor.executemany(
                f"UPDATE {table} SET search_text = %s WHERE {pk} = %s",
                [(text, pk) for pk, text in documents.items()],
            )


def _vector_of_new_text(using):
    """The SQL of the search vector (models.search_vector_of, its one definition) of a
    visit whose search text is `new.text`, with its parameters."""
    query = Delegation.objects.using(using).all().query
    text = RawSQL("new.text", (), output_field=TextField())
    expression = search_vector_of(text).resolve_expression(query)
    return query.get_compiler(using).compile(expression)
