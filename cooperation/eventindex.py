"""The event index: what each published visit concerns, one row per (visit, term).

A term names one thing a visit involves, as cooperation/involvement.py defines it: a
filter's prefix and a value. `o:<id>` an organization, `p:<id>` a person, `c:<code>` a
country on any side, `f:<code>` the sending side's country, `h:<code>` the host side's,
`l:<id>` a place (with every place holding it: Baku's visits are Azerbaijan's), `t:<id>` a
topic (with every broader topic), `g:<id>` its programme, `v:<type>` its type of visit.
Three more say when and which way, for counting rather than filtering (cooperation/facets.py):
`y:2023` the year it began, `m:2023-12` the month, `d:RU>AZ` the sending side's country and
the host side's, where both are known.

Why: those filters follow to-many paths (meetings, participants, activities' topics) or trees
(places, topics). At a million visits, answering "the 20 newest visits involving X" and
"how many" by walking visits and probing those paths costs hundreds of milliseconds. Each
row here carries the visit's date, and the index on (term, start_date, delegation) holds
every term's visits in date order: a page, a capped count or a facet sample is a short
range scan of that index alone, whatever the size of the archive. Several terms are
answered by walking the rarest and probing the (delegation, term) index for the rest.

Only published visits have rows, so the index never names a draft; pages still read the
visits themselves through `.published()`.

Beside the rows, each published visit has one row listing all its terms (`EventTermList`,
written from its rows whenever they are): counting the terms of a few hundred sampled
visits reads a row per visit instead of each one's twenty-five (cooperation/facets.py).

Derived data like the search text: cooperation/records/derived.py rebuilds a visit's rows
wherever its search text is rebuilt (every write through cooperation/records/, the
refresh_search command, a restore, the synthetic-archive generator), and deleting a visit
deletes them. The rows are written by one INSERT … SELECT that Django compiles from the
involvement paths, on SQLite and PostgreSQL alike; tests/test_eventindex.py checks them
against `Delegation.objects.involving()`.
"""

import collections
import functools

from django.db import connections, models, router, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat, ExtractMonth, ExtractYear, LPad

from . import involvement, registry_version
from .models import Delegation, EventTerm, EventTermCount, EventTermList, Status

TABLE = EventTerm._meta.db_table
COUNT_TABLE = EventTermCount._meta.db_table
LIST_TABLE = EventTermList._meta.db_table

# Each visit's sample slot, 0 to SLOTS - 1: its id times SLOT_FACTOR, modulo SLOTS. The
# visits of a large result set whose slot is below some number are an even sample of it
# whatever the order of the list (cooperation/facets.py): the factor, near SLOTS divided by
# the golden ratio and odd, spreads consecutive ids over the slots, so the ids of one slot
# range follow one another at nearly equal gaps.
SLOTS = 1024
SLOT_FACTOR = 633
SLOT = f"((delegation_id * {SLOT_FACTOR}) % {SLOTS})"

# Created by migrations 0006, 0023 and 0025. Three indexes: (delegation, term), one row per
# pair, for rebuilding a visit's rows, probing a second term and counting one kind of term
# among chosen visits (cooperation/facets.py); (term, start_date, delegation), a term's
# visits in date order; (term, sample slot, delegation), a term's sample, the visits of the
# lowest slots, as a short range of its rows (a modulo scan of every row of a term of
# 40,000 visits took 9 ms). All are dropped while a whole archive's rows are written and
# made again after, which is several times faster than keeping them up to date.
CREATE_TABLE = f"""
CREATE TABLE {TABLE} (
    delegation_id bigint NOT NULL,
    term varchar(40) NOT NULL,
    start_date date NOT NULL
)
"""
INDEXES = {
    "event_term_unique": f"CREATE UNIQUE INDEX event_term_unique ON {TABLE} (delegation_id, term)",
    "event_term_order": f"CREATE INDEX event_term_order ON {TABLE} "
    "(term, start_date, delegation_id)",
    "event_term_sample": f"CREATE INDEX event_term_sample ON {TABLE} (term, {SLOT}, delegation_id)",
}
# How PostgreSQL's differ. The sample index includes the date a range of dates filters on,
# read from the index alone (SQLite has no INCLUDE). The unique index compares terms byte by
# byte (varchar_pattern_ops), so that one kind of term, `LIKE 'o:%'`, is a range of a
# visit's rows rather than a test of each: under the database's collation it was a filter,
# and the organizations of a country's 654 sampled visits at a million visits read 16,247
# rows for 1,711 (5.6 ms; 3.5 ms as a range). Equality, all the other uses ask of it, works
# the same under either. (Migration 0026 added a fourth, of the rows the pictures count;
# 0028 dropped it when their counts moved to the lists below.)
POSTGRESQL = {
    "event_term_unique": f"CREATE UNIQUE INDEX event_term_unique ON {TABLE} "
    "(delegation_id, term varchar_pattern_ops)",
    "event_term_sample": INDEXES["event_term_sample"] + " INCLUDE (start_date)",
}


