"""The admin's forms refuse what would break a record, with the reason on the field at fault.

Each rule is tried through the real change or add page, as a superuser submits it: the
page comes back (200, never a server error) with the message on the field, and nothing is
saved. Where a rule has a case that must still be accepted, that case is here too.
"""

import datetime as dt

import pytest
from django.urls import reverse

from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Organization,
    Person,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    SiteVisit,
    Source,
    Topic,
    Workshop,
)
from tests.test_admin import admin_url, change_page_data, inline_management_data, inline_prefix


def inline_forms(response, model):
    for inline_admin_formset in response.context["inline_admin_formsets"]:
        if inline_admin_formset.formset.model is model:
            return inline_admin_formset.formset.forms
    raise AssertionError(f"no {model.__name__} inline on the page")


def field_errors(response, field):
    return response.context["adminform"].form.errors.get(field)


def refused(response):
    """The form came back, with the message shown on the page, instead of being saved."""
    assert response.status_code == 200
    assert response.context["adminform"].form.is_bound
    return response


@pytest.fixture
def visit(world):
    """The published visit, dated 15-17 December 2023, with one activity of each kind."""
    visit = world.published
    Delegation.objects.filter(pk=visit.pk).update(end_date=dt.date(2023, 12, 17))
    visit.refresh_from_db()
    Meeting.objects.create(
        delegation=visit, slug="welcome", title="Welcome", date=dt.date(2023, 12, 15)
    )
    workshop = Workshop.objects.create(delegation=visit, slug="workshops", title="Workshops")
    workshop.topics.set([Topic.objects.create(slug="extradition", name="Extradition")])
    museum = Place.objects.create(slug="museum", name="Museum", country="AZ", parent=world.baku)
    SiteVisit.objects.create(delegation=visit, slug="museum", title="Museum", place=museum, order=1)
    SiteVisit.objects.create(
        delegation=visit, slug="old-city", title="Old City", place=world.baku, order=2
    )
    return visit


@pytest.fixture
def program(world):
    """The world's published programme, citing a source as a published record must."""
    ProgramCitation.objects.create(program=world.program, source=Source.objects.get())
    return world.program


def change_page(client, record):
    url = admin_url(type(record), "change", record.pk)
    page = client.get(url)
    assert page.status_code == 200
    return url, page, change_page_data(page)


