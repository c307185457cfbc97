"""Occasions and series as a reader meets them: a numbered meeting's page with its
neighbours in the series, the activities of other visits that were part of it, and the
event list filtered by it; only what published visits make public."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation.models import Meeting, Occasion, Series, Status
from cooperation.records import derived
from tests.conftest import listed


@pytest.fixture
def council(world, make_event):
    """The 14th, 15th and 16th meetings of a format: the 15th has a published visit and a
    meeting held during another published visit; the 16th only a draft."""
    series = Series.objects.create(name="GCC prosecutors' meetings", slug="gcc-meetings")
    meetings = {
        n: Occasion.objects.create(
            name=f"{n}th meeting",
            slug=f"meeting-{n}",
            series=series,
            number=n,
            kind=Occasion.Kind.MEETING,
        )
        for n in (14, 15, 16)
    }
    visits = {
        "earlier": make_event(slug="earlier", occasion=meetings[14]),
        "at-15th": make_event(slug="at-15th", occasion=meetings[15]),
        "draft-16th": make_event(slug="draft-16th", occasion=meetings[16], status=Status.DRAFT),
        "other": make_event(slug="other"),
    }
    Meeting.objects.create(
        delegation=visits["other"], slug="side-talks", title="Side talks", occasion=meetings[15]
    )
    derived.refresh([visit.pk for visit in visits.values()])
    return meetings


def test_a_numbered_meeting_links_its_public_neighbours_only(client, council):
    page = client.get("/occasions/meeting-15/")

    assert page.status_code == 200
    text = page.text
    assert "GCC prosecutors&#x27; meetings" in text
    assert "meeting no. 15" in text
    assert 'href="/occasions/meeting-14/" rel="prev"' in text
    # The 16th has only a draft: no page, no link.
    assert "/occasions/meeting-16/" not in text
    assert client.get("/occasions/meeting-16/").status_code == 404


def test_an_occasion_lists_its_visits_and_the_activities_of_other_visits(client, council):
    text = client.get("/occasions/meeting-15/").text

    assert "/events/at-15th/" in text
    assert "Activities during other visits" in text
    assert 'href="/events/other/#meeting-side-talks"' in text
    assert "/events/draft-16th/" not in text


def test_the_event_list_filters_by_occasion_of_a_visit_or_of_one_of_its_meetings(client, council):
    assert listed(client, occasion="meeting-15") == {"at-15th", "other"}
    assert listed(client, occasion="meeting-14") == {"earlier"}
    # A draft's occasion is no public record: the filter says it does not know it.
    assert client.get("/events/", {"occasion": "meeting-16"}).status_code == 400


def test_a_visits_page_names_its_occasion_and_an_activitys_own(client, council):
    assert 'href="/occasions/meeting-15/"' in client.get("/events/at-15th/").text
    with CaptureQueriesContext(connection) as named:
        other = client.get("/events/other/").text
    assert "Part of" in other and 'href="/occasions/meeting-15/"' in other
    # The activity's own occasion costs the page one query (views.attach_other_occasions),
    # whatever the number of activities; a page with none of its own does not pay it.
    side_talks = Meeting.objects.get(slug="side-talks")
    side_talks.occasion = None
    side_talks.save()
    with CaptureQueriesContext(connection) as unnamed:
        assert "/occasions/" not in client.get("/events/other/").text
    assert len(named) == len(unnamed) + 1
    # An activity that was part of the visit's own occasion does not name it again.
    Meeting.objects.create(
        delegation=council[15].delegations.get(),
        slug="at-the-meeting",
        title="Working session",
        occasion=council[15],
    )
    at_15th = client.get("/events/at-15th/").text
    assert "Working session" in at_15th
    assert at_15th.count('href="/occasions/meeting-15/"') == 1
