"""On PostgreSQL, the event index gains a partial index of the rows of the kinds the
pictures count (years, months, directions, places), by visit: a picture's counts over
sampled visits ask for several of those kinds at once, which the (delegation, term) index
could only test row by row (cooperation/eventindex.py). SQLite has none. The SQL is this
migration's own, a frozen copy of cooperation/eventindex.py's as it was written.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS event_term_pictured ON cooperation_event_term "
    "(delegation_id, term varchar_pattern_ops) "
    "WHERE term LIKE 'y:%' OR term LIKE 'm:%' OR term LIKE 'd:%' OR term LIKE 'l:%'"
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    # Without parameters, so that the SQL's `%` is LIKE's wildcard, not a placeholder.
    with connection.cursor() as cursor:
        cursor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS event_term_pictured")


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0025_event_term_prefix_range")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
