"""Writing batches of generated rows fast: COPY on PostgreSQL (from writer threads while the
next batch is drawn), bulk_create elsewhere, and secondary indexes set aside while the
tables fill from empty.

Bulk writes run no model code: the rows are the records alone. What is derived from them
(search text, search vector, event index) is built afterwards by
cooperation/records/derived.py, the one definition the site uses too.
"""

import queue
import threading
from collections import Counter

from django.core.management.base import CommandError
from django.db import connection, reset_queries, transaction
from django.db.models import NOT_PROVIDED, Max

from cooperation import registry_version
from cooperation.languages import DEFAULT, language_columns
from cooperation.models import (
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingParticipant,
    SiteVisit,
    Workshop,
)

# The columns each generated row fills, in order (attribute names). Rows that other new rows
# refer to carry their id; the others get theirs from the database.
COLUMNS = {
    Delegation: (
        "id", "slug", "title", "sending_organization_id", "host_organization_id", "program_id",
        "visit_type", "start_date", "end_date", "date_basis", "location_id", "purpose",
        "summary", "status", "published_at", "created_at", "updated_at", "search_text",
        "host_absent", "occasion_id",
    ),
    Meeting: (
        "id", "delegation_id", "slug", "title", "date", "order", "summary", "place_id",
        "online", "host_organization_id", "created_at", "updated_at",
    ),
    Workshop: (
        "id", "delegation_id", "slug", "title", "date", "order", "summary", "place_id",
        "online", "created_at", "updated_at",
    ),
    SiteVisit: (
        "delegation_id", "slug", "title", "date", "order", "summary", "place_id",
        "created_at", "updated_at",
    ),
    MeetingParticipant: (
        "meeting_id", "person_id", "organization_id", "side", "role", "order",
        "created_at", "updated_at",
    ),
    Workshop.topics.through: ("workshop_id", "topic_id"),
    DelegationMember: (
        "delegation_id", "person_id", "role", "is_head", "order", "created_at",
        "updated_at",
    ),
    DelegationCitation: (
        "delegation_id", "source_id", "quotation", "order", "created_at", "updated_at",
    ),
}  # fmt: skip


def empty_batch():
    return {model: [] for model in COLUMNS}


def check_columns():
    """Stop before writing anything when a model has a required field this command does not
    fill (a field added since it was written): COPY would fail on it half-way."""
    for model, columns in COLUMNS.items():
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        missing = [
            name
            for name, f in fields.items()
            if name not in columns
            and not (f.null or f.primary_key)  # the database fills in an id
            and f.db_default is NOT_PROVIDED
        ]
        if unknown or missing:
            raise CommandError(
                f"generate_records is out of date with {model.__name__}: "
                f"unknown columns {sorted(unknown)}, required columns not filled {missing}."
            )


class Ids:
    """Primary keys for new delegations, meetings and workshops, which other new rows refer
    to, reserved from the database a block at a time. (Rows that nothing refers to get
    theirs from the database as they go in.)

    On PostgreSQL they come from the tables' own sequences, so rows added later (through
    the admin) do not collide. Elsewhere they follow the highest id in the table: a
    development database has no concurrent writer.
    """

    def __init__(self, delegations):
        # A block lasts about a batch.
        self.block = {Delegation: delegations, Meeting: 3 * delegations, Workshop: 2 * delegations}
        self.pending = {model: iter(()) for model in self.block}
        self.last = {}

    def __call__(self, model):
        pk = next(self.pending[model], None)
        if pk is None:
            self.pending[model] = iter(self.reserve(model, self.block[model]))
            pk = next(self.pending[model])
        return pk

    def reserve(self, model, count):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s)::regclass)) "
                    "FROM generate_series(1, %s)",
                    [model._meta.db_table, model._meta.pk.column, count],
                )
                return cursor.fetchone()[0]
        if model not in self.last:
            self.last[model] = model._base_manager.aggregate(last=Max("pk"))["last"] or 0
        first = self.last[model] + 1
        self.last[model] += count
        return range(first, first + count)


# --- Writing a batch -----------------------------------------------------------------------


def write_batch(batch):
    """Write one batch of rows in one transaction; return the rows written per model.

    On PostgreSQL the rows go in with COPY: bulk_create spends most of its time preparing
    each field of each row in Python, and was three times slower here. Elsewhere rows go
    in with bulk_create.
    """
    counts = Counter()
    copy = uses_copy()
    with transaction.atomic():
        if copy:
            with connection.cursor() as cursor:
                # Losing the last batches in a crash costs nothing here; waiting for each
                # commit to reach the disk would.
                cursor.execute("SET LOCAL synchronous_commit = off")
        for model, rows in batch.items():
            if not rows:
                continue
            if copy:
                copy_rows(model, rows)
            else:
                columns = COLUMNS[model]
                model._base_manager.bulk_create(
                    [model(**dict(zip(columns, row, strict=True))) for row in rows]
                )
            counts[model.__name__] += len(rows)
    # Rows written without save() send no signal: tell the page cache itself (after the
    # commit, so that concurrent writers do not queue on the counter's row).
    registry_version.bump()
    # With DEBUG on, Django keeps the SQL of every query: memory would grow with N.
    reset_queries()
    return counts


