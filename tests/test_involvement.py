"""Who and what a visit involves (cooperation/involvement.py), asked the ways a reader asks:
the event list's filters, search, the entity pages. Each question has an exact answer."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from cooperation import eventindex, records
from cooperation.models import (
    EventTerm,
    EventTermCount,
    Meeting,
    MeetingParticipant,
    Organization,
    Person,
    Place,
    SiteVisit,
    Status,
    Topic,
)
from tests.conftest import listed


def office(slug, country):
    return Organization.objects.create(
        name=f"Prosecutor General's Office ({country})",
        slug=slug,
        country=country,
        kind=Organization.Kind.PROSECUTION_SERVICE,
    )


@pytest.fixture
def scene(make_event):
    """Three published visits and a draft:
    - a council session in Dushanbe, sent by Russia's office to Tajikistan's, whose meeting
      Iran's and Kazakhstan's offices and Azerbaijan's First Deputy attended, on illegal
      migration;
    - Azerbaijan's office visiting Russia's, on extradition (a topic of the whole visit);
    - Russia's office visiting Azerbaijan's in Baku (inside Azerbaijan), with a museum tour;
    - a draft that names Iran's office, which no public answer may show."""
    ru, az, tj = office("ru", "RU"), office("az", "AZ"), office("tj", "TJ")
    ir, kz = office("ir", "IR"), office("kz", "KZ")
    azerbaijan = Place.objects.create(name="Azerbaijan", slug="azerbaijan", country="AZ")
    baku = Place.objects.create(name="Baku", slug="baku", country="AZ", parent=azerbaijan)
    museum = Place.objects.create(name="Museum", slug="museum", country="AZ", parent=baku)
    dushanbe = Place.objects.create(name="Dushanbe", slug="dushanbe", country="TJ")
    migration = Topic.objects.create(name="Illegal migration", slug="illegal-migration")
    extradition = Topic.objects.create(name="Extradition", slug="extradition")
    deputy = Person.objects.create(name="Elçin Məmmədov", slug="elcin-mammadov")

    council = make_event(
        slug="council", sending_organization=ru, host_organization=tj, location=dushanbe
    )
    with records.change():
        session = Meeting.objects.create(delegation=council, slug="session", title="Session")
        session.topics.add(migration)
        for n, body in enumerate([ir, kz]):
            MeetingParticipant.objects.create(
                meeting=session, organization=body, side="other", order=n
            )
        MeetingParticipant.objects.create(
            meeting=session, person=deputy, organization=az, side="other", order=2
        )
    to_russia = make_event(slug="to-russia", sending_organization=az, host_organization=ru)
    with records.change():
        to_russia.topics.add(extradition)
    to_baku = make_event(
        slug="to-baku", sending_organization=ru, host_organization=az, location=baku
    )
    with records.change():
        SiteVisit.objects.create(delegation=to_baku, slug="museum", title="Tour", place=museum)
    draft = make_event(slug="draft", status=Status.DRAFT, sending_organization=ir)
    with records.change():
        draft.topics.add(migration)
    return locals()


def test_country_on_any_side_or_in_one_direction(client, scene):
    assert listed(client, country="RU") == {"council", "to-russia", "to-baku"}
    assert listed(client, from_country="RU") == {"council", "to-baku"}
    assert listed(client, to_country="RU") == {"to-russia"}
    assert listed(client, from_country="AZ", to_country="RU") == {"to-russia"}
    assert listed(client, from_country="RU", to_country="AZ") == {"to-baku"}


def test_a_participant_country_of_a_multilateral_meeting_counts(client, scene):
    assert listed(client, country="IR") == {"council"}
    assert listed(client, country="KZ") == {"council"}
    # Azerbaijan took part in the council through its deputy's office.
    assert listed(client, country="AZ") == {"council", "to-russia", "to-baku"}
    assert listed(client, organization="ir") == {"council"}
    page = client.get("/organizations/ir/")
    assert page.status_code == 200
    assert "/events/council/" in page.text
    assert "/events/draft/" not in page.text


