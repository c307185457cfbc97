from django.db import migrations, models

# Each term's number of published visits (cooperation/eventindex.py), in a table Django
# does not manage, like the event index itself. The SQL is a frozen copy of eventindex.py's
# as it was when this migration was last changed.

TABLE = "cooperation_event_term"
COUNT_TABLE = "cooperation_event_term_count"

CREATE_COUNT_TABLE = f"""
CREATE TABLE {COUNT_TABLE} (
    term varchar(40) NOT NULL PRIMARY KEY,
    events integer NOT NULL
)
"""
COUNT_ALL = (
    f"INSERT INTO {COUNT_TABLE} (term, events) SELECT term, COUNT(*) FROM {TABLE} GROUP BY term"
)


def create(apps, schema_editor):
    schema_editor.execute(CREATE_COUNT_TABLE)
    schema_editor.execute(COUNT_ALL)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {COUNT_TABLE}")


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
