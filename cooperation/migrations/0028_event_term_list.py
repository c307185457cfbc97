"""Each published visit's terms in one row (cooperation/eventindex.py): a facet's counts
over a sample of visits read a row per visit instead of each visit's twenty-five rows of
the index. The table is Django's to know of, not to manage, like the index itself; it is
filled from the index as it stands.

The pictures' partial index of the event index (migration 0026) is dropped: the counts it
served now read these rows. The SQL is this migration's own, a frozen copy of
cooperation/eventindex.py's as it was written.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "cooperation_event_term"
LIST_TABLE = "cooperation_event_term_list"

CREATE_LIST_TABLE = f"""
CREATE TABLE {LIST_TABLE} (
    delegation_id bigint NOT NULL PRIMARY KEY,
    terms text NOT NULL
)
"""
PICTURED = (
    "CREATE INDEX IF NOT EXISTS event_term_pictured ON cooperation_event_term "
    "(delegation_id, term varchar_pattern_ops) "
    "WHERE term LIKE 'y:%' OR term LIKE 'm:%' OR term LIKE 'd:%' OR term LIKE 'l:%'"
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    postgresql = connection.vendor == "postgresql"
    # Each list's terms in byte order, as the event index writes them.
    if postgresql:
        joined, rows = "string_agg(term, ' ' ORDER BY term COLLATE \"C\")", TABLE
    else:
        joined = "group_concat(term, ' ')"
        rows = f"(SELECT delegation_id, term FROM {TABLE} ORDER BY delegation_id, term)"
    with connection.cursor() as cursor:
        cursor.execute(CREATE_LIST_TABLE)
        cursor.execute(
            f"INSERT INTO {LIST_TABLE} (delegation_id, terms) "
            f"SELECT delegation_id, {joined} FROM {rows} GROUP BY delegation_id"
        )
        if postgresql:
            cursor.execute("DROP INDEX IF EXISTS event_term_pictured")
            cursor.execute(f"ANALYZE {LIST_TABLE}")


def drop(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {LIST_TABLE}")
        if connection.vendor == "postgresql":
            # Without parameters, so that the SQL's `%` is LIKE's wildcard.
            cursor.execute(PICTURED)


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0027_program_order")]

    operations = [
        migrations.CreateModel(
            name="EventTermList",
            fields=[
                (
                    "delegation",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="cooperation.delegation",
                    ),
                ),
                ("terms", models.TextField()),
            ],
            options={"db_table": "cooperation_event_term_list", "managed": False},
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