def test_topics_of_a_meeting_and_of_a_whole_visit(client, scene):
    assert listed(client, topic="illegal-migration") == {"council"}
    assert listed(client, topic="extradition") == {"to-russia"}
    for slug, visit in (("illegal-migration", "council"), ("extradition", "to-russia")):
        page = client.get(f"/topics/{slug}/")
        assert page.status_code == 200
        assert f"/events/{visit}/" in page.text
    shown = client.get("/events/to-russia/").text
    assert "/topics/extradition/" in shown
    assert "/topics/illegal-migration/" in client.get("/events/council/").text


def test_a_person_is_found_by_filter_and_search_alike(client, scene):
    assert listed(client, person="elcin-mammadov") == {"council"}
    for words in ("Məmmədov", "memmedov", "Elçin"):
        assert listed(client, q=words) == {"council"}, words
    assert listed(client, q="Kazakhstan") == set()  # no name says it; the code KZ is no word
    assert listed(client, q="Museum") == {"to-baku"}


def test_a_country_place_holds_its_cities_and_what_is_in_them(client, scene):
    assert listed(client, place="azerbaijan") == {"to-baku"}
    assert listed(client, place="baku") == {"to-baku"}
    assert listed(client, place="museum") == {"to-baku"}
    assert listed(client, place="dushanbe") == {"council"}
    # Searching the country's name finds the visit in its city.
    assert listed(client, q="Azerbaijan Baku") == {"to-baku"}


def test_the_migration_writes_the_direction_rows_the_index_would(scene):
    # Databases from before the direction filters gain their rows from migration 0013's
    # own SQL; they are exactly the rows the index builds from involvement.py.
    migration = importlib.import_module("cooperation.migrations.0013_topics_everywhere")
    sides = Q(term__startswith="f:") | Q(term__startswith="h:")

    def rows():
        return (
            sorted(EventTerm.objects.filter(sides).values_list("delegation_id", "term")),
            sorted(EventTermCount.objects.filter(sides).values_list("term", "events")),
        )

    built = rows()
    assert ("f:RU", 2) in built[1] and ("h:RU", 1) in built[1]
    editor = connection.schema_editor()
    migration.remove_sides(None, editor)
    assert rows() == ([], [])
    migration.add_sides(None, editor)
    assert rows() == built


def test_the_migration_roots_places_in_countries_with_the_rows_the_index_would_build(client, scene):
    # Before places were rooted in countries, "Azerbaijan" was a place like any other and
    # Dushanbe stood alone; migration 0016 makes the first a country and puts the second
    # inside a new one, and writes the index rows of the new ancestors with its own SQL.
    migration = importlib.import_module("cooperation.migrations.0016_places_rooted_in_countries")
    migration.root_in_countries(apps, connection.schema_editor())

    assert Place.objects.get(slug="azerbaijan").kind == Place.Kind.COUNTRY
    tajikistan = Place.objects.get(slug="dushanbe").parent
    assert (tajikistan.kind, tajikistan.name_en, tajikistan.name_ru) == (
        Place.Kind.COUNTRY,
        "Tajikistan",
        "Таджикистан",
    )
    assert not Place.objects.filter(parent=None).exclude(kind=Place.Kind.COUNTRY).exists()

    def rows():
        places = Q(term__startswith="l:")
        return (
            sorted(EventTerm.objects.filter(places).values_list("delegation_id", "term")),
            sorted(EventTermCount.objects.filter(places).values_list("term", "events")),
        )

    migrated = rows()
    eventindex.rebuild()
    assert rows() == migrated
    assert listed(client, place=tajikistan.slug) == {"council"}


def test_places_and_topics_nest_at_most_five_deep(scene):
    place = scene["museum"]  # Azerbaijan > Baku > Museum
    for n in range(2):
        place = Place.objects.create(name=f"Room {n}", slug=f"room-{n}", country="AZ", parent=place)
    place.full_clean()  # five levels
    deeper = Place(name="Shelf", slug="shelf", country="AZ", parent=place)
    with pytest.raises(ValidationError) as refused:
        deeper.full_clean()
    assert "at most 5 levels" in str(refused.value)
    # Moving a whole branch under another counts the levels below it too.
    baku = scene["baku"]
    baku.parent = scene["dushanbe"]
    baku.country = "TJ"  # a place is in the country of the place holding it
    baku.full_clean()
    top = Place.objects.create(name="Region", slug="region", country="AZ")
    scene["azerbaijan"].parent = top
    with pytest.raises(ValidationError):
        scene["azerbaijan"].full_clean()
