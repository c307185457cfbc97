"""Pages in Azerbaijani and Russian: one "not yet translated" note per record block (the
English text still marked lang="en"), posts' titles in the page's language, and people
named in the page's script where the record holds their name in it."""

import datetime as dt
import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cooperation.languages import person_name, pick_name
from cooperation.models import (
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Person,
    PersonName,
    Position,
    ProgramSignatory,
)
from cooperation.records import derived
from cooperation.templatetags.records import untranslated_note
from tests.test_admin import admin_url


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def notes(text, language):
    with translation.override(language):
        return text.count(f'class="untranslated">{untranslated_note()}<')


def kamran():
    """Kamran Aliyev, with his name in Azerbaijani Latin and in Cyrillic."""
    person = Person.objects.create(name="Kamran Aliyev", slug="kamran-aliyev")
    PersonName.objects.create(person=person, name="Kamran Əliyev", language="az", script="Latn")
    PersonName.objects.create(person=person, name="Камран Алиев", language="ru", script="Cyrl")
    return person


@pytest.fixture
def visit(world, make_event):
    """A published visit written in English only: Kamran Aliyev heads it and speaks at the
    first of its two meetings; he signed the programme it carries out, as Prosecutor
    General (a post with its Russian title) and Adviser (a post with none)."""
    # Written through the ORM, not the admin: derived data is refreshed by hand.
    event = make_event(
        title="Talks on mutual legal assistance",
        slug="talks",
        purpose="To agree on extradition.",
        summary="Two days of talks.",
        program=world.program,
        start_date=dt.date(2024, 5, 6),
        end_date=dt.date(2024, 5, 7),
    )
    person = kamran()
    DelegationMember.objects.create(delegation=event, person=person, role="Head", is_head=True)
    opening = Meeting.objects.create(
        delegation=event, slug="opening", title="Opening talks", date=dt.date(2024, 5, 6)
    )
    MeetingParticipant.objects.create(
        meeting=opening, person=person, side="visiting", role="spoke first"
    )
    Meeting.objects.create(
        delegation=event, slug="closing", title="Closing talks", date=dt.date(2024, 5, 7)
    )
    ProgramSignatory.objects.create(
        program=world.program, person=person, organization=world.russia, title="Envoy"
    )
    Position.objects.create(
        person=person,
        organization=world.russia,
        title_en="Prosecutor General",
        title_ru="Генеральный прокурор",
        start_date=dt.date(2020, 1, 1),
    )
    Position.objects.create(person=person, organization=world.russia, title_en="Adviser")
    derived.refresh([event.pk])
    return event


def test_each_untranslated_block_of_a_visit_page_says_so_once(client, visit):
    text = page(client, "/ru/events/talks/")

    # The header (title, offices, place), purpose, summary, the delegation's list and each
    # meeting fall back to English: one note each, though the header alone has five texts
    # in English and the first meeting two.
    assert notes(text, "ru") == 6
    assert '<h1><span lang="en">Talks on mutual legal assistance</span></h1>' in text
    assert '<span lang="en">Sending Office' in text
    assert '<p><span lang="en">To agree on extradition.</span></p>' in text
    assert '<div lang="en"><p>Two days of talks.</p></div>' in text
    assert '<h3><span lang="en">Opening talks</span></h3>' in text
    assert ': <span lang="en">spoke first</span>' in text
    for meeting in ("opening", "closing"):
        block = re.search(rf'<li id="[^"]*{meeting}[^"]*".*?</h3>.*?(?=<li id=|</ol>)', text, re.S)
        assert notes(block[0], "ru") == 1, meeting

    # On the English page nothing is marked.
    english = page(client, "/events/talks/")
    assert 'class="untranslated"' not in english


def test_translated_block_has_no_note(client, visit):
    for meeting in Meeting.objects.filter(delegation=visit):
        meeting.title_ru = "Переговоры"
        meeting.save()
    text = page(client, "/ru/events/talks/")
    assert "<h3>Переговоры</h3>" in text
    # The closing meeting has nothing left in English; the opening one its speaker's role.
    assert notes(text, "ru") == 5


def test_post_title_in_the_pages_language_or_marked_english(client, visit):
    text = page(client, "/ru/people/kamran-aliyev/")
    positions = text.split('id="positions-heading"', 1)[1].split("</section>", 1)[0]

    assert "<li>Генеральный прокурор, " in positions
    assert '<li><span lang="en">Adviser</span>, ' in positions
    assert notes(positions, "ru") == 1
    assert "<li>Prosecutor General, " in page(client, "/people/kamran-aliyev/")


