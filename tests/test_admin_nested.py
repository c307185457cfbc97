"""A meeting entered on its visit's page, with its participants and sources nested inside
it, saved by the page's one save as one change of the write path; and the order numbers
the admin gives rows left without one."""

import pytest

from cooperation.models import Delegation, Meeting, MeetingCitation, MeetingParticipant, Source
from tests.test_admin import admin_url, change_page_data

pytestmark = pytest.mark.django_db

MEETING = "meetings-0"
PARTICIPANTS = f"{MEETING}-participants"
CITATIONS = f"{MEETING}-meetingcitation_set"


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def new_meeting_data(admin_client, visit, participants, source, **meeting):
    """The visit's change page as a browser posts it with one new meeting: `participants`
    as (organization, side, order) rows, and `source` cited."""
    page = admin_client.get(admin_url(Delegation, "change", visit.pk))
    data = change_page_data(page)
    data.update(management("meetings", 1))
    data.update(
        {
            f"{MEETING}-title_en": "Talks of the five offices",
            f"{MEETING}-slug": "talks-of-the-five-offices",
            f"{MEETING}-date": visit.start_date.isoformat(),
            f"{MEETING}-order": "1",
            **{f"{MEETING}-{name}": value for name, value in meeting.items()},
        }
    )
    data.update(management(PARTICIPANTS, len(participants)))
    for index, (organization, side, order) in enumerate(participants):
        data.update(
            {
                f"{PARTICIPANTS}-{index}-organization": organization.pk if organization else "",
                f"{PARTICIPANTS}-{index}-side": side,
                f"{PARTICIPANTS}-{index}-order": order,
            }
        )
    data.update(management(CITATIONS, 1))
    data.update({f"{CITATIONS}-0-source": source.pk, f"{CITATIONS}-0-order": ""})
    return data


def post(admin_client, visit, data):
    return admin_client.post(admin_url(Delegation, "change", visit.pk), data)


def test_nested_rows_are_saved_with_the_visit_through_the_write_path(admin_client, world):
    source = Source.objects.get()
    host, visiting = MeetingParticipant.Side.HOST, MeetingParticipant.Side.VISITING
    data = new_meeting_data(
        admin_client,
        world.draft,
        [(world.azerbaijan, host, "1"), (world.russia, visiting, "2")],
        source,
    )

    response = post(admin_client, world.draft, data)

    assert response.status_code == 302
    meeting = world.draft.meetings.get()
    participants = list(meeting.participants.all())
    assert [(p.organization, p.order) for p in participants] == [
        (world.azerbaijan, 1),
        (world.russia, 2),
    ]
    citation = MeetingCitation.objects.get(activity=meeting)
    assert citation.source == source
    # The history names each nested row as added, by the admin user, in the same save.
    for record in (*participants, citation):
        history = list(record.history.all())
        assert [(h.history_type, h.history_user.username) for h in history] == [("+", "admin")]
    # The visit's derived search text was rebuilt: it reads the new meeting.
    visits = Delegation.objects.filter(pk=world.draft.pk)
    assert visits.filter(visits.matching_text("five offices")).exists()


def test_an_invalid_nested_row_is_an_error_and_nothing_is_lost(admin_client, world):
    source = Source.objects.get()
    host = MeetingParticipant.Side.HOST
    # The second participant names nobody.
    data = new_meeting_data(
        admin_client, world.draft, [(world.azerbaijan, host, "1"), (None, host, "2")], source
    )

    response = post(admin_client, world.draft, data)

    assert response.status_code == 200
    assert "A participant is a person, an organization or both." in response.text
    assert not world.draft.meetings.exists()
    assert not MeetingParticipant.objects.filter(meeting__delegation=world.draft).exists()
    # What was typed is shown again, ready to be corrected.
    assert 'value="Talks of the five offices"' in response.text
    assert f'<option value="{world.azerbaijan.pk}" selected>' in response.text


def test_new_rows_left_without_a_number_take_the_next_free_ones(admin_client, world):
    source = Source.objects.get()
    host = MeetingParticipant.Side.HOST
    data = new_meeting_data(
        admin_client,
        world.draft,
        [(world.azerbaijan, host, "3"), (world.russia, host, "")],
        source,
    )

    response = post(admin_client, world.draft, data)

    assert response.status_code == 302
    meeting = world.draft.meetings.get()
    assert [(p.organization, p.order) for p in meeting.participants.all()] == [
        (world.azerbaijan, 3),
        (world.russia, 4),
    ]
    # The citation, left without a number too, is the meeting's first.
    assert MeetingCitation.objects.get(activity=meeting).order == 1


def test_two_new_blank_numbers_do_not_clash_with_each_other_or_a_stored_row(admin_client, world):
    source = Source.objects.get()
    host = MeetingParticipant.Side.HOST
    data = new_meeting_data(admin_client, world.draft, [(world.azerbaijan, host, "1")], source)
    assert post(admin_client, world.draft, data).status_code == 302
    meeting = world.draft.meetings.get()

    # The meeting's own page: two more rows, both left without a number.
    page = admin_client.get(admin_url(Meeting, "change", meeting.pk))
    data = change_page_data(page)
    prefix = "participants"
    data[f"{prefix}-TOTAL_FORMS"] = "3"
    for index, organization in ((1, world.russia), (2, world.azerbaijan)):
        data.update(
            {
                f"{prefix}-{index}-organization": organization.pk,
                f"{prefix}-{index}-side": host,
                f"{prefix}-{index}-role_en": f"party {index}",
                f"{prefix}-{index}-order": "",
            }
        )

    response = admin_client.post(admin_url(Meeting, "change", meeting.pk), data)

    assert response.status_code == 302
    assert [p.order for p in meeting.participants.all()] == [1, 2, 3]


def test_rows_added_on_the_page_are_offered_the_next_free_number(admin_client, world):
    page = admin_client.get(admin_url(Delegation, "change", world.draft.pk))
    members = next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == "members"
    )
    # The row "Add another" copies has no number: the script or the save gives one.
    assert members.empty_form["order"].value() is None
    assert [form["order"].value() for form in members.extra_forms] == [1]
