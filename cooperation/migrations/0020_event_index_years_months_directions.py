"""The event index gains three kinds of row, for counting rather than filtering
(cooperation/eventindex.py): `y:<year>`, `m:<year>-<month>` and `d:<from>><to>` for each
published visit, with their counts. Written here in SQL of this migration's own, as the
index itself writes them, so an existing archive needs no rebuild; a new one has no visits
yet and gains nothing.
"""

from django.db import migrations

TERMS = "cooperation_event_term"
COUNTS = "cooperation_event_term_count"

YEAR = {
    "postgresql": "CAST(EXTRACT(YEAR FROM v.start_date) AS integer)::varchar",
    "sqlite": "CAST(CAST(strftime('%Y', v.start_date) AS integer) AS text)",
}
MONTH = {
    "postgresql": "to_char(v.start_date, 'YYYY-MM')",
    "sqlite": "strftime('%Y-%m', v.start_date)",
}


def add_rows(apps, schema_editor):
    connection = schema_editor.connection
    vendor = connection.vendor
    if vendor not in YEAR:
        raise RuntimeError(f"No SQL for the event index on {vendor}.")
    published = "FROM cooperation_delegation v WHERE v.status = 'published'"
    statements = [
        f"INSERT INTO {TERMS} (delegation_id, term, start_date) "
        f"SELECT v.id, 'y:' || {YEAR[vendor]}, v.start_date {published}",
        f"INSERT INTO {TERMS} (delegation_id, term, start_date) "
        f"SELECT v.id, 'm:' || {MONTH[vendor]}, v.start_date {published}",
        f"INSERT INTO {TERMS} (delegation_id, term, start_date) "
        "SELECT v.id, 'd:' || s.country || '>' || h.country, v.start_date "
        "FROM cooperation_delegation v "
        "JOIN cooperation_organization s ON s.id = v.sending_organization_id "
        "JOIN cooperation_organization h ON h.id = v.host_organization_id "
        "WHERE v.status = 'published' AND s.country > '' AND h.country > ''",
        f"INSERT INTO {COUNTS} (term, events) SELECT term, COUNT(*) FROM {TERMS} "
        "WHERE term LIKE 'y:%' OR term LIKE 'm:%' OR term LIKE 'd:%' GROUP BY term",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def remove_rows(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table in (TERMS, COUNTS):
            cursor.execute(
                f"DELETE FROM {table} WHERE term LIKE 'y:%' OR term LIKE 'm:%' OR term LIKE 'd:%'"
            )


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0019_position_titles_in_every_language")]

    operations = [migrations.RunPython(add_rows, remove_rows, elidable=False)]