def index_statements(vendor):
    """{name: CREATE INDEX statement} of the event index's indexes on database `vendor`."""
    if vendor == "postgresql":
        return {**INDEXES, **POSTGRESQL}
    return dict(INDEXES)


# Each term's number of visits (EventTermCount), kept as rows come and go.
CREATE_COUNT_TABLE = f"""
CREATE TABLE {COUNT_TABLE} (
    term varchar(40) NOT NULL PRIMARY KEY,
    events integer NOT NULL
)
"""
COUNT_ALL = (
    f"INSERT INTO {COUNT_TABLE} (term, events) SELECT term, COUNT(*) FROM {TABLE} GROUP BY term"
)
# An upsert both SQLite (3.24+) and PostgreSQL read the same way.
ADD_TO_COUNT = f"""
INSERT INTO {COUNT_TABLE} (term, events) VALUES (%s, %s)
ON CONFLICT (term) DO UPDATE SET events = {COUNT_TABLE}.events + excluded.events
"""

# Each published visit's terms in one text, separated by spaces (no term holds one), kept
# beside its rows (EventTermList): a facet's counts over a sample of 600 visits read 600
# rows of this table instead of 15,000 of the index, each visit's a probe of the
# (delegation, term) index (cooperation/facets.py). At a million visits a person's 610
# sampled visits, read and counted: 5.3 → 3.3 ms.
CREATE_LIST_TABLE = f"""
CREATE TABLE {LIST_TABLE} (
    delegation_id bigint NOT NULL PRIMARY KEY,
    terms text NOT NULL
)
"""


def _listing(vendor, where=""):
    """The statement writing the lists of the visits whose rows `where` selects, each list's
    terms in byte order: the same rows always give the same text, however they were read
    (a whole build reads them in index order, an append or a refresh in any)."""
    if vendor == "postgresql":
        joined = "string_agg(term, ' ' ORDER BY term COLLATE \"C\")"
        rows = f"{TABLE} {where}"
    else:
        # SQLite before 3.44 has no ORDER BY in an aggregate: the rows come ordered from a
        # subquery, which it does not flatten into an aggregate query.
        joined = "group_concat(term, ' ')"
        rows = f"(SELECT delegation_id, term FROM {TABLE} {where} ORDER BY delegation_id, term)"
    return (
        f"INSERT INTO {LIST_TABLE} (delegation_id, terms) "
        f"SELECT delegation_id, {joined} FROM {rows} GROUP BY delegation_id"
    )


