"""SQL written once per process for the reads a page makes on every request, where only the
values its filters compare with change: `kept(queryset)`.

Django writes a queryset's SQL anew each time it runs: its columns, joins and order are
worked out from the models again (a visit's page runs fourteen such reads, and writing them
was 9 of its 30 ms at a million visits, more than PostgreSQL took to answer them). A kept
queryset's compiler writes only its WHERE clause, and finds the rest of the statement,
with what Django needs to build the rows' records, under a key made of that clause and
everything else that shapes the statement: the model, the related records it joins,
the columns it leaves out, its order, limits and joins, the database and the language.
The first time a key is seen the statement is written in full as Django writes it, and kept
only when the WHERE clause's values are all of its values, so a read that puts values
anywhere else (an annotation, an order by an expression with a value of its own) is simply
written in full every time.

Kept are reads of records (a queryset iterated, `get()`, a prefetch) with no annotations,
extra SQL, values(), unions, subqueries, grouping or locking; anything else is written as
Django writes it. An order by an expression is part of the key as Django compares
expressions (by their class and arguments). tests/test_keptsql.py holds the statements
run to those Django writes, on SQLite and PostgreSQL.

On PostgreSQL a kept statement is also bound on the server (its values sent apart from its
text) rather than merged into it by psycopg as Django's other reads are, so that its text is
the same for any values and psycopg prepares it once the connection has run it
`prepare_threshold` times (DATABASE_PREPARED_STATEMENTS, config/settings.py): the server
then parses and plans it once per connection, not once per read. Planning took PostgreSQL
five to seven times as long as running each of the visit page's reads. Not while Django
logs the queries (DEBUG, the tests' query counts), whose log would then show `$1` for each
value, nor when nothing is prepared.
"""

import contextlib
import functools

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models.sql.query import Query
from django.utils import translation

# Statements kept per process. A read of "the records among these ids" has a statement for
# each number of ids, so a busy process sees many; when full, all are dropped and kept
# again as they come.
LIMIT = 1_000
_statements = {}
# What Django's compiler works out while it writes a statement and reads again when it
# builds the rows' records: kept with the statement.
COMPILER_STATE = ("select", "klass_info", "annotation_col_map", "col_count", "has_extra_select")


def kept(queryset):
    """`queryset`, whose statements are kept (above) each time it or a queryset made from it
    (a filter, a prefetch of it) is read."""
    queryset = queryset.all()
    if type(queryset.query) is Query:
        queryset.query.__class__ = KeptQuery
    return queryset


class KeptQuery(Query):
    def get_compiler(self, using=None, connection=None, elide_empty=True):
        compiler = super().get_compiler(using, connection, elide_empty)
        # Reads only: counts, updates and deletes have compilers of their own.
        if type(compiler).__name__ == "SQLCompiler":
            compiler.__class__ = _kept_compiler(type(compiler))
        return compiler


@functools.cache
def _kept_compiler(base):
    """The database's own compiler (PostgreSQL's quotes names its own way), keeping."""
    return type(f"Kept{base.__name__}", (KeptCompiler, base), {})


class KeptCompiler:
    # Whether the statement as_sql() wrote is kept, and so may be bound on the server.
    _kept_statement = False

    def execute_sql(self, *args, **kwargs):
        with _bound_on_server(self):
            return super().execute_sql(*args, **kwargs)

    def as_sql(self, with_limits=True, with_col_aliases=False):
        shape = _shape(self.query)
        if shape is None:
            return super().as_sql(with_limits, with_col_aliases)
        try:
            where, params = self.compile(self.query.where)
        except FullResultSet:
            where, params = "", []
        except EmptyResultSet:
            # No row can match: Django's own compiler decides what that means here.
            return super().as_sql(with_limits, with_col_aliases)
        key = (
            self.connection.alias,
            translation.get_language(),
            with_limits,
            with_col_aliases,
            shape,
            where,
        )
        try:
            found = _statements.get(key)
        except TypeError:  # a part of the shape that cannot be a key: not kept
            return super().as_sql(with_limits, with_col_aliases)
        if found is not None:
            self._kept_statement = True
            sql, state, self._converters = found
            for name, value in zip(COMPILER_STATE, state, strict=True):
                setattr(self, name, value)
            return sql, tuple(params)
        sql, written = super().as_sql(with_limits, with_col_aliases)
        if tuple(written) == tuple(params) and (not where or sql.count(where) == 1):
            if len(_statements) >= LIMIT:
                _statements.clear()
            self._converters = {}
            state = tuple(getattr(self, name) for name in COMPILER_STATE)
            _statements[key] = (sql, state, self._converters)
            self._kept_statement = True
        return sql, written

    def get_converters(self, expressions):
        # The converters of a kept statement's columns (to a date, a decimal…) are worked
        # out for its first rows and kept with it.
        kept_converters = getattr(self, "_converters", None)
        if kept_converters is None or len(expressions) != self.col_count:
            return super().get_converters(expressions)
        if "columns" not in kept_converters:
            kept_converters["columns"] = super().get_converters(expressions)
        return kept_converters["columns"]


@contextlib.contextmanager
def _bound_on_server(compiler):
    """Within the block, the cursor Django opens for `compiler`'s statement binds on the
    server if the statement is kept (the module's docstring). The choice waits for the
    cursor, since the compiler writes its statement (and so learns whether it is kept) only
    once its execute_sql() has begun."""
    connection = compiler.connection
    if connection.vendor != "postgresql" or connection.queries_logged:
        yield
        return
    connection.ensure_connection()
    driver = connection.connection
    if driver.prepare_threshold is None:
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    client_binding = driver.cursor_factory

    def cursor(*args, **kwargs):
        kind = ServerBindingCursor if compiler._kept_statement else client_binding
        return kind(*args, **kwargs)

    driver.cursor_factory = cursor
    try:
        yield
    finally:
        driver.cursor_factory = client_binding


def _shape(query):
    """What, besides its WHERE clause, decides the statement of `query`; None for a query
    that is not kept (the module's docstring)."""
    if (
        query.annotations
        or query.extra
        or query.extra_select_mask
        or query.values_select
        or query.select
        or query.combinator
        or query.subquery
        or query.group_by is not None
        or query.select_for_update
        or query.distinct_fields
    ):
        return None
    joins = tuple(
        (alias, join.table_name, getattr(join, "join_type", None), query.alias_refcount[alias])
        for alias, join in query.alias_map.items()
    )
    deferred, defer = query.deferred_loading
    return (
        query.model,
        repr(query.select_related),
        query.max_depth,
        tuple(query.order_by),
        tuple(query.extra_order_by),
        query.default_ordering,
        query.standard_ordering,
        frozenset(deferred),
        defer,
        query.low_mark,
        query.high_mark,
        query.distinct,
        joins,
    )
