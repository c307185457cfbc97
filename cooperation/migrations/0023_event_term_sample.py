"""The event index gains a third index, on (term, sample slot, delegation): a term's sample
of visits (the lowest slots, cooperation/facets.py) read as one short range of its rows
rather than by testing every one. The SQL is this migration's own, a frozen copy of
cooperation/eventindex.py's as it was written; PostgreSQL also keeps the visit's date in
the index, so a sample within a range of dates is read from the index alone.
"""

from django.db import migrations

TABLE = "cooperation_event_term"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS event_term_sample ON {TABLE} "
    "(term, ((delegation_id * 633) % 1024), delegation_id)"
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    included = " INCLUDE (start_date)" if connection.vendor == "postgresql" else ""
    # Without parameters, so that the SQL's `%` is the modulo operator, not a placeholder.
    with connection.cursor() as cursor:
        cursor.execute(CREATE + included)


def drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS event_term_sample")


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0022_delegation_type_order")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
