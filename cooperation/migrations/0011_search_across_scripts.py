from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

# Search in any language and script (Delegation.search_document, languages.fold). On
# PostgreSQL the search vector is built with a text search configuration of its own:
# "simple" (lowercase, no stemming: names match as written, in any script) after
# "unaccent", so that "Sumqayıt" and "Sumqayit", "Алёна" and "Алена" meet. The GIN index
# is on the stored vector, so it serves the new configuration as it served the old.
# Other databases compare the folded search text word by word.

CONFIG = "registry_search"
UNACCENTED = "word, hword, hword_part, numword, numhword, hword_numpart"


class Unaccent(UnaccentExtension):
    """Django's operation, which on the way back down asks PostgreSQL's catalogue whatever
    the database: here it does nothing on other databases either way."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create_configuration(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple)")
    schema_editor.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR {UNACCENTED} "
        "WITH unaccent, simple"
    )


def drop_configuration(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")


def rebuild_search(apps, schema_editor):
    # Derived data, rebuilt by the project's own code as migration 0006 builds the event
    # index: the search text, folded and in every language, and the vectors with the new
    # configuration. (On a large archive this is the slow part of the upgrade.)
    from cooperation.models import Delegation

    Delegation.objects.using(schema_editor.connection.alias).refresh_search()


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0010_record_languages"),
    ]

    operations = [
        # Only on PostgreSQL: the operation does nothing elsewhere.
        Unaccent(),
        migrations.RunPython(create_configuration, drop_configuration),
        migrations.RunPython(rebuild_search, migrations.RunPython.noop),
    ]