def _rows(visits):
    """A queryset of (visit, term, date) for each published visit of `visits` and each
    thing it involves, as involvement.KINDS defines it: one SELECT per path, joined
    with UNION ALL."""
    published = visits.filter(status=Status.PUBLISHED).order_by()
    parts = []
    for prefix, paths in involvement.KINDS.values():
        for path in paths:
            value = Cast(F(path), models.CharField())
            present = {f"{path}__isnull": False}
            if not involvement.names_a_record(Delegation, path):
                # A code (a country, a type of visit): an empty one names nothing. Asked of
                # each row in the same filter() (so the same join): exclude() would drop the
                # visit if any of its participants had no country.
                present[f"{path}__gt"] = ""
            rows = published.filter(**present)
            parts.append(
                rows.values(
                    row_visit=F("pk"),
                    row_term=Concat(Value(prefix + ":"), value, output_field=models.CharField()),
                    row_date=F("start_date"),
                )
            )
    for prefix, (value, present) in COUNTED.items():
        parts.append(
            published.filter(**present).values(
                row_visit=F("pk"),
                row_term=Concat(Value(prefix + ":"), value(), output_field=models.CharField()),
                row_date=F("start_date"),
            )
        )
    first, *others = parts
    return first.union(*others, all=True)


def _text(expression):
    return Cast(expression, models.CharField())


# Terms no filter names but the counts read (cooperation/facets.py): a prefix, the value as an
# SQL expression of the visit, and what must be present for a visit to have one.
COUNTED = {
    "y": (lambda: _text(ExtractYear("start_date")), {}),
    "m": (
        lambda: Concat(
            _text(ExtractYear("start_date")),
            Value("-"),
            LPad(_text(ExtractMonth("start_date")), 2, Value("0")),
            output_field=models.CharField(),
        ),
        {},
    ),
    "d": (
        lambda: Concat(
            F("sending_organization__country"),
            Value(">"),
            F("host_organization__country"),
            output_field=models.CharField(),
        ),
        {"sending_organization__country__gt": "", "host_organization__country__gt": ""},
    ),
}


# A visit at a time would be one statement per visit; a whole archive at once, one huge
# statement. Refreshes go by this many visits.
CHUNK = 500


# The filters the index answers, with the prefix of their terms.
PREFIXES = {name: prefix for name, (prefix, paths) in involvement.KINDS.items()}


def term(name, value):
    """The term for `value` of the filter `name`: a record by its id, a code as it is."""
    key = value.pk if isinstance(value, models.Model) else value
    return f"{PREFIXES[name]}:{key}"


def term_of(name, record=None):
    """The term of filter `name` as an SQL expression of `record` (by default the outer
    query's row, OuterRef("pk")), for reading the counts in a subquery."""
    record = OuterRef("pk") if record is None else record
    return Concat(Value(f"{PREFIXES[name]}:"), Cast(record, models.CharField()))


def having_visits(queryset, name):
    """The records of `queryset` that some published visit concerns through filter `name`:
    one primary-key probe of the counts per record."""
    return queryset.filter(Exists(EventTermCount.objects.filter(term=term_of(name))))


def build(cursor, visits, in_order=False):
    """Write the rows of the published visits of `visits` (a queryset).

    `in_order`: on PostgreSQL, written in the order of the (delegation, term) index, as a
    whole rebuild writes them (see _in_order)."""
    sql, params = _rows(visits.using(cursor.db.alias)).query.sql_with_params()
    if in_order and cursor.db.vendor == "postgresql":
        cursor.execute("SET LOCAL enable_hashagg = off")
        cursor.execute(_in_order(sql), params)
        written = cursor.rowcount
        cursor.execute("RESET enable_hashagg")
        return written
    cursor.execute(_inserting(sql), params)
    return cursor.rowcount


def _inserting(sql):
    """The statement writing the rows `sql` (a _rows() query) selects."""
    return (
        f"INSERT INTO {TABLE} (delegation_id, term, start_date) "
        f"SELECT DISTINCT row_visit, row_term, row_date FROM ({sql}) rows"
    )


def _in_order(sql):
    """_inserting() for a whole archive on PostgreSQL: the rows sorted by visit and then term
    byte by byte, the duplicates dropped in the same sort (hash aggregation, which the
    planner prefers, is turned off for it), so that the table holds each visit's rows
    together and in the order of the (delegation, term) index.

    At a million visits (22 million rows from 37 million selected), rebuilt alone into
    empty tables, the statement took 91 s instead of 97 s, and what follows it reads rows
    in that order: the (delegation, term) index was made in 5 s instead of 10 s, and the
    lists (_listing), read through it, in 8 s instead of 43 s (an index scan visiting the
    table's pages at random before); the whole rebuild 173 s instead of 215 s."""
    return (
        f"INSERT INTO {TABLE} (delegation_id, term, start_date) "
        f'SELECT row_visit, row_term COLLATE "C", row_date FROM ({sql}) rows '
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )


def _build_visits(cursor, ids):
    """build() for the visits `ids`, from a statement kept per database and number of ids."""
    statement = _rows_statement(cursor.db.alias, len(ids))
    if statement is None:
        return build(cursor, Delegation.objects.filter(pk__in=ids))
    sql, params, slots = statement
    cursor.execute(sql, [ids[slots[p]] if type(p) is int and p in slots else p for p in params])
    return cursor.rowcount


# Stand-ins for the ids of a kept statement's visits: negative, which no visit's id is, and
# no other value of the statement is.
_FIRST_MARK = -1_000_000_001


@functools.lru_cache(maxsize=16)
def _rows_statement(alias, count):
    """(SQL, values, {stand-in: position}) of build() for `count` visits, their ids to be
    put in place of the stand-ins; None if the stand-ins are not found where the ids go.

    Kept per process: Django building and writing the union of every kind's paths (70
    SELECTs) took 0.24 s of each refresh, nearly all of a visit's save, for a statement
    that differs only in its ids."""
    marks = [_FIRST_MARK - i for i in range(count)]
    query = _rows(Delegation.objects.using(alias).filter(pk__in=marks)).query
    sql, params = query.get_compiler(using=alias).as_sql()
    slots = {mark: i for i, mark in enumerate(marks)}
    # Each stand-in as many times as the others: once in each SELECT of the union.
    found = collections.Counter(p for p in params if type(p) is int and p in slots)
    if len(found) != count or len(set(found.values())) != 1:
        return None
    return _inserting(sql), tuple(params), slots


def refresh(ids, using="default"):
    """Rebuild the rows of the visits `ids` (any of which may be unpublished or deleted)."""
    _rewrite(ids, using, rebuild_rows=True)


def forget(ids, using="default"):
    """Remove the rows of the visits `ids`, about to be deleted, and count them out."""
    _rewrite(ids, using, rebuild_rows=False)


def _rewrite(ids, using, rebuild_rows):
    ids = sorted(set(ids))
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if rebuild_rows:
            _without_jit(cursor)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            before = _terms_of(cursor, marks, chunk)
            cursor.execute(f"DELETE FROM {TABLE} WHERE delegation_id IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM {LIST_TABLE} WHERE delegation_id IN ({marks})", chunk)
            after = {}
            if rebuild_rows:
                _build_visits(cursor, chunk)
                after = _terms_of(cursor, marks, chunk)
                where = f"WHERE delegation_id IN ({marks})"
                cursor.execute(_listing(cursor.db.vendor, where), chunk)
            _add_to_counts(cursor, {t: after.get(t, 0) - before.get(t, 0) for t in before | after})


def _without_jit(cursor):
    """On PostgreSQL, no JIT compiling of plans for the rest of the refresh's transaction
    (a change of the records: cooperation/records/, whose other statements are small writes
    that JIT never pays for).

    A refresh reads a few visits, but its statement is a union of 70 SELECTs: planned from
    statistics that do not yet know how small the tables are (a new database, or one just
    emptied), its cost passed the JIT thresholds, and compiling its 4,700 functions took
    12-30 s of a single visit's save."""
    if cursor.db.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


def _terms_of(cursor, marks, chunk):
    cursor.execute(
        f"SELECT term, COUNT(*) FROM {TABLE} WHERE delegation_id IN ({marks}) GROUP BY term",
        chunk,
    )
    return dict(cursor.fetchall())


def _add_to_counts(cursor, changes):
    # In term order, so two saves counting the same terms take their row locks in the same
    # order and cannot deadlock.
    changes = sorted((term, change) for term, change in changes.items() if change)
    if changes:
        cursor.executemany(ADD_TO_COUNT, changes)
    gone = [(term,) for term, change in changes if change < 0]
    if gone:
        cursor.executemany(f"DELETE FROM {COUNT_TABLE} WHERE term = %s AND events <= 0", gone)


