"""Every public page runs a fixed number of queries, however many rows it shows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation.models import (
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Occasion,
    Person,
    Place,
    ProgramSignatory,
    Series,
    SiteVisit,
    Topic,
    Workshop,
)
from cooperation.records import derived


@pytest.fixture
def crowd(world, make_event):
    """A person, topic and place that take part in `n` more published events."""
    person = Person.objects.create(name="Frequent Guest", slug="frequent-guest")
    topic = Topic.objects.create(name="Extradition", slug="extradition")
    museum = Place.objects.create(name="Museum", slug="museum", country="AZ", parent=world.baku)
    ProgramSignatory.objects.create(
        program=world.program, person=person, organization=world.russia, title="Envoy"
    )
    # The second session of a council (the first and third public too) and a forum whose
    # meetings took place during visits that were part of the session.
    council = Series.objects.create(name="Council", slug="council")
    sessions = [
        Occasion.objects.create(
            name=f"Session {n}", slug=f"session-{n}", series=council, number=n, place=world.baku
        )
        for n in (1, 2, 3)
    ]
    forum = Occasion.objects.create(name="Forum", slug="forum")
    for session in (sessions[0], sessions[2]):
        derived.refresh([make_event(occasion=session).pk])

    def grow(n):
        for _ in range(n):
            event = make_event(
                sending_organization=world.russia,
                host_organization=world.azerbaijan,
                location=world.baku,
                program=world.program,
                start_date=dt.date(2022, 1, 1),
                occasion=sessions[1],
            )
            DelegationMember.objects.create(delegation=event, person=person)
            meeting = Meeting.objects.create(
                delegation=event, slug="m", title="Talks", occasion=forum
            )
            MeetingParticipant.objects.create(meeting=meeting, person=person, side="visiting")
            Workshop.objects.create(delegation=event, slug="w", title="W").topics.add(topic)
            SiteVisit.objects.create(delegation=event, slug="s", title="Tour", place=museum)
            # Written through the ORM, not the admin: derived data is refreshed by hand.
            derived.refresh([event.pk])

    return grow


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# The pinned figure is the count with a few rows; the test then checks it does not grow.
# Every public request first reads the registry version (its ETag and cache key): the
# leading "1 +" below; what the page keeps per version asks for that one
# (registry_version.held). The timeline on a programme's, organization's, person's or topic's
# page reads its counts in two (the number of visits the index keeps for the record; since
# it is few enough to count from the record's own index rows, those rows by year), the last
# two of each of those pages' figures.
PAGES = {
    # recent events with their offices and places; programmes; the visit types' counts
    "/": 1 + 3,
    # count; a page of programmes with their published event counts; their parties
    "/programs/": 1 + 3,
    # programme with its signing place, the visit it was signed during, its event count and
    # when it or a part last changed; parties; topics; signatories; their other spellings
    # of their names (languages.person_name); citations; its most recent events
    "/programs/program-2021-2023/": 1 + 9,
    # organization; its public units; count; the ids of a page of events; those events
    "/organizations/ru-pgo/": 1 + 7,
    # person; other names; positions; programmes signed; count; ids; events
    "/people/frequent-guest/": 1 + 9,
    # topic; public narrower topics; count; ids; events; instruments on the topic
    "/topics/extradition/": 1 + 8,
    # place with its parent (its country); whether that is public; places inside; count;
    # ids; events
    "/places/baku/": 1 + 6,
    "/places/museum/": 1 + 6,
    # the topic named in the URL (read once, while the list settles names: suggest.py);
    # count; ids of the page; its events; the results' ids for counting (cooperation/
    # facets.py); their index rows, every facet and picture counted in one GROUP BY; on the
    # first request of a registry version, the organizations, people (and their other
    # spellings), instruments, topics, places and occasions the facets name
    # (views.facet_records), and the places the map draws, kept for that version
    "/events/?topic=extradition&year=2022": 1 + 14,
    # occasion with its series and place; the previous and the next public meeting of the
    # series; whether its place is public; activities of other visits that were part of it
    # (meetings, workshops, site visits); count; ids; events
    "/occasions/session-2/": 1 + 10,
    # ...and, for an occasion of no series and no place, neither neighbours nor place
    "/occasions/forum/": 1 + 7,
    # the same list for an occasion (the form lists no choices: records are chosen by name)
    "/events/?occasion=session-2": 1 + 14,
}
# Pages that list the crowd's events.
LISTS = {url for url in PAGES if url not in ("/programs/",)}


@pytest.mark.parametrize(("url", "expected"), PAGES.items())
def test_page_query_count_is_fixed(client, crowd, url, expected):
    crowd(2)
    assert count_queries(client, url) == expected
    crowd(15)
    assert count_queries(client, url) == expected
    if url in LISTS:
        assert 'class="event-item"' in client.get(url).text, url


def test_the_records_facets_name_are_read_once_per_version(client, crowd, world):
    crowd(2)
    first = count_queries(client, "/events/?occasion=session-2")
    # Another list naming the same records, in the same version of the registry: the
    # organizations, people, programme, topic, places and occasion its facets name, and the
    # places its map draws, are not read again.
    again = count_queries(client, "/events/?occasion=session-2&sort=title")
    assert again < first
    # A record renamed: the next list reads them again, and names it as it is now.
    world.russia.name = "Prosecutor General's Office of Russia (renamed)"
    world.russia.save()
    assert count_queries(client, "/events/?occasion=session-2&sort=date") == first
    facets = client.get("/events/?occasion=session-2&sort=title").context["facets"]
    organizations = next(facet for facet in facets if facet["name"] == "organization")
    assert "Prosecutor General's Office of Russia (renamed)" in [
        item["label"] for item in organizations["items"]
    ]
