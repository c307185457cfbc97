from django.db import migrations

# The counter behind the public pages' validators and cache (cooperation/registry_version.py):
# a plain table, not a model, so that it never travels in fixtures.
CREATE = """
CREATE TABLE cooperation_registry_version (
    id integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    changed_at bigint NOT NULL
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0002_search"),
    ]

    operations = [
        migrations.RunSQL(
            [
                CREATE,
                "INSERT INTO cooperation_registry_version (id, version, changed_at) VALUES (1, 0, 0)",
            ],
            reverse_sql="DROP TABLE cooperation_registry_version",
        ),
    ]