def uses_copy():
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3  # psycopg2's COPY reads a file, not rows


def language_copies(model):
    """The language columns a COPY of `model`'s rows fills besides COLUMNS: (column, the
    position in a row of the English text it copies, or None for "" in other languages).

    The generated words are English; the other languages start empty, as the models'
    defaults leave them (bulk_create gets both from the models themselves).
    """
    names = COLUMNS[model]
    return [
        (field.attname, names.index(original) if field.language == DEFAULT else None)
        for field in language_columns(model)
        if (original := field.translated_field.name) in names
    ]


def copy_rows(model, rows):
    quote = connection.ops.quote_name
    extra = language_copies(model)
    names = [*COLUMNS[model], *(name for name, _ in extra)]
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    copies = [position for _, position in extra]
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *("" if at is None else row[at] for at in copies)))


class Writes:
    """Where batches go: written at once, or handed to writer threads.

    On PostgreSQL, outside a transaction, `count` threads write batches (each thread with
    its own connection, each batch in its own transaction) while the main thread draws the
    next one. Writing (PostgreSQL's work) takes several times as long as drawing, so two
    writers keep two cores busy. Batches are independent (their ids are reserved
    beforehand and they refer only to the world and to themselves), so they may commit in
    any order.
    """

    def __init__(self, report):
        self.report = report  # called with the number of delegations committed so far
        self.done = 0
        self.counts = Counter()

    @classmethod
    def start(cls, count, report):
        if count and connection.vendor == "postgresql" and not connection.in_atomic_block:
            return ThreadedWrites(count, report)
        return cls(report)

    def put(self, batch):
        self.record(write_batch(batch))

    def record(self, counts):
        self.counts.update(counts)
        self.done += counts["Delegation"]
        self.report(self.done)

    def close(self):
        pass


class ThreadedWrites(Writes):
    def __init__(self, count, report):
        super().__init__(report)
        # One batch waits while the threads write theirs: memory holds count + 2 batches.
        self.queue = queue.Queue(maxsize=1)
        self.lock = threading.Lock()
        self.error = None
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def work(self):
        try:
            while (batch := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # keep taking batches, so that put() never blocks for good
                try:
                    counts = write_batch(batch)
                except BaseException as error:  # handed to the main thread
                    self.error = error
                    continue
                with self.lock:
                    self.record(counts)
        finally:
            connection.close()  # this thread's own connection

    def put(self, batch):
        self.raise_error()
        self.queue.put(batch)

    def close(self):
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        self.raise_error()

    def raise_error(self):
        if self.error is not None:
            raise self.error


# --- Indexes -------------------------------------------------------------------------------


class IndexesSetAside:
    """On PostgreSQL, when the tables written start empty: their secondary indexes dropped
    for the load and made again after it.

    Maintaining a dozen btree indexes and the GIN index of the search vector row by row is
    most of a load's time; building each once over the loaded rows is several times faster.
    Primary keys and the indexes behind constraints (unique slugs) stay, so a load still
    refuses what it always refused. The definitions are PostgreSQL's own
    (pg_get_indexdef), so the indexes come back exactly as the migrations made them.
    The caller restores them in a `finally`: an error or Ctrl-C half-way still leaves
    every index in place.
    """

    QUERY = """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
    """

    def __init__(self, definitions):
        self.definitions = definitions  # model -> [(name, definition)]

    @classmethod
    def for_empty_tables(cls):
        definitions = {}
        if connection.vendor == "postgresql" and not any(
            model._base_manager.exists() for model in COLUMNS
        ):
            with connection.cursor() as cursor:
                for model in COLUMNS:
                    cursor.execute(cls.QUERY, [model._meta.db_table])
                    definitions[model] = cursor.fetchall()
                    for name, _ in definitions[model]:
                        cursor.execute(f"DROP INDEX {name}")
        return cls(definitions)

    def count(self, models=None):
        return sum(len(self.definitions[model]) for model in self.pending(models))

    def pending(self, models=None):
        return [model for model in self.definitions if models is None or model in models]

    def restore(self, models=None):
        """Make the indexes of `models` (by default all that are still set aside) again."""
        models = self.pending(models)
        if not models:
            return
        # Inside a transaction (a test's), foreign keys checked at commit would leave
        # trigger events pending, which CREATE INDEX refuses: check them now.
        connection.check_constraints()
        with connection.cursor() as cursor:
            for model in models:
                for _, definition in self.definitions.pop(model):
                    cursor.execute(definition)
                cursor.execute(f"ANALYZE {model._meta.db_table}")
