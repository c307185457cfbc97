"""On PostgreSQL, instruments gain an index per language in the order their lists show
them (cooperation/views.py, instrument_order): published, newest first with no year last,
then by title as a page in that language shows it (languages.order_by_shown: English where
there is no translation). The home page's first six and /programs/ then read a range of
it rather than sorting every instrument (6 ms at the ten thousand of a large archive).
SQLite has none: it cannot index an order with NULLS LAST.
"""

from django.db import migrations

TITLES = {
    "en": "title_en",
    "az": "COALESCE(NULLIF(title_az, ''), title_en)",
    "ru": "COALESCE(NULLIF(title_ru, ''), title_en)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for language, title in TITLES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS program_order_{language} "
            "ON cooperation_cooperationprogram "
            f"(status, start_year DESC NULLS LAST, ({title}), id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for language in TITLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS program_order_{language}")


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0026_event_term_pictured")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