def add_row(data, prefix, **fields):
    """Add one row to an inline's POST data; returns its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data.update({f"{prefix}-{index}-{name}": value for name, value in fields.items()})
    return index


# --- An end never before its start --------------------------------------------------------


def test_visit_edited_to_end_before_it_starts_is_refused(admin_client, visit):
    url, _, data = change_page(admin_client, visit)
    data["end_date"] = "2023-12-14"

    response = refused(admin_client.post(url, data))

    assert field_errors(response, "end_date") == ["The visit cannot end before it starts."]
    visit.refresh_from_db()
    assert visit.end_date == dt.date(2023, 12, 17)


def test_programme_edited_to_end_before_it_starts_is_refused(admin_client, world, program):
    url, _, data = change_page(admin_client, program)
    data["end_year"] = "2020"

    response = refused(admin_client.post(url, data))

    assert field_errors(response, "end_year") == [
        "The programme cannot end before the year it starts."
    ]
    program.refresh_from_db()
    assert program.end_year == 2023


def test_position_edited_to_end_before_it_starts_is_refused(admin_client, world):
    person = Person.objects.create(slug="kamran-aliyev", name="Kamran Aliyev")
    position = Position.objects.create(
        person=person,
        organization=world.azerbaijan,
        title="Prosecutor General",
        start_date=dt.date(2020, 2, 1),
    )
    url, _, data = change_page(admin_client, position)
    data["end_date"] = "2020-01-31"

    response = refused(admin_client.post(url, data))

    assert field_errors(response, "end_date") == ["The post cannot end before it starts."]
    position.refresh_from_db()
    assert position.end_date is None


def test_position_on_the_persons_page_ending_before_it_starts_is_refused(admin_client, world):
    person = Person.objects.create(slug="kamran-aliyev", name="Kamran Aliyev")
    url, page, data = change_page(admin_client, person)
    positions = inline_prefix(page, Position)
    row = add_row(
        data,
        positions,
        title_en="Prosecutor General",
        organization=world.azerbaijan.pk,
        start_date="2020-02-01",
        end_date="2019-02-01",
    )

    response = refused(admin_client.post(url, data))

    assert inline_forms(response, Position)[row].errors["end_date"] == [
        "The post cannot end before it starts."
    ]
    assert not Position.objects.exists()


# --- An activity within its visit's dates -------------------------------------------------


def test_meeting_added_after_its_visit_ends_is_refused(admin_client, visit):
    page = admin_client.get(admin_url(Meeting, "add"))
    data = {
        **inline_management_data(page),
        "delegation": visit.pk,
        "title_en": "Farewell",
        "slug": "farewell",
        "date": "2023-12-18",
        "order": "0",
    }

    response = refused(admin_client.post(admin_url(Meeting, "add"), data))

    assert field_errors(response, "date") == [
        "The visit ends on 17 December 2023; an activity cannot be dated after it."
    ]
    assert not Meeting.objects.filter(slug="farewell").exists()


def test_workshop_moved_to_a_day_before_its_visit_is_refused(admin_client, visit):
    workshop = Workshop.objects.get(delegation=visit)
    url, _, data = change_page(admin_client, workshop)
    data["date"] = "2023-12-14"

    response = refused(admin_client.post(url, data))

    assert field_errors(response, "date") == [
        "The visit starts on 15 December 2023; an activity cannot be dated before it."
    ]
    workshop.refresh_from_db()
    assert workshop.date is None


def test_visit_shortened_so_that_an_activity_falls_outside_it_is_refused(admin_client, visit):
    Workshop.objects.filter(delegation=visit).update(date=dt.date(2023, 12, 17))
    url, page, data = change_page(admin_client, visit)
    data["end_date"] = "2023-12-16"

    response = refused(admin_client.post(url, data))

    [workshop_form] = inline_forms(response, Workshop)
    assert workshop_form.errors["date"] == [
        "The visit ends on 16 December 2023; an activity cannot be dated after it."
    ]
    visit.refresh_from_db()
    assert visit.end_date == dt.date(2023, 12, 17)


def test_activity_on_the_last_day_of_its_visit_is_accepted(admin_client, visit):
    url, page, data = change_page(admin_client, visit)
    meetings = inline_prefix(page, Meeting)
    add_row(data, meetings, title_en="Farewell", slug="farewell", date="2023-12-17", order="1")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert Meeting.objects.get(slug="farewell").date == dt.date(2023, 12, 17)


# --- A signatory signs for a party --------------------------------------------------------


def test_signatory_for_a_body_that_is_no_party_is_refused(admin_client, world, program):
    outsider = Organization.objects.create(slug="ministry", name="Ministry of Justice")
    person = Person.objects.create(slug="minister", name="Minister")
    url, page, data = change_page(admin_client, program)
    signatories = inline_prefix(page, ProgramSignatory)
    row = add_row(
        data,
        signatories,
        person=person.pk,
        organization=outsider.pk,
        title_en="Minister",
        order="0",
    )

    response = refused(admin_client.post(url, data))

    parties = "; ".join(sorted([world.azerbaijan.name, world.russia.name]))
    assert inline_forms(response, ProgramSignatory)[row].errors["organization"] == [
        f"Ministry of Justice is not a party to this programme; a signatory signs for one of "
        f"its parties: {parties}."
    ]
    assert not ProgramSignatory.objects.exists()


def test_party_removed_while_its_signatory_stays_is_refused(admin_client, world, program):
    person = Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
    third = Organization.objects.create(slug="third-office", name="Third Office")
    ProgramSignatory.objects.create(
        program=program, person=person, organization=world.russia, title="Prosecutor"
    )
    url, _, data = change_page(admin_client, program)
    data["parties"] = [world.azerbaijan.pk, third.pk]

    response = refused(admin_client.post(url, data))

    [signatory_form] = inline_forms(response, ProgramSignatory)
    assert signatory_form.errors["organization"][0].startswith(
        f"{world.russia.name} is not a party to this programme"
    )
    assert set(program.parties.all()) == {world.russia, world.azerbaijan}


def test_signatory_for_a_party_added_in_the_same_save_is_accepted(admin_client, world, program):
    third = Organization.objects.create(slug="third-office", name="Third Office")
    person = Person.objects.create(slug="third-prosecutor", name="Third Prosecutor")
    url, page, data = change_page(admin_client, program)
    data["parties"] = [world.russia.pk, world.azerbaijan.pk, third.pk]
    signatories = inline_prefix(page, ProgramSignatory)
    add_row(data, signatories, person=person.pk, organization=third.pk, title_en="Head", order="0")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert program.signatories.get().organization == third


# --- A slug used once in its scope --------------------------------------------------------


def slugged_add_data(model, world):
    """What a complete add form of `model` submits, with the slug of an existing record."""
    if model is Organization:
        return {"name_en": "Copy", "slug": world.russia.slug, "kind": "other", "country": ""}
    if model is Person:
        Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
        return {"name": "Igor Krasnov", "slug": "igor-krasnov"}
    if model is Place:
        return {"name_en": "Baku", "slug": world.baku.slug, "kind": "city", "country": "AZ"}
    if model is Topic:
        Topic.objects.create(slug="asset-recovery", name="Asset recovery")
        return {"name_en": "Asset recovery", "slug": "asset-recovery"}
    if model is CooperationProgram:
        return {
            "title_en": "Copy",
            "slug": world.program.slug,
            "parties": [world.russia.pk, world.azerbaijan.pk],
            "start_year": "2021",
            "end_year": "2023",
            "status": "draft",
        }
    return {
        "title_en": "Copy",
        "slug": world.published.slug,
        "sending_organization": world.russia.pk,
        "host_organization": world.azerbaijan.pk,
        "visit_type": "working",
        "start_date": "2024-01-10",
        "date_basis": "visit",
        "location": world.baku.pk,
        "status": "draft",
    }


@pytest.mark.parametrize(
    "model",
    [Organization, Person, Place, Topic, CooperationProgram, Delegation],
    ids=lambda model: model._meta.model_name,
)
def test_record_with_a_slug_already_in_use_is_refused(admin_client, world, model):
    url = admin_url(model, "add")
    data = {**inline_management_data(admin_client.get(url)), **slugged_add_data(model, world)}
    before = model.objects.count()

    response = refused(admin_client.post(url, data))

    [message] = field_errors(response, "slug")
    assert message.endswith("with this Slug already exists.")
    assert model.objects.count() == before


def test_meeting_with_a_slug_its_visit_already_has_is_refused(admin_client, visit):
    page = admin_client.get(admin_url(Meeting, "add"))
    data = {
        **inline_management_data(page),
        "delegation": visit.pk,
        "title_en": "Second welcome",
        "slug": "welcome",
        "order": "0",
    }

    response = refused(admin_client.post(admin_url(Meeting, "add"), data))

    assert field_errors(response, "slug") == [
        "Another meeting of this delegation already has the slug “welcome”."
    ]
    assert Meeting.objects.filter(slug="welcome").count() == 1


def test_meeting_moved_to_a_visit_with_that_slug_is_refused(admin_client, visit, world):
    draft_welcome = Meeting.objects.create(delegation=world.draft, slug="welcome", title="Hello")
    url, _, data = change_page(admin_client, draft_welcome)
    data["delegation"] = visit.pk
    data["date"] = ""

    response = refused(admin_client.post(url, data))

    assert field_errors(response, "slug") == [
        "Another meeting of this delegation already has the slug “welcome”."
    ]
    draft_welcome.refresh_from_db()
    assert draft_welcome.delegation == world.draft


def test_same_slug_in_another_visit_or_for_another_kind_of_activity_is_accepted(
    admin_client, visit, world
):
    page = admin_client.get(admin_url(Meeting, "add"))
    data = {**inline_management_data(page), "title_en": "Welcome", "order": "0"}

    in_other_visit = admin_client.post(
        admin_url(Meeting, "add"), {**data, "delegation": world.draft.pk, "slug": "welcome"}
    )
    other_kind = admin_client.post(
        admin_url(Meeting, "add"), {**data, "delegation": visit.pk, "slug": "workshops"}
    )

    assert in_other_visit.status_code == 302
    assert other_kind.status_code == 302
    assert Meeting.objects.filter(slug="welcome").count() == 2


def test_site_visit_added_on_the_visit_page_with_a_slug_in_use_is_refused(admin_client, visit):
    url, page, data = change_page(admin_client, visit)
    site_visits = inline_prefix(page, SiteVisit)
    row = add_row(
        data, site_visits, title="Museum again", slug="museum", place=visit.location.pk, order="3"
    )

    response = refused(admin_client.post(url, data))

    assert inline_forms(response, SiteVisit)[row].errors["slug"] == [
        "Another site visit of this delegation already has the slug “museum”."
    ]
    assert SiteVisit.objects.filter(delegation=visit).count() == 2


def test_two_new_activities_with_one_slug_on_a_new_visit_are_refused(admin_client, world):
    url = admin_url(Delegation, "add")
    page = admin_client.get(url)
    data = {
        **inline_management_data(page),
        **slugged_add_data(Delegation, world),
        "slug": "new-visit",
    }
    meetings = inline_prefix(page, Meeting)
    add_row(data, meetings, title_en="Talks", slug="talks", order="0")
    second = add_row(data, meetings, title_en="More talks", slug="talks", order="1")

    response = refused(admin_client.post(url, data))

    assert inline_forms(response, Meeting)[second].errors["slug"] == [
        "Another meeting of this delegation already has the slug “talks”."
    ]
    assert not Delegation.objects.filter(slug="new-visit").exists()


def test_two_site_visits_swapping_slugs_in_one_save_are_refused(admin_client, visit):
    url, page, data = change_page(admin_client, visit)
    site_visits = inline_prefix(page, SiteVisit)
    data[f"{site_visits}-0-slug"], data[f"{site_visits}-1-slug"] = "old-city", "museum"

    response = refused(admin_client.post(url, data))

    errors = [form.errors.get("slug") for form in inline_forms(response, SiteVisit)]
    assert errors[0] == [
        "“old-city” is still the slug of another row, which this save changes or deletes: "
        "save that change on its own first, then this one."
    ]
    slugs = dict(SiteVisit.objects.values_list("title", "slug"))
    assert slugs == {"Museum": "museum", "Old City": "old-city"}


def test_slug_of_a_site_visit_deleted_in_the_same_save_is_refused(admin_client, visit):
    url, page, data = change_page(admin_client, visit)
    site_visits = inline_prefix(page, SiteVisit)
    data[f"{site_visits}-0-DELETE"] = "on"
    data[f"{site_visits}-1-slug"] = data[f"{site_visits}-0-slug"]

    response = refused(admin_client.post(url, data))

    assert (
        inline_forms(response, SiteVisit)[1]
        .errors["slug"][0]
        .startswith("“museum” is still the slug of another row")
    )
    assert SiteVisit.objects.filter(delegation=visit).count() == 2


# --- The same rule for the other numbered or named rows of a record -----------------------


def test_participants_swapping_numbers_in_one_save_are_refused(admin_client, visit, world):
    welcome = Meeting.objects.get(delegation=visit, slug="welcome")
    for order, organization in enumerate((world.azerbaijan, world.russia)):
        MeetingParticipant.objects.create(
            meeting=welcome, organization=organization, side="host", order=order
        )
    url, page, data = change_page(admin_client, welcome)
    participants = inline_prefix(page, MeetingParticipant)
    data[f"{participants}-0-order"], data[f"{participants}-1-order"] = "1", "0"

    response = refused(admin_client.post(url, data))

    assert (
        inline_forms(response, MeetingParticipant)[0]
        .errors["order"][0]
        .startswith("“1” is still the order of another row")
    )
    assert [p.organization for p in welcome.participants.all()] == [world.azerbaijan, world.russia]


def test_person_added_twice_to_a_delegation_is_refused(admin_client, visit):
    person = Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
    DelegationMember.objects.create(delegation=visit, person=person, is_head=True)
    url, page, data = change_page(admin_client, visit)
    members = inline_prefix(page, DelegationMember)
    row = add_row(data, members, person=person.pk, role="Adviser", order="1")

    response = refused(admin_client.post(url, data))

    assert inline_forms(response, DelegationMember)[row].errors["person"] == [
        "Igor Krasnov is already a member of this delegation."
    ]
    assert visit.members.count() == 1


def test_person_signing_a_programme_twice_is_refused(admin_client, world, program):
    person = Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
    ProgramSignatory.objects.create(
        program=program, person=person, organization=world.russia, title="Prosecutor General"
    )
    url, page, data = change_page(admin_client, program)
    signatories = inline_prefix(page, ProgramSignatory)
    row = add_row(
        data, signatories, person=person.pk, organization=world.russia.pk, title="Head", order="1"
    )

    response = refused(admin_client.post(url, data))

    assert inline_forms(response, ProgramSignatory)[row].errors["person"] == [
        "Igor Krasnov is already a signatory of this programme."
    ]
    assert program.signatories.count() == 1


def test_unchanged_visit_page_saves(admin_client, visit):
    # The checks above must not refuse a page that breaks no rule.
    url, _, data = change_page(admin_client, visit)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert response.url == reverse("admin:cooperation_delegation_changelist")


def test_citations_swapping_sources_in_one_save_are_refused(admin_client, visit):
    first = DelegationCitation.objects.get(delegation=visit)
    other = Source.objects.create(
        url="https://example.org/other", title="Other", publisher="Example", language="en"
    )
    DelegationCitation.objects.create(delegation=visit, source=other, order=1)
    url, page, data = change_page(admin_client, visit)
    citations = inline_prefix(page, DelegationCitation)
    data[f"{citations}-0-source"], data[f"{citations}-1-source"] = (
        data[f"{citations}-1-source"],
        data[f"{citations}-0-source"],
    )

    response = refused(admin_client.post(url, data))

    errors = [form.errors.get("source") for form in inline_forms(response, DelegationCitation)]
    assert any(error and "is still the source of another row" in error[0] for error in errors)
    assert DelegationCitation.objects.get(pk=first.pk).source == first.source
