from django.db import migrations, models

from cooperation import eventindex

# Each term's number of published visits (cooperation/eventindex.py), in a table Django
# does not manage, like the event index itself.


def create(apps, schema_editor):
    schema_editor.execute(eventindex.CREATE_COUNT_TABLE)
    schema_editor.execute(eventindex.COUNT_ALL)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {eventindex.COUNT_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0008_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventTermCount",
            fields=[
                ("term", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("events", models.IntegerField()),
            ],
            options={"db_table": "cooperation_event_term_count", "managed": False},
        ),
        migrations.RunPython(create, drop),
        migrations.AddIndex(
            model_name="delegation",
            index=models.Index(fields=["-start_date", "-id"], name="delegation_date_order"),
        ),
    ]
