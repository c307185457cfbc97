"""On PostgreSQL, the event index's (delegation, term) index compares terms byte by byte
(varchar_pattern_ops), so that one kind of term among chosen visits, `term LIKE 'o:%'`, is
read as a range of each visit's rows rather than tested row by row
(cooperation/eventindex.py). SQLite's index is unchanged. The SQL is this migration's own,
a frozen copy of cooperation/eventindex.py's as it was written.
"""

from django.db import migrations

TABLE = "cooperation_event_term"
DROP = "DROP INDEX IF EXISTS event_term_unique"
CREATE = "CREATE UNIQUE INDEX event_term_unique ON " + TABLE + " (delegation_id, term{})"


def remake(opclass):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(DROP)
        schema_editor.execute(CREATE.format(opclass))

    return run


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0024_child_rows_ordered_by_parent_id")]

    operations = [migrations.RunPython(remake(" varchar_pattern_ops"), remake(""), elidable=False)]
