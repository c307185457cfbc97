import datetime as dt

import django.db.models.deletion
from django.db import migrations, models

# The event index (cooperation/eventindex.py): a table Django does not manage, so that its
# rows (derived data) never travel in fixtures. The SQL is a frozen copy of eventindex.py's
# as it was when this migration was last changed: a migration must do tomorrow what it does
# today, whatever the live module becomes.

TABLE = "cooperation_event_term"

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

# Every published visit's rows.
BUILD = f"""
INSERT INTO {TABLE} (delegation_id, term, start_date)
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
    FROM cooperation_delegation WHERE status = 'published'
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

# Every public page is stale once the index is built (cooperation_registry_version, 0003).
BUMP_VERSION = (
    "UPDATE cooperation_registry_version SET version = version + 1, changed_at = %s WHERE id = 1"
)
FIRST_VERSION = (
    "INSERT INTO cooperation_registry_version (id, version, changed_at) VALUES (1, 1, %s)"
)


def create(apps, schema_editor):
    schema_editor.execute(CREATE_TABLE)
    for statement in INDEXES.values():
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {TABLE}")


def build(apps, schema_editor):
    # As a rebuild of the whole index does: the indexes are set aside while the rows are
    # written, which is several times faster than keeping them up to date.
    connection = schema_editor.connection
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        for name in INDEXES:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute(BUILD)
        for statement in INDEXES.values():
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute(BUMP_VERSION, [now])
        if cursor.rowcount == 0:
            cursor.execute(FIRST_VERSION, [now])


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0005_program_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventTerm",
            fields=[
                ("pk", models.CompositePrimaryKey("delegation", "term", blank=True, editable=False, primary_key=True, serialize=False)),
                ("term", models.CharField(max_length=40)),
                ("start_date", models.DateField()),
                ("delegation", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="cooperation.delegation")),
            ],
            options={"db_table": "cooperation_event_term", "managed": False},
        ),
        migrations.RunPython(create, drop),
        migrations.RunPython(build, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="delegation",
            index=models.Index(fields=["status", "title", "id"], name="delegation_title_order"),
        ),
    ]
