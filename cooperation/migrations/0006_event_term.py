import django.db.models.deletion
from django.db import migrations, models

from cooperation import eventindex

# The event index (cooperation/eventindex.py): a table Django does not manage, so that its
# rows (derived data) never travel in fixtures.


def create(apps, schema_editor):
    schema_editor.execute(eventindex.CREATE_TABLE)
    for statement in eventindex.INDEXES.values():
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {eventindex.TABLE}")


def build(apps, schema_editor):
    eventindex.rebuild(schema_editor.connection.alias, counts=False)


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
