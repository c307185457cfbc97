"""What the sources leave unsaid stays unsaid: a visit of no stated type, a meeting over two
days or online, a source whose headline or language is not known. Each is kept as such by
the model and said as such on the page, never filled with a default."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperation import records
from cooperation.models import Delegation, DelegationCitation, Meeting, Source, Workshop


@pytest.fixture
def visit(make_event):
    return make_event(
        slug="unstated",
        visit_type=Delegation.VisitType.NOT_STATED,
        start_date=dt.date(2025, 10, 20),
        end_date=dt.date(2025, 10, 22),
    )


def page(client, slug="unstated"):
    response = client.get(f"/events/{slug}/")
    assert response.status_code == 200
    return response.text


def test_a_visit_of_no_stated_type_says_so_and_is_found_as_such(client, visit, make_event):
    make_event(slug="working")
    assert "Visit (type not stated)" in page(client)
    response = client.get("/events/", {"visit_type": "not_stated"})
    assert [event.slug for event in response.context["events"]] == ["unstated"]


def test_a_two_day_meeting_shows_both_days(client, visit):
    with records.change():
        Meeting.objects.create(
            delegation=visit,
            slug="session",
            title="Session",
            date=dt.date(2025, 10, 20),
            end_date=dt.date(2025, 10, 21),
        )
    text = page(client)
    assert (
        '<time datetime="2025-10-20">20 October 2025</time> – '
        '<time datetime="2025-10-21">21 October 2025</time> · Meeting'
    ) in text
    assert "Date not given in the sources" not in text


@pytest.mark.parametrize(
    "dates, field",
    [
        ((dt.date(2025, 10, 21), dt.date(2025, 10, 20)), "end_date"),  # ends before it starts
        ((None, dt.date(2025, 10, 21)), "end_date"),  # a last day with no first
        ((dt.date(2025, 10, 21), dt.date(2025, 10, 25)), "end_date"),  # after the visit
    ],
)
def test_impossible_activity_dates_are_refused_with_their_field(visit, dates, field):
    meeting = Meeting(
        delegation=visit, slug="session", title="Session", date=dates[0], end_date=dates[1]
    )
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean()
    assert field in refused.value.message_dict


def test_the_database_refuses_an_activity_ending_before_it_starts(visit):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            delegation=visit,
            slug="session",
            title="Session",
            date=dt.date(2025, 10, 21),
            end_date=dt.date(2025, 10, 20),
        )


def test_an_online_meeting_has_no_place_and_says_online(client, visit, world):
    online = Workshop(delegation=visit, slug="online", title="Call", online=True, place=world.baku)
    with pytest.raises(ValidationError) as refused:
        online.full_clean()
    assert "place" in refused.value.message_dict
    with records.change():
        Meeting.objects.create(delegation=visit, slug="call", title="Video call", online=True)
    assert "· online" in page(client)


def test_a_source_with_no_known_headline_or_language(client, visit):
    source = Source.objects.create(
        url="https://example.org/unknown-headline",
        title="Report of the council session",
        title_is_descriptive=True,
        publisher="Example Agency",
        language="",
    )
    source.full_clean()
    with records.change():
        DelegationCitation.objects.create(delegation=visit, source=source, order=1)
    text = page(client)
    assert "Report of the council session</a> (a description: the headline is not known)" in text
    assert "language not stated" in text
    assert 'hreflang=""' not in text and 'lang=""' not in text
