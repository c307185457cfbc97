"""One counter that changes whenever any record does.

It validates every public page (ETag, Last-Modified) and names the generation of their
cached copies. It lives in a table of its own outside the models on purpose: it is not a
record, so it must not travel in fixtures, appear in the admin, or go back in time when
an old dump is loaded. Migration 0003 creates the table with its single row.
"""

import contextlib
import contextvars
import datetime as dt

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

TABLE = "cooperation_registry_version"

# The version a public page is being rendered for (held()), by database.
_held = contextvars.ContextVar("registry_version_held", default=None)


def _now_micros():
    return int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)


def current(using=DEFAULT_DB_ALIAS):
    """(version, changed_at as an aware datetime or None): one primary-key read.

    It is the first query of most public requests (the page cache asks it before anything
    else, cooperation/caching.py), so on a connection kept from an earlier request it also
    stands for Django's health check, which would otherwise cost a round trip of its own
    (`SELECT 1`) before it: a kept connection that turns out to be broken is closed, and
    the read made again on a new one, which is what the health check would have done.
    """
    held = _held.get()
    if held is not None and held[0] == using:
        return held[1]
    connection = connections[using]
    if (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    ):
        connection.health_check_done = True
        try:
            return _read(connection)
        except DatabaseError:
            connection.close()
    return _read(connection)


READ = f"SELECT version, changed_at FROM {TABLE} WHERE id = 1"
# As libpq takes it (_read_by_libpq).
READ_SQL = READ.encode()


@contextlib.contextmanager
def held(value, using=DEFAULT_DB_ALIAS):
    """current(using) answers `value`, the version just read, within the block: a public
    page is rendered for the version its ETag names (cooperation/caching.py), and what the
    page keeps per version (KeptPerVersion, KeptRecords) asks for that version again rather
    than reading it once for each thing kept. A page only reads, so nothing it does moves
    the version meanwhile; a change made by another request meanwhile is the next version's,
    and the page's records, read after `value` was, are as new as it or newer."""
    token = _held.set((using, value))
    try:
        yield
    finally:
        _held.reset(token)


def _read(connection):
    if _unwatched(connection):
        # Straight on the driver's connection, inside Django's error translation: Django's
        # cursor (a wrapper per query, its checks and hooks) cost about as much as the read
        # itself, which on a 304 is most of the answer. On PostgreSQL, libpq's own calls
        # where they may be made (_read_by_libpq); else psycopg's cursor, which binds on
        # the server, so psycopg prepares the statement once the connection has run it
        # `prepare_threshold` times (DATABASE_PREPARED_STATEMENTS, config/settings.py; off,
        # as a pooler in transaction mode may need, it never prepares): the server then
        # skips parsing and planning it.
        with connection.wrap_database_errors:
            row = _read_by_libpq(connection)
            if row is _UNREAD:
                cursor = _driver_cursor(connection)
                try:
                    cursor.execute(READ)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute(READ)
            row = cursor.fetchone()
    if not row or not row[1]:
        return (row[0] if row else 0), None
    return row[0], dt.datetime.fromtimestamp(row[1] / 1_000_000, dt.UTC)


_UNREAD = object()
# The read's name as a statement prepared on a PostgreSQL connection (_read_by_libpq).
PREPARED = b"registry_version_read"


def _read_by_libpq(connection):
    """The row, read with libpq's own calls on a PostgreSQL connection outside any
    transaction (psycopg's `pgconn`), or _UNREAD where that is not so.

    psycopg's cursor sends, waits and reads in Python; libpq's blocking call does it in C,
    and lets other threads run meanwhile. Through gunicorn (2 workers, 2 cores, 16
    connections) the 304 went from 2,624-2,673 to 3,033-3,046 requests a second. The
    statement is prepared under a name of its own, on the first read of each connection and
    again whenever the server says it does not know it (a new session behind a pooler);
    with prepared statements off (DATABASE_PREPARED_STATEMENTS) it is sent as text. Only in
    autocommit and with no transaction open: inside one, psycopg would begin it first, and
    the read must be the transaction's. Outside, the read's result leaves the connection as
    it found it."""
    if connection.vendor != "postgresql":
        return _UNREAD
    from psycopg import pq

    driver = connection.connection
    pgconn = driver.pgconn
    if not driver.autocommit or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return _UNREAD
    if driver.prepare_threshold is None:
        result = pgconn.exec_(READ_SQL)
    else:
        result = pgconn.exec_prepared(PREPARED, None)
        if _unknown_statement(result):
            _checked(pgconn.prepare(PREPARED, READ_SQL), pq.ExecStatus.COMMAND_OK)
            result = pgconn.exec_prepared(PREPARED, None)
    _checked(result, pq.ExecStatus.TUPLES_OK)
    if result.ntuples == 0:
        return None
    version, changed_at = result.get_value(0, 0), result.get_value(0, 1)
    return int(version), (int(changed_at) if changed_at is not None else None)


