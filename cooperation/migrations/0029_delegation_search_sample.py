"""On PostgreSQL, an index of the search vectors of the published visits in the lowest
sample slots, keyed by slot first: a search's facet sample (cooperation/facets.py) reads
the matching visits of the slots it needs from it, where it probed every visit of those
slots and read each one's vector. SQLite has no search vector and no such index.

An integer in a GIN index needs btree_gin, a module PostgreSQL ships (contrib) and lets
the owner of a database install. Statistics of the slot tell the planner how few visits a
slot holds. The SQL is this migration's own, a frozen copy of cooperation/facets.py's
(SEARCH_SAMPLE_SLOTS) and cooperation/eventindex.py's (the slot) as they were written.
Backwards, the index and the statistics are dropped and the module left installed: another
index of the database may use it by then.
"""

from django.db import migrations

SLOT = "((id * 633) % 1024)"
CREATE = (
    "CREATE INDEX IF NOT EXISTS delegation_search_sample ON cooperation_delegation "
    f"USING gin ({SLOT}, search_vector) "
    f"WHERE status = 'published' AND {SLOT} < 64"
)
# How the slots spread, for the planner: without it, it took "slot < 5" for a third of the
# table, and joined a search's sample of a few hundred visits to the facets' lists by
# hashing the whole of that table (350 ms at a million visits, against 3 ms).
STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS delegation_sample_slot ON "
    f"{SLOT} FROM cooperation_delegation"
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        cursor.execute(CREATE)
        cursor.execute(STATISTICS)
        cursor.execute("ANALYZE cooperation_delegation")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS delegation_sample_slot")
        schema_editor.execute("DROP INDEX IF EXISTS delegation_search_sample")


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0028_event_term_list")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
