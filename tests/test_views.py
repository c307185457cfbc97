"""Public pages: only published records, a fixed number of queries, clear errors."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix
from django.utils import timezone, translation

from cooperation import records
from cooperation.models import (
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Organization,
    Person,
    Place,
    SiteVisit,
    Status,
    Topic,
    Workshop,
)


def test_event_list_shows_published_events_only(client, world):
    response = client.get("/events/")
    assert response.status_code == 200
    assert "Published working visit" in response.text
    assert "Draft working visit" not in response.text


def test_draft_event_is_404(client, world):
    assert client.get("/events/draft-visit/").status_code == 404


def test_unknown_event_is_404(client, world):
    assert client.get("/events/no-such-visit/").status_code == 404


def test_published_event_page_shows_the_visit(client, world):
    response = client.get("/events/published-visit/")
    assert response.status_code == 200
    assert world.russia.name in response.text.replace("&#x27;", "'")
    assert '<time datetime="2023-12-15">15 December 2023</time>' in response.text
    assert "/programs/program-2021-2023/" in response.text


def test_event_under_a_draft_programme_does_not_link_to_it(client, world):
    world.program.status = Status.DRAFT
    world.program.save()
    response = client.get("/events/published-visit/")
    assert response.status_code == 200
    assert "/programs/program-2021-2023/" not in response.text
    assert world.program.title not in response.text
    assert client.get("/programs/program-2021-2023/").status_code == 404


def test_programme_list_counts_published_events_only(client, world, make_event):
    assert "1 published event<" in client.get("/programs/").text
    make_event(program=world.program)
    assert "2 published events<" in client.get("/programs/").text
    world.published.delete()
    assert "1 published event<" in client.get("/programs/").text


def test_programme_page_lists_only_its_published_events(client, world):
    response = client.get("/programs/program-2021-2023/")
    assert response.status_code == 200
    assert "/events/published-visit/" in response.text
    assert "/events/draft-visit/" not in response.text


def test_home_page_shows_recent_published_events(client, world):
    response = client.get("/")
    assert response.status_code == 200
    assert "/events/published-visit/" in response.text
    assert "/events/draft-visit/" not in response.text


def test_event_list_query_count_does_not_grow_with_events(
    client, world, make_event, django_assert_num_queries
):
    # The registry version (ETag and cache key); the ids of a page; those events with their
    # offices, place and programme; on the first request of a registry version, the whole
    # archive's counts (cooperation/facets.py: the list's count is their years' sum), the
    # organizations, programmes and places the facets name (no visit here has a person, a
    # topic or an occasion; views.facet_records) and the places the map draws, each kept
    # for that version.
    with django_assert_num_queries(8):
        client.get("/events/")
    for _ in range(19):
        make_event()
    with django_assert_num_queries(8):
        response = client.get("/events/")
    assert response.text.count('class="event-item"') == 20


def add_activities(event, n):
    person = Person.objects.create(name=f"Guest {event.pk}", slug=f"guest-{event.pk}")
    topic = Topic.objects.create(name=f"Topic {event.pk}", slug=f"topic-{event.pk}")
    place = Place.objects.create(
        name=f"Museum {event.pk}", slug=f"museum-{event.pk}", country="AZ", parent=event.location
    )
    DelegationMember.objects.create(delegation=event, person=person, is_head=True)
    for i in range(n):
        meeting = Meeting.objects.create(delegation=event, slug=f"m{i}", title=f"Talks {i}")
        MeetingParticipant.objects.create(meeting=meeting, person=person, side="visiting")
        workshop = Workshop.objects.create(delegation=event, slug=f"w{i}", title=f"Workshop {i}")
        workshop.topics.add(topic)
        SiteVisit.objects.create(delegation=event, slug=f"s{i}", title=f"Tour {i}", place=place)


def test_event_page_query_count_does_not_grow_with_activities(
    client, world, make_event, django_assert_num_queries
):
    small = make_event(slug="small-visit")
    add_activities(small, 1)
    big = make_event(slug="big-visit")
    add_activities(big, 8)
    # 1 event with its place, programme and occasion; its sending and host offices with
    # their parents (views.attach_organizations); citations; members; meetings;
    # participants; meeting citations; workshops; workshop citations; site visits;
    # site-visit citations; the instruments signed during it; the other spellings of the
    # people it names (cooperation/languages.person_name); which topics the visit and its
    # meetings, workshops and site visits have, all in one, then those topics
    # (views.attach_topics); and first the registry version.
    with django_assert_num_queries(16):
        client.get("/events/small-visit/")
    with django_assert_num_queries(16):
        response = client.get("/events/big-visit/")
    assert response.text.count('class="activity ') == 24


def test_event_page_reads_its_parts_without_joining_the_records_they_belong_to(
    client, world, make_event
):
    # A part's query joins only what the page shows of it (its person, place, source…):
    # sorting a visit's members or a meeting's participants by the visit or the meeting
    # joined that table to the query only to sort by it (models' Meta.ordering).
    event = make_event(slug="joined-visit")
    add_activities(event, 2)
    with CaptureQueriesContext(connection) as captured:
        client.get("/events/joined-visit/")
    parts = [q["sql"] for q in captured.captured_queries if re.search(r"_id\" IN \(", q["sql"])]
    assert len(parts) >= 10
    for sql in parts:
        base = re.search(r'FROM "(\w+)"', sql).group(1)
        parent = {
            "cooperation_meetingparticipant": "cooperation_meeting",
            "cooperation_personname": "cooperation_person",
        }.get(base, "cooperation_delegation")
        assert f'JOIN "{parent}"' not in sql, sql


def test_timeline_puts_undated_activities_first_and_never_invents_dates(client, world):
    Meeting.objects.create(
        delegation=world.published, slug="talks", title="Talks", date=dt.date(2023, 12, 15)
    )
    Meeting.objects.create(delegation=world.published, slug="welcome", title="Welcome", order=1)
    text = client.get("/events/published-visit/").text
    assert text.index("Welcome") < text.index("Talks")
    assert "Date not given in the sources" in text


@pytest.mark.parametrize(
    "url",
    [
        "/organizations/ru-pgo/",
        "/places/baku/",
        "/programs/program-2021-2023/",
    ],
)
def test_entity_pages_of_published_records_answer(client, world, url):
    assert client.get(url).status_code == 200


def test_entity_only_in_a_draft_is_404(client, world, make_event):
    draft = make_event(status=Status.DRAFT)
    secret = Person.objects.create(name="Secret Guest", slug="secret-guest")
    DelegationMember.objects.create(delegation=draft, person=secret)
    topic = Topic.objects.create(name="Secret topic", slug="secret-topic")
    Workshop.objects.create(delegation=draft, slug="w", title="W").topics.add(topic)
    assert client.get("/people/secret-guest/").status_code == 404
    assert client.get("/topics/secret-topic/").status_code == 404
    assert client.get(f"/organizations/{draft.sending_organization.slug}/").status_code == 404
    assert client.get(f"/places/{draft.location.slug}/").status_code == 404
    # published (through the write path, which keeps the event index in step), the same
    # records appear
    draft.status = Status.PUBLISHED
    draft.published_at = timezone.now()
    with records.change():
        draft.save()
    assert client.get("/people/secret-guest/").status_code == 200
    assert client.get("/topics/secret-topic/").status_code == 200


def test_place_page_lists_events_at_places_inside_it(client, world):
    with records.change():
        museum = Place.objects.create(name="Museum", slug="museum", country="AZ", parent=world.baku)
        SiteVisit.objects.create(delegation=world.published, slug="m", title="Tour", place=museum)
    assert "/events/published-visit/" in client.get("/places/museum/").text
    assert "/events/published-visit/" in client.get("/places/baku/").text


def test_entity_page_links_to_the_prefiltered_event_list(client, world):
    text = client.get("/organizations/ru-pgo/").text
    assert "/events/?organization=ru-pgo" in text


def test_entity_page_number_past_the_end_is_404(client, world):
    assert client.get("/organizations/ru-pgo/?page=9").status_code == 404
    assert client.get("/organizations/ru-pgo/?page=x").status_code == 400


def test_event_page_carries_json_ld_event_with_sub_events(client, world):
    Meeting.objects.create(
        delegation=world.published, slug="talks", title="Talks", date=dt.date(2023, 12, 15)
    )
    response = client.get("/events/published-visit/")
    block = re.search(
        r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', response.text, re.S
    ).group(1)
    data = json.loads(block)
    assert data["@type"] == "Event"
    assert data["startDate"] == "2023-12-15"
    assert data["subEvent"][0]["name"] == "Talks"
    assert data["subEvent"][0]["startDate"] == "2023-12-15"
    assert data["organizer"]["name"] == world.azerbaijan.name


def test_not_found_page_is_in_the_site_style_and_says_nothing_more(client, db, settings):
    settings.DEBUG = False
    response = client.get("/events/no-such-visit/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Browse the events" in response.text
    assert "Traceback" not in response.text and "urlpatterns" not in response.text


def test_a_request_for_an_unknown_host_answers_400(client, world, settings):
    settings.ALLOWED_HOSTS = ["example.org"]
    client.raise_request_exception = False
    for url in ("/", "/events/", "/events/published-visit/", "/robots.txt"):
        response = client.get(url, HTTP_HOST="attacker.example")
        assert response.status_code == 400, url
        assert "Request not understood" in response.text


def test_event_page_lists_each_part_s_own_topics_by_their_shown_name(client, world, make_event):
    # The visit's topics and each activity's are read together (views.attach_topics): each
    # list holds its own record's topics only, in the order of their names as the page's
    # language shows them, a topic shared by two parts listed under both.
    event = make_event(slug="topical-visit")
    zeta = Topic.objects.create(name="Zeta crime", name_ru="Альфа", slug="zeta")
    alpha = Topic.objects.create(name="Alpha law", name_ru="Бета", slug="alpha")
    only_meeting = Topic.objects.create(name="Meeting matter", slug="meeting-matter")
    event.topics.add(zeta, alpha)
    meeting = Meeting.objects.create(delegation=event, slug="m", title="Talks")
    meeting.topics.add(only_meeting, zeta)
    site_visit = SiteVisit.objects.create(
        delegation=event, slug="s", title="Tour", place=event.location
    )
    site_visit.topics.add(alpha)
    Workshop.objects.create(delegation=event, slug="w", title="Lecture")

    def topic_lists(path):
        page = client.get(path).text
        return [
            re.findall(r'<a href="[^"]*/topics/([a-z-]+)/"', found)
            for found in re.findall(r'<ul class="topics">(.*?)</ul>', page, re.S)
        ]

    # The visit's (in its details), then the timeline's: the meeting, the site visit; the
    # workshop has none and no list.
    assert topic_lists("/events/topical-visit/") == [
        ["alpha", "zeta"],
        ["meeting-matter", "zeta"],
        ["alpha"],
    ]
    # On /ru/ by the Russian names ("Meeting matter" has none: its English name sorts
    # by the Latin letters, before the Cyrillic).
    assert topic_lists("/ru/events/topical-visit/") == [
        ["zeta", "alpha"],
        ["meeting-matter", "zeta"],
        ["alpha"],
    ]


def test_record_addresses_follow_the_language_and_the_script_prefix():
    # Kept per process (cooperation/addresses.py), the address still changes with what
    # reverse() reads: the page's language and the prefix the site is served under.
    office = Organization(slug="some-office")
    assert office.get_absolute_url() == "/organizations/some-office/"
    with translation.override("ru"):
        assert office.get_absolute_url() == "/ru/organizations/some-office/"
    set_script_prefix("/registry/")
    try:
        assert office.get_absolute_url() == "/registry/organizations/some-office/"
        with translation.override("az"):
            assert office.get_absolute_url() == "/registry/az/organizations/some-office/"
    finally:
        set_script_prefix("/")
    assert office.get_absolute_url() == "/organizations/some-office/"