def _unknown_statement(result):
    from psycopg import pq

    return (
        result.status == pq.ExecStatus.FATAL_ERROR
        and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
    )


def _checked(result, expected):
    """Raise psycopg's error for `result` (as its cursor would) unless it has the status
    `expected`."""
    if result.status != expected:
        from psycopg import errors

        raise errors.error_from_result(result)


def _unwatched(connection):
    """Whether the read may skip Django's cursor: an open connection that nothing observes
    (no query log, as DEBUG and the tests' query counts keep; no execute wrapper, as
    instrumentation installs), so that whoever counts or traces queries still sees this
    one."""
    return (
        connection.connection is not None
        and not connection.queries_logged
        and not connection.execute_wrappers
    )


def _driver_cursor(connection):
    if connection.vendor == "postgresql":
        import psycopg

        return psycopg.Cursor(connection.connection)
    return connection.connection.cursor()


def bump(using=DEFAULT_DB_ALIAS):
    """Mark every public page stale."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET version = version + 1, changed_at = %s WHERE id = 1",
            [_now_micros()],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {TABLE} (id, version, changed_at) VALUES (1, 1, %s)",
                [_now_micros()],
            )


class KeptPerVersion:
    """Values worked out from the records and kept in this process until the registry's
    version changes: the same answer for every request until any record does (a draft's
    too). Kept per database, and the version goes with the time it was reached, so that a
    version number given again after a rollback is not taken for the one before it. In
    memory rather than in Django's cache: what is kept may hold thousands of values, which
    a cache would copy on every read."""

    def __init__(self):
        # database → (version, {key: value})
        self._kept = {}

    def get(self, key, compute, using=DEFAULT_DB_ALIAS, version=None, limit=None):
        """The value kept under `key` for the current version, `compute()` if there is none.

        `limit`: at most this many keys are kept per version; past it, a value not kept is
        worked out each time."""
        version = version or current(using)
        kept = self._kept.get(using)
        if kept is None or kept[0] != version:
            kept = self._kept[using] = (version, {})
        values = kept[1]
        if key not in values:
            if limit is not None and len(values) >= limit:
                return compute()
            values[key] = compute()
        return values[key]


class KeptRecords:
    """Records read by id and kept until the registry's version changes, per kind and
    database: what pages name again and again (the records a list's facets name, the
    places its map locates) read once per version instead of in a query per page. At
    most `limit` ids are kept per kind, so that a crawler walking every page cannot fill
    the process's memory; past it, what is not kept is read each time.

    Read the version before the records (as get() does): records read after it are as new
    as it or newer, so what is kept under a version is never older than that version."""

    def __init__(self, limit):
        self.limit = limit
        self._kept = KeptPerVersion()

    def get(self, kind, ids, read, using=DEFAULT_DB_ALIAS, version=None):
        """{id: record} of `ids`, `read(missing ids)` giving {id: record} of those it
        finds; an id it does not find is remembered as absent."""
        kept = self._kept.get(kind, dict, using, version)
        missing = [pk for pk in ids if pk not in kept]
        if missing:
            found = read(missing)
            if len(kept) + len(missing) > self.limit:
                return {pk: record for pk in ids if (record := kept.get(pk) or found.get(pk))}
            kept.update({pk: found.get(pk) for pk in missing})
        return {pk: kept[pk] for pk in ids if kept[pk] is not None}