@pytest.mark.parametrize(
    ("prefix", "name", "not_shown"),
    [("/ru", "Камран Алиев", "Kamran Aliyev"), ("", "Kamran Aliyev", "Камран Алиев")],
)
def test_a_person_is_named_in_the_pages_script(client, visit, prefix, name, not_shown):
    person_page = page(client, f"{prefix}/people/kamran-aliyev/")
    assert f"<title>{name}" in person_page
    assert f"<h1>{name}</h1>" in person_page

    event_page = page(client, f"{prefix}/events/talks/")
    link = f'<a href="{prefix}/people/kamran-aliyev/">{name}</a>'
    members = event_page.split('id="people-heading"', 1)[1].split("</section>", 1)[0]
    assert link in members
    opening = event_page.split("<h4>", 1)[1].split("</ul>", 1)[0]
    assert link in opening
    data = json.loads(
        re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', event_page, re.S)[1]
    )
    assert {"@type": "Person", "name": name} in [
        {key: attendee[key] for key in ("@type", "name")} for attendee in data["attendee"]
    ]
    assert not_shown not in event_page

    programme = page(client, f"{prefix}/programs/program-2021-2023/")
    assert link in programme and not_shown not in programme

    listed = page(client, f"{prefix}/events/?person=kamran-aliyev")
    assert re.search(rf'class="chip">[^<]*: {name}<', listed)


def test_azerbaijani_pages_use_the_azerbaijani_spelling(client, visit):
    text = page(client, "/az/people/kamran-aliyev/")
    assert "<h1>Kamran Əliyev</h1>" in text
    # The other spellings, the English one among them, are still given.
    assert '<span lang="en">Kamran Aliyev</span>' in text
    assert '<span lang="ru">Камран Алиев</span>' in text


def test_a_spelling_in_the_script_but_another_language_is_used_only_where_it_reads(db):
    person = Person(name="Bakhtiyor Ibragimov")
    variants = [("Бахтиёр Иброҳимов", "uz", "Cyrl"), ("Baxtiyor Ibrohimov", "uz", "Latn")]

    assert pick_name(person.name, variants, "ru") == "Бахтиёр Иброҳимов"
    assert pick_name(person.name, variants, "az") == "Bakhtiyor Ibragimov"
    assert pick_name(person.name, [*variants, ("Бахтиёр Ибрагимов", "ru", "Cyrl")], "ru") == (
        "Бахтиёр Ибрагимов"
    )
    assert pick_name(person.name, variants, "en") == "Bakhtiyor Ibragimov"


def test_naming_more_people_costs_no_more_queries(client, visit):
    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = ["/ru/events/talks/", "/ru/programs/program-2021-2023/"]
    before = [count(url) for url in urls]
    opening = Meeting.objects.get(delegation=visit, slug="opening")
    for n in range(3):
        other = Person.objects.create(name=f"Guest {n}", slug=f"guest-{n}")
        PersonName.objects.create(person=other, name=f"Гость {n}", script="Cyrl")
        DelegationMember.objects.create(delegation=visit, person=other)
        MeetingParticipant.objects.create(meeting=opening, person=other, side="host", order=n + 1)
        ProgramSignatory.objects.create(
            program=visit.program,
            person=other,
            organization=visit.program.parties.first(),
            title="Guest",
        )
    derived.refresh([visit.pk])
    assert [count(url) for url in urls] == before
    assert "Гость 2" in page(client, "/ru/events/talks/")


def test_person_name_reads_the_prefetched_spellings(visit, django_assert_num_queries):
    person = Person.objects.prefetch_related("other_names").get(slug="kamran-aliyev")
    with django_assert_num_queries(0):
        assert person_name(person, "ru") == "Камран Алиев"
        assert person_name(person, "az") == "Kamran Əliyev"
        assert person_name(person, "en") == "Kamran Aliyev"


def test_admin_keeps_a_posts_title_in_every_language(admin_client, world):
    person = Person.objects.create(name="Kamran Aliyev", slug="kamran-aliyev")
    data = {
        "person": person.pk,
        "organization": world.azerbaijan.pk,
        "title_en": "Prosecutor General",
        "title_az": "Baş prokuror",
        "title_ru": "Генеральный прокурор",
    }
    response = admin_client.post(admin_url(Position, "add"), data)

    assert response.status_code == 302
    post = Position.objects.get()
    assert (post.title_en, post.title_az, post.title_ru) == (
        "Prosecutor General",
        "Baş prokuror",
        "Генеральный прокурор",
    )
    assert post.natural_key() == ("kamran-aliyev", "az-pgo", "Prosecutor General")
    with translation.override("ru"):
        assert post.natural_key() == ("kamran-aliyev", "az-pgo", "Prosecutor General")
        assert Position.objects.get_by_natural_key(*post.natural_key()) == post
