"""The event index: what each published visit concerns, one row per (visit, term).

A term names one thing a visit can be filtered by:

    o:<id>   an organization that sent or hosted it, hosted one of its meetings or took part
             in one (Delegation.objects.involving_organization)
    p:<id>   a person in the delegation or in one of its meetings (involving_person)
    c:<code> the country of the sending or host organization (in_country)
    l:<id>   its location, or a place of one of its activities, or any place holding one
             of those (at_place: Baku includes the museums in it)
    t:<id>   a topic of one of its workshops, or any broader topic above it (for_topic)
    g:<id>   its programme
    v:<type> its type of visit

Why: those filters follow to-many paths (meetings, participants, workshop topics) or trees
(places, topics). At a million visits, answering "the 20 newest visits involving X" and
"how many" by walking visits and probing those paths costs hundreds of milliseconds. Each
row here carries the visit's date, and the index on (term, start_date, delegation) holds
every term's visits in date order: a page, a capped count or a facet sample is a short
range scan of that index alone, whatever the size of the archive. Several terms are
answered by walking the rarest and probing the (delegation, term) index for the rest.

Only published visits have rows, so the index never names a draft; pages still read the
visits themselves through `.published()`.

Derived data like the search text: cooperation/records/derived.py rebuilds a visit's rows
wherever its search text is rebuilt (every write through cooperation/records/, the
refresh_search command, a restore, the synthetic-archive generator), and deleting a visit
deletes them. The SQL below is the one definition of each term, on SQLite and PostgreSQL;
tests/test_eventindex.py checks it against the relational filters of the models.
"""

from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from . import registry_version
from .models import Delegation, EventTerm, EventTermCount

TABLE = EventTerm._meta.db_table
COUNT_TABLE = EventTermCount._meta.db_table

# Created by migration 0006. Two indexes: (delegation, term), one row per pair, for
# rebuilding a visit's rows and probing a second term; (term, start_date, delegation), a
# term's visits in date order. Both are dropped while a whole archive's rows are written
# and made again after, which is several times faster than keeping them up to date.
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
}

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

# The visits whose rows are built: published ones, narrowed by {only}.
BUILD = """
INSERT INTO {table} (delegation_id, term, start_date)
WITH RECURSIVE
place_up(id, ancestor) AS (
    SELECT id, id FROM cooperation_place
    UNION
    SELECT up.id, p.parent_id FROM place_up up
    JOIN cooperation_place p ON p.id = up.ancestor WHERE p.parent_id IS NOT NULL
),
topic_up(id, ancestor) AS (
    SELECT id, id FROM cooperation_topic
    UNION
    SELECT up.id, t.parent_id FROM topic_up up
    JOIN cooperation_topic t ON t.id = up.ancestor WHERE t.parent_id IS NOT NULL
),
d AS (
    SELECT id, start_date, sending_organization_id, host_organization_id, location_id,
           program_id, visit_type
    FROM cooperation_delegation WHERE status = 'published' {only}
),
activity_place(delegation_id, place_id) AS (
    SELECT m.delegation_id, m.place_id FROM d JOIN cooperation_meeting m ON m.delegation_id = d.id
    UNION ALL
    SELECT w.delegation_id, w.place_id FROM d JOIN cooperation_workshop w ON w.delegation_id = d.id
    UNION ALL
    SELECT s.delegation_id, s.place_id FROM d JOIN cooperation_sitevisit s ON s.delegation_id = d.id
),
participant(delegation_id, person_id, organization_id) AS (
    SELECT m.delegation_id, mp.person_id, mp.organization_id
    FROM d JOIN cooperation_meeting m ON m.delegation_id = d.id
    JOIN cooperation_meetingparticipant mp ON mp.meeting_id = m.id
),
refs(delegation_id, term) AS (
    SELECT id, 'o:' || sending_organization_id FROM d
    UNION ALL SELECT id, 'o:' || host_organization_id FROM d
    UNION ALL SELECT m.delegation_id, 'o:' || m.host_organization_id
        FROM d JOIN cooperation_meeting m ON m.delegation_id = d.id
        WHERE m.host_organization_id IS NOT NULL
    UNION ALL SELECT delegation_id, 'o:' || organization_id FROM participant
        WHERE organization_id IS NOT NULL
    UNION ALL SELECT delegation_id, 'p:' || person_id FROM participant
        WHERE person_id IS NOT NULL
    UNION ALL SELECT dm.delegation_id, 'p:' || dm.person_id
        FROM d JOIN cooperation_delegationmember dm ON dm.delegation_id = d.id
    UNION ALL SELECT d.id, 'c:' || o.country
        FROM d JOIN cooperation_organization o ON o.id = d.sending_organization_id
        WHERE o.country <> ''
    UNION ALL SELECT d.id, 'c:' || o.country
        FROM d JOIN cooperation_organization o ON o.id = d.host_organization_id
        WHERE o.country <> ''
    UNION ALL SELECT d.id, 'l:' || up.ancestor FROM d JOIN place_up up ON up.id = d.location_id
    UNION ALL SELECT a.delegation_id, 'l:' || up.ancestor
        FROM activity_place a JOIN place_up up ON up.id = a.place_id
    UNION ALL SELECT w.delegation_id, 't:' || up.ancestor
        FROM d JOIN cooperation_workshop w ON w.delegation_id = d.id
        JOIN cooperation_workshop_topics wt ON wt.workshop_id = w.id
        JOIN topic_up up ON up.id = wt.topic_id
    UNION ALL SELECT id, 'g:' || program_id FROM d WHERE program_id IS NOT NULL
    UNION ALL SELECT id, 'v:' || visit_type FROM d
)
SELECT DISTINCT refs.delegation_id, refs.term, d.start_date
FROM refs JOIN d ON d.id = refs.delegation_id
"""