def forget_deleted_visit(sender, instance, using="default", **kwargs):
    """pre_delete of a visit: Django's collector then deletes its index rows by key, and
    only here is there still something to count them out with."""
    forget([instance.pk], using)


def forget_when_empty(using="default", **kwargs):
    """After `flush` (which empties the tables Django manages, not this one), and after any
    migrate: with no visit left, no row of the index may stay behind to be read as a new
    visit's."""
    connection = connections[using]
    if not Delegation.objects.using(using).exists():
        # Either table may not exist yet (or any more) when migrating to an earlier state.
        existing = set(connection.introspection.table_names())
        with connection.cursor() as cursor:
            for table in (TABLE, COUNT_TABLE, LIST_TABLE):
                if table in existing:
                    cursor.execute(f"DELETE FROM {table}")


def rebuild(using="default", after=None):
    """Rebuild every row, or the rows of the visits numbered above `after` (new ones), and
    count each term's visits again.

    Returns the number of rows written.
    """
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        visits = Delegation.objects.all()
        newer = "" if after is None else "WHERE delegation_id > %s"
        newer_params = [] if after is None else [after]
        cursor.execute(f"DELETE FROM {TABLE} {newer}", newer_params)
        cursor.execute(f"DELETE FROM {LIST_TABLE} {newer}", newer_params)
        if after is not None:
            visits = visits.filter(pk__gt=after)
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        empty = cursor.fetchone() is None
        indexes = index_statements(connection.vendor)
        if empty:
            for name in indexes:
                cursor.execute(f"DROP INDEX {name}")
        if connection.vendor == "postgresql":
            # The INSERT … SELECT is planned from the tables' statistics, which a bulk load
            # (generate_records, a restore) may have left empty or stale: planned blind, it
            # ran past the two-minute statement timeout on 3,000 generated visits. A whole
            # rebuild can afford the few seconds of sampling every table.
            cursor.execute("ANALYZE")
        written = build(cursor, visits, in_order=True)
        if empty:
            for statement in indexes.values():
                cursor.execute(statement)
        # Each visit's rows are together in the (delegation, term) index just made.
        cursor.execute(_listing(connection.vendor, newer), newer_params)
        # Counted again whole: one GROUP BY over the index (1.6 s at a million visits).
        cursor.execute(f"DELETE FROM {COUNT_TABLE}")
        cursor.execute(COUNT_ALL)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")
            cursor.execute(f"ANALYZE {LIST_TABLE}")
    registry_version.bump(using)
    return written


def matching(terms, using=None, date_from=None, date_to=None, oldest_first=False):
    """Ids of the published visits with every one of `terms`, newest (or oldest) first,
    optionally between two dates: a queryset read from the index alone (by default from the
    database the request reads, a replica for an anonymous page: cooperation/routers.py).

    The rarest term drives the scan (its rows come in date order straight from the index);
    each other term is one probe of the (delegation, term) index per row.
    """
    using = using or router.db_for_read(EventTerm)
    terms = list(dict.fromkeys(terms))
    if len(terms) > 1:
        terms.sort(key=lambda term: capped_count(term, using))
    first, *others = terms
    rows = EventTerm.objects.using(using).filter(term=first)
    for other in others:
        rows = rows.filter(
            Exists(EventTerm.objects.filter(delegation=OuterRef("delegation"), term=other))
        )
    if date_from is not None:
        rows = rows.filter(start_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(start_date__lte=date_to)
    order = ("start_date", "delegation_id") if oldest_first else ("-start_date", "-delegation_id")
    return rows.order_by(*order).values_list("delegation_id", flat=True)


# Enough to tell a rare term from a common one, read from the index alone.
RARITY_CAP = 5_000


def capped_count(term, using):
    return EventTerm.objects.using(using).filter(term=term)[:RARITY_CAP].count()
