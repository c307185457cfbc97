"""A visit's members, a meeting's participants, a visit's signings, a programme's signatories
and a person's other names are ordered by their parent's id rather than by the parent
record: ordering by the record applied its own order, which joined its table to every query
for these rows. No change to the tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0023_event_term_sample"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="delegationmember",
            options={"ordering": ("delegation_id", "-is_head", "order", "id")},
        ),
        migrations.AlterModelOptions(
            name="meetingparticipant",
            options={"ordering": ("meeting_id", "order", "id")},
        ),
        migrations.AlterModelOptions(
            name="personname",
            options={"ordering": ("person_id", "language", "name")},
        ),
        migrations.AlterModelOptions(
            name="programsignatory",
            options={
                "ordering": ("program_id", "order", "id"),
                "verbose_name_plural": "programme signatories",
            },
        ),
        migrations.AlterModelOptions(
            name="signing",
            options={
                "ordering": ("delegation_id", "order", "id"),
                "verbose_name": "instrument signed during the visit",
                "verbose_name_plural": "instruments signed during the visit",
            },
        ),
    ]
