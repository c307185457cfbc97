import datetime as dt
import unicodedata

from django.contrib.postgres.operations import UnaccentExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models import F, Func, Prefetch, Value

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


# --- The search text, rebuilt -------------------------------------------------------------
# Frozen copies of what the project's code did when this migration was written
# (Delegation.search_document, languages.fold, DelegationQuerySet.update_search_vector): a
# migration must build tomorrow the text it builds today, whatever that code becomes, and
# it reads the records through the models as they are at this point of the history.

# The languages of migration 0010's columns, English (the language of reference) first.
LANGUAGES = ("en", "az", "ru")

# Letters with no decomposition into a base letter and marks, written as people type them
# on a keyboard without them: "Əliyev" is found by "Eliyev", "Bakı" by "Baki".
PLAIN_LETTERS = str.maketrans({"ə": "e", "ı": "i", "ł": "l", "đ": "d", "ø": "o"})
# Cyrillic letters that decompose but are letters of their own (unaccent keeps them too).
KEPT_LETTERS = frozenset("йїў")

BATCH = 500


def fold(text):
    """`text` case folded, without accents and other marks, the letters above plain."""
    folded = []
    for char in unicodedata.normalize("NFC", text.casefold()):
        if char in KEPT_LETTERS:
            folded.append(char)
            continue
        folded.extend(
            part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
        )
    return "".join(folded).translate(PLAIN_LETTERS)


def texts(record, *fields):
    """Every language's text of each of `record`'s `fields`, field by field."""
    return [
        text
        for field in fields
        for text in (getattr(record, f"{field}_{language}", None) for language in LANGUAGES)
        if text
    ]


def search_document(visit):
    """The words of the visit and of everything it involves, in every language, and every
    spelling of the people's names, folded."""
    parts = texts(visit, "title", "summary", "purpose")
    for organization in (visit.sending_organization, visit.host_organization):
        parts += texts(organization, "name", "short_name")
    parts += texts(visit.location, "name")
    if visit.location.parent:
        parts += texts(visit.location.parent, "name")
    people = [member.person for member in visit.members.all()]
    if visit.program_id and visit.program.status == "published":
        parts += texts(visit.program, "title")
        people += [signatory.person for signatory in visit.program.signatories.all()]
    for meeting in visit.meetings.all():
        parts += texts(meeting, "title", "summary")
        if meeting.host_organization:
            parts += texts(meeting.host_organization, "name")
        for participant in meeting.participants.all():
            if participant.person:
                people.append(participant.person)
            if participant.organization:
                parts += texts(participant.organization, "name")
    for person in people:
        parts.append(person.name)
        parts += [other.name for other in person.other_names.all()]
    for workshop in visit.workshops.all():
        parts += texts(workshop, "title", "summary")
        for topic in workshop.topics.all():
            parts += texts(topic, "name")
    for activity in [*visit.meetings.all(), *visit.workshops.all(), *visit.site_visits.all()]:
        if activity.place:
            parts += texts(activity.place, "name")
    for site_visit in visit.site_visits.all():
        parts += texts(site_visit, "title", "summary")
    return fold(" ".join(dict.fromkeys(part for part in parts if part)))


def search_vector():
    """The titles in every language weighted above the search text; ə is written e in the
    titles, as fold() writes it (unaccent leaves it alone)."""
    titles = Func(
        Value(" "),
        *(F(f"title_{language}") for language in LANGUAGES),
        function="concat_ws",
        output_field=models.TextField(),
    )
    title = Func(
        titles, Value("əƏ"), Value("ee"), function="translate", output_field=models.TextField()
    )
    return SearchVector(title, weight="A", config=CONFIG) + SearchVector(
        "search_text", weight="B", config=CONFIG
    )


def rebuild_search(apps, schema_editor):
    # Derived data: the search text, folded and in every language, and on PostgreSQL the
    # vectors with the new configuration. (On a large archive this is the slow part of the
    # upgrade.) The event index does not change here: it names no words.
    db = schema_editor.connection.alias
    Delegation = apps.get_model("cooperation", "Delegation")
    Topic = apps.get_model("cooperation", "Topic")
    visits = Delegation.objects.using(db)
    ids = list(visits.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = list(
            visits.filter(pk__in=chunk)
            .select_related(
                "sending_organization", "host_organization", "location__parent", "program"
            )
            .prefetch_related(
                "members__person__other_names",
                "program__signatories__person__other_names",
                "meetings__place",
                "meetings__host_organization",
                "meetings__participants__person__other_names",
                "meetings__participants__organization",
                "workshops__place",
                # In the order the live models read them during `migrate`: by the English
                # name, the language of reference.
                Prefetch("workshops__topics", queryset=Topic.objects.order_by("name_en", "id")),
                "site_visits__place",
            )
        )
        for row in rows:
            row.search_text = search_document(row)
        visits.bulk_update(rows, ["search_text"])
        if schema_editor.connection.vendor == "postgresql":
            visits.filter(pk__in=chunk).update(search_vector=search_vector())
    if ids:
        # Search results changed: pages cached before the rebuild are stale.
        now = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cooperation_registry_version SET version = version + 1, changed_at = %s "
                "WHERE id = 1",
                [now],
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO cooperation_registry_version (id, version, changed_at) "
                    "VALUES (1, 1, %s)",
                    [now],
                )


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
