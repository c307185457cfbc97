"""Places form one tree rooted in countries (cooperation/models.py, Place).

Every place that sat at the top without being a country is put inside its country's place:
an existing top-level place named as its country becomes that country (a record entered as
"Azerbaijan" before countries were places), otherwise the country's place is created. The
published visits indexed under the places moved get the index rows of their new country
(`l:<id>`, cooperation/eventindex.py), in SQL of this migration's own.

The visits' search text names a location's parent: `manage.py refresh_search` adds the
countries' names to it.
"""

from django.db import migrations
from django.utils import translation
from django.utils.text import slugify
from django_countries import countries

ADD_ROWS = """
INSERT INTO cooperation_event_term (delegation_id, term, start_date)
SELECT t.delegation_id, %s, t.start_date FROM cooperation_event_term t
WHERE t.term = %s AND NOT EXISTS (
    SELECT 1 FROM cooperation_event_term u WHERE u.delegation_id = t.delegation_id AND u.term = %s
)
"""
RECOUNT = [
    "DELETE FROM cooperation_event_term_count WHERE term = %s",
    "INSERT INTO cooperation_event_term_count (term, events) "
    "SELECT term, COUNT(*) FROM cooperation_event_term WHERE term = %s GROUP BY term",
]


def country_names(code):
    """{field: the country's name} in English and Russian (django-countries has no
    Azerbaijani names: that language shows the English one until someone enters it)."""
    names = {}
    for language in ("en", "ru"):
        with translation.override(language):
            names[f"name_{language}"] = str(countries.name(code))
    return names


def free_slug(Place, name):
    base = slugify(name)[:190] or "country"
    slug = base
    number = 1
    while Place.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def root_in_countries(apps, schema_editor):
    Place = apps.get_model("cooperation", "Place")
    tops = Place.objects.filter(parent__isnull=True).exclude(kind="country")
    moved = []
    for code in sorted(set(tops.values_list("country", flat=True))):
        names = country_names(code)
        root = tops.filter(country=code, name_en__iexact=names["name_en"]).first()
        if root is None:
            root = Place(
                country=code,
                kind="country",
                name=names["name_en"],
                slug=free_slug(Place, names["name_en"]),
                **names,
            )
        else:
            root.kind = "country"
            root.name_ru = root.name_ru or names["name_ru"]
        root.save()
        for place in tops.filter(country=code).exclude(pk=root.pk):
            moved.append((place.pk, root.pk))
        tops.filter(country=code).exclude(pk=root.pk).update(parent=root)
    with schema_editor.connection.cursor() as cursor:
        for place, root in moved:
            cursor.execute(ADD_ROWS, [f"l:{root}", f"l:{place}", f"l:{root}"])
        for root in {root for _place, root in moved}:
            for statement in RECOUNT:
                cursor.execute(statement, [f"l:{root}"])


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0015_instruments_occasions_places_in_countries"),
    ]

    # Going back leaves the countries in place: they are valid places in the old model too.
    operations = [migrations.RunPython(root_in_countries, migrations.RunPython.noop)]