# A visit at a time would be one statement per visit; a whole archive at once, one huge
# statement. Refreshes go by this many visits.
CHUNK = 500


# The filters the index answers, with the prefix of their terms (the docstring above says
# what each one covers).
PREFIXES = {
    "organization": "o",
    "person": "p",
    "country": "c",
    "place": "l",
    "topic": "t",
    "program": "g",
    "visit_type": "v",
}


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


def build(cursor, only="", params=()):
    """Write the rows of the published visits that `only` (SQL on `id`) narrows down to."""
    cursor.execute(BUILD.format(table=TABLE, only=only), params)
    return cursor.rowcount


def refresh(ids, using="default"):
    """Rebuild the rows of the visits `ids` (any of which may be unpublished or deleted)."""
    _rewrite(ids, using, rebuild_rows=True)


def forget(ids, using="default"):
    """Remove the rows of the visits `ids`, about to be deleted, and count them out."""
    _rewrite(ids, using, rebuild_rows=False)


def _rewrite(ids, using, rebuild_rows):
    ids = sorted(set(ids))
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            before = _terms_of(cursor, marks, chunk)
            cursor.execute(f"DELETE FROM {TABLE} WHERE delegation_id IN ({marks})", chunk)
            after = {}
            if rebuild_rows:
                build(cursor, f"AND id IN ({marks})", chunk)
                after = _terms_of(cursor, marks, chunk)
            _add_to_counts(cursor, {t: after.get(t, 0) - before.get(t, 0) for t in before | after})


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
            for table in (TABLE, COUNT_TABLE):
                if table in existing:
                    cursor.execute(f"DELETE FROM {table}")


def rebuild(using="default", after=None):
    """Rebuild every row, or the rows of the visits numbered above `after` (new ones), and
    count each term's visits again.

    Returns the number of rows written.
    """
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if after is None:
            cursor.execute(f"DELETE FROM {TABLE}")
            only, params = "", []
        else:
            cursor.execute(f"DELETE FROM {TABLE} WHERE delegation_id > %s", [after])
            only, params = "AND id > %s", [after]
        cursor.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")
        empty = cursor.fetchone() is None
        if empty:
            for name in INDEXES:
                cursor.execute(f"DROP INDEX {name}")
        written = build(cursor, only, params)
        if empty:
            for statement in INDEXES.values():
                cursor.execute(statement)
        # Counted again whole: one GROUP BY over the index (1.6 s at a million visits).
        cursor.execute(f"DELETE FROM {COUNT_TABLE}")
        cursor.execute(COUNT_ALL)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")
    registry_version.bump(using)
    return written


def matching(terms, using="default", date_from=None, date_to=None, oldest_first=False):
    """Ids of the published visits with every one of `terms`, newest (or oldest) first,
    optionally between two dates: a queryset read from the index alone.

    The rarest term drives the scan (its rows come in date order straight from the index);
    each other term is one probe of the (delegation, term) index per row.
    """
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
