"""Django admin: every page opens, lists cost the same at any length, forms refuse bad records
with an error a records officer can read rather than a server error."""

import datetime as dt
import itertools
import re

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cooperation.admin import WRITTEN_FILTER
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    Series,
    SiteVisit,
    Source,
    Status,
    Topic,
    Workshop,
)
from cooperation.records.rules import FROM_REVIEW
from cooperation.templatetags.registry_admin import written_rows

# The records' admins; the list of changes waiting for review is none (tests/test_workflow.py).
COOPERATION_ADMINS = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_label == "cooperation" and model._meta.model_name != "revision"
    ),
    key=lambda model: model._meta.model_name,
)

_counter = itertools.count(1)


def admin_url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


@pytest.fixture
def records(world):
    """One saved record of every model the admin edits, all around the published visit."""
    prosecutor = Person.objects.create(name="Kamran Aliyev", slug="kamran-aliyev")
    PersonName.objects.create(person=prosecutor, name="Камран Алиев", language="ru", script="Cyrl")
    position = Position.objects.create(
        person=prosecutor,
        organization=world.azerbaijan,
        title="Prosecutor General",
        start_date=dt.date(2020, 1, 1),
    )
    DelegationMember.objects.create(
        delegation=world.published, person=prosecutor, role="Head", is_head=True
    )
    topic = Topic.objects.create(name="Asset recovery", slug="asset-recovery")
    museum = Place.objects.create(
        name="Heydar Aliyev Center",
        slug="heydar-aliyev-center",
        country="AZ",
        kind=Place.Kind.MUSEUM,
        parent=world.baku,
    )
    meeting = Meeting.objects.create(
        delegation=world.published,
        slug="welcome",
        title="Welcome",
        date=dt.date(2023, 12, 15),
        place=world.baku,
        host_organization=world.azerbaijan,
    )
    MeetingParticipant.objects.create(
        meeting=meeting, person=prosecutor, side=MeetingParticipant.Side.HOST
    )
    workshop = Workshop.objects.create(
        delegation=world.published, slug="asset-recovery", title="Asset recovery workshop"
    )
    workshop.topics.add(topic)
    site_visit = SiteVisit.objects.create(
        delegation=world.published, slug="heydar-aliyev-center", title="Visit", place=museum
    )
    series = Series.objects.create(name="Council sessions", slug="council-sessions")
    occasion = Occasion.objects.create(
        name="35th session", slug="session-35", series=series, number=35, place=world.baku
    )
    return {
        Series: series,
        Occasion: occasion,
        Organization: world.russia,
        Person: prosecutor,
        Position: position,
        Place: museum,
        Topic: topic,
        Source: Source.objects.get(),
        CooperationProgram: world.program,
        Delegation: world.published,
        Meeting: meeting,
        Workshop: workshop,
        SiteVisit: site_visit,
    }


def inline_management_data(response):
    """The management form of every inline on an admin page, each with no rows."""
    data = {}
    for inline_admin_formset in response.context["inline_admin_formsets"]:
        prefix = inline_admin_formset.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def inline_prefix(response, model):
    for inline_admin_formset in response.context["inline_admin_formsets"]:
        if inline_admin_formset.formset.model is model:
            return inline_admin_formset.formset.prefix
    raise AssertionError(f"no {model.__name__} inline on the page")


def form_data(form):
    """What a browser submits for a rendered form, left as it is."""
    data = {}
    for bound_field in form:
        value = bound_field.value()
        widget = bound_field.field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound_field.html_name}_{index}"] = "" if part is None else part
        elif isinstance(value, bool):
            if value:
                data[bound_field.html_name] = "on"
        else:
            data[bound_field.html_name] = "" if value is None else value
    return data


def change_page_data(response):
    """The POST data of an admin change page submitted unchanged, without its empty rows."""
    data = form_data(response.context["adminform"].form)
    for inline_admin_formset in response.context["inline_admin_formsets"]:
        formset = inline_admin_formset.formset
        data.update(form_data(formset.management_form))
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
        for form in formset.initial_forms:
            data.update(form_data(form))
    return data


def delegation_add_data(admin_client, world, **fields):
    add_page = admin_client.get(admin_url(Delegation, "add"))
    data = {
        **inline_management_data(add_page),
        "title_en": "Study visit to Moscow",
        "slug": "study-visit-moscow",
        "sending_organization": world.azerbaijan.pk,
        "host_organization": world.russia.pk,
        "visit_type": Delegation.VisitType.STUDY,
        "start_date": "2024-05-10",
        "end_date": "2024-05-12",
        "date_basis": Delegation.DateBasis.VISIT,
        "location": world.baku.pk,
        "status": Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        **fields,
    }
    return add_page, data


# --- Every page opens ---------------------------------------------------------------------


@pytest.mark.parametrize("model", COOPERATION_ADMINS, ids=lambda model: model._meta.model_name)
def test_superuser_opens_changelist_add_and_change_pages(admin_client, records, model):
    obj = records[model]

    changelist = admin_client.get(admin_url(model, "changelist"))
    add_page = admin_client.get(admin_url(model, "add"))
    change_page = admin_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert obj in changelist.context["cl"].result_list
    assert add_page.status_code == 200
    assert change_page.status_code == 200
    assert change_page.context["original"] == obj


def test_anonymous_visitor_is_sent_to_admin_login(client, db):
    url = admin_url(Delegation, "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_published_event_offers_view_on_site_and_draft_offers_its_preview(admin_client, world):
    published = admin_client.get(admin_url(Delegation, "change", world.published.pk))
    draft = admin_client.get(admin_url(Delegation, "change", world.draft.pk))

    assert f'href="{world.published.get_absolute_url()}"' in published.text
    # Staff see a draft at its public address, marked as not public (tests/test_workflow.py).
    assert f'href="{world.draft.get_absolute_url()}"' in draft.text


# --- Changelists cost the same at any length ----------------------------------------------


def make_delegations(make_event, count):
    for _ in range(count):
        event = make_event()
        n = next(_counter)
        person = Person.objects.create(name=f"Head {n}", slug=f"head-{n}")
        DelegationMember.objects.create(delegation=event, person=person, is_head=True)


def make_meetings(make_event, count):
    for _ in range(count):
        event = make_event()
        Meeting.objects.create(
            delegation=event,
            slug="talks",
            title="Talks",
            date=event.start_date,
            place=event.location,
            host_organization=event.host_organization,
        )


def make_positions(make_event, count):
    for _ in range(count):
        n = next(_counter)
        organization = Organization.objects.create(name=f"Office {n}", slug=f"office-{n}")
        person = Person.objects.create(name=f"Official {n}", slug=f"official-{n}")
        Position.objects.create(person=person, organization=organization, title="Prosecutor")


def make_programs(make_event, count):
    for _ in range(count):
        n = next(_counter)
        program = CooperationProgram.objects.create(
            title=f"Programme {n}", slug=f"programme-{n}", start_year=2021, end_year=2023
        )
        program.parties.set(
            [
                Organization.objects.create(name=f"Party A{n}", slug=f"party-a-{n}"),
                Organization.objects.create(name=f"Party B{n}", slug=f"party-b-{n}"),
            ]
        )


changelists = pytest.mark.parametrize(
    ("model", "make_rows"),
    [
        (Delegation, make_delegations),
        (Meeting, make_meetings),
        (Position, make_positions),
        (CooperationProgram, make_programs),
    ],
    ids=["delegation", "meeting", "position", "programme"],
)


@changelists
def test_changelist_query_count_does_not_grow_with_rows(admin_client, make_event, model, make_rows):
    url = admin_url(model, "changelist")

    make_rows(make_event, 3)
    with CaptureQueriesContext(connection) as few:
        few_rows = admin_client.get(url)
    make_rows(make_event, 22)
    with CaptureQueriesContext(connection) as many:
        many_rows = admin_client.get(url)

    assert len(few_rows.context["cl"].result_list) == 3
    assert len(many_rows.context["cl"].result_list) == 25
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


@changelists
@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_changelist_rows_are_the_rows_django_writes(
    admin_client, make_event, model, make_rows, prefix
):
    # registry_admin.written_rows writes each column once per page rather than once per
    # cell: the same HTML, empty cells, choices, dates, offices and the filters each row's
    # link carries included.
    make_rows(make_event, 4)
    url = prefix + admin_url(model, "changelist")
    for query in ("", "?o=-1"):
        response = admin_client.get(url + query)
        assert response.status_code == 200
        cl = response.context["cl"]
        with translation.override(prefix.strip("/") or "en"):
            written = ["".join(row) for row in written_rows(cl)]
            djangos = ["".join(items) for items in admin_list.results(cl)]
        assert len(written) == len(cl.result_list) > 0
        assert written == djangos
        assert written[0] in response.text


def test_a_rows_link_is_djangos_change_address_with_the_lists_filters(admin_client, make_event):
    # RecordChangeList resolves the change page's address once per page and puts each
    # row's key in it: the address Django resolves for each row, the list's filters after.
    from django.contrib.admin.views.main import ChangeList

    make_delegations(make_event, 3)
    status = Delegation.objects.first().status
    response = admin_client.get(admin_url(Delegation, "changelist") + f"?o=-2&status={status}")
    cl = response.context["cl"]
    assert len(cl.result_list) == 3
    for result in cl.result_list:
        link = cl.url_for_result(result)
        djangos = ChangeList.url_for_result(cl, result)
        assert djangos == admin_url(Delegation, "change", result.pk)
        assert link == f"{djangos}?_changelist_filters=o%3D-2%26status%3D{status}"
        assert f'href="{link.replace("&", "&amp;")}"' in response.text
        assert admin_client.get(link).status_code == 200


def test_each_visits_row_names_its_head_of_delegation(admin_client, make_event):
    # The heads are read for the whole page at once (DelegationAdmin.attach_to_rows): each
    # row names its own visit's head, a visit without one shows the empty mark.
    make_delegations(make_event, 3)
    headless = make_event()
    DelegationMember.objects.create(
        delegation=headless,
        person=Person.objects.create(name="Not The Head", slug="not-the-head"),
        is_head=False,
    )
    response = admin_client.get(admin_url(Delegation, "changelist"))
    cl = response.context["cl"]
    rows = {
        visit.pk: "".join(row) for visit, row in zip(cl.result_list, written_rows(cl), strict=True)
    }
    assert len(rows) == 4
    for visit in cl.result_list:
        heads = [m.person.name for m in visit.members.filter(is_head=True)]
        cell = re.search(r'<td class="field-head">(.*?)</td>', rows[visit.pk]).group(1)
        assert cell == (heads[0] if heads else "-")
    assert "Not The Head" not in response.text


def test_a_lists_links_carry_the_query_django_would_write(admin_client, make_event):
    # RecordChangeList encodes the rest of the query once per filter and adds each
    # choice's value: the same query string as Django's ChangeList writes, whatever the
    # filters in use, the names removed and the value (quoted where it must be).
    from django.contrib.admin.views.main import ChangeList

    make_delegations(make_event, 2)
    event = Delegation.objects.select_related("sending_organization").first()
    query = f"?status={event.status}&year={event.start_date.year}&o=-2&q=a+b%26c"
    response = admin_client.get(admin_url(Delegation, "changelist") + query)
    cl = response.context["cl"]
    cases = [
        ({"year": 2021}, ["year__"]),
        ({"status": "draft"}, None),
        ({"visit_type": "working"}, ["visit_type__"]),
        ({"program__id__exact": 7}, ["program__isnull"]),
        ({"a": "x y&z"}, None),
        ({"zzz": "Bakı"}, ["st"]),
        ({"year": "2020", "status": "draft"}, None),
        ({"year": None}, None),
        ({"o": ["1", "2"]}, None),
        (None, None),
    ]
    for new_params, remove in cases:
        for _ in range(2):  # the second time from what the first worked out
            assert cl.get_query_string(new_params, remove) == ChangeList.get_query_string(
                cl, new_params, remove
            ), (new_params, remove)


def test_long_filters_are_the_filters_django_writes(admin_client, make_event):
    # The visits' programme, country and year filters write their choices in one piece
    # (registry_admin.written_choices): the same HTML as Django's admin/filter.html, the
    # chosen value marked.
    make_delegations(make_event, 3)
    make_programs(make_event, 2)
    event = Delegation.objects.select_related("sending_organization").first()
    country = event.sending_organization.country.code
    query = f"?year={event.start_date.year}&country={country}"
    response = admin_client.get(admin_url(Delegation, "changelist") + query)
    cl = response.context["cl"]
    written = [spec for spec in cl.filter_specs if spec.template == WRITTEN_FILTER]
    assert [spec.parameter_name for spec in written if hasattr(spec, "parameter_name")] == [
        "country",
        "year",
    ]
    assert len(written) == 3
    for spec in written:
        ours = admin_list.admin_list_filter(cl, spec)
        spec.template = "admin/filter.html"
        djangos = admin_list.admin_list_filter(cl, spec)
        assert ours == djangos
        assert ours in response.text
    assert response.text.count('class="selected"') == 5


# --- Autocomplete -------------------------------------------------------------------------


def test_autocomplete_finds_host_organization_by_name(admin_client, world):
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "cooperation",
            "model_name": "delegation",
            "field_name": "host_organization",
            "term": "Azerbaijan",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(world.azerbaijan.pk), "text": world.azerbaijan.name}
    ]


# --- Forms refuse bad records -------------------------------------------------------------


def test_delegation_ending_before_it_starts_is_refused(admin_client, world):
    _, data = delegation_add_data(
        admin_client, world, start_date="2024-05-10", end_date="2024-05-09"
    )
    before = Delegation.objects.count()

    response = admin_client.post(admin_url(Delegation, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"] == [
        "The visit cannot end before it starts."
    ]
    assert "The visit cannot end before it starts." in response.text
    assert Delegation.objects.count() == before


def test_delegation_hosted_by_its_own_sender_is_refused(admin_client, world):
    _, data = delegation_add_data(admin_client, world, host_organization=world.azerbaijan.pk)

    response = admin_client.post(admin_url(Delegation, "add"), data)

    assert response.status_code == 200
    assert "host_organization" in response.context["adminform"].form.errors
    assert not Delegation.objects.filter(slug="study-visit-moscow").exists()


def test_valid_delegation_is_created_with_its_member(admin_client, world):
    head = Person.objects.create(name="Igor Krasnov", slug="igor-krasnov")
    add_page, data = delegation_add_data(admin_client, world)
    members = inline_prefix(add_page, DelegationMember)
    data.update(
        {
            f"{members}-TOTAL_FORMS": "1",
            f"{members}-0-person": head.pk,
            f"{members}-0-role_en": "Prosecutor General",
            f"{members}-0-is_head": "on",
            f"{members}-0-order": "0",
        }
    )

    response = admin_client.post(admin_url(Delegation, "add"), data)

    assert response.status_code == 302
    delegation = Delegation.objects.get(slug="study-visit-moscow")
    member = delegation.members.get()
    assert (member.person, member.role, member.is_head) == (head, "Prosecutor General", True)


def test_delegation_with_two_heads_is_refused(admin_client, world):
    first = Person.objects.create(name="First Head", slug="first-head")
    second = Person.objects.create(name="Second Head", slug="second-head")
    add_page, data = delegation_add_data(admin_client, world)
    members = inline_prefix(add_page, DelegationMember)
    data[f"{members}-TOTAL_FORMS"] = "2"
    for index, person in enumerate((first, second)):
        data.update(
            {
                f"{members}-{index}-person": person.pk,
                f"{members}-{index}-is_head": "on",
                f"{members}-{index}-order": str(index),
            }
        )

    response = admin_client.post(admin_url(Delegation, "add"), data)

    assert response.status_code == 200
    assert "A delegation has one head" in response.text
    assert not Delegation.objects.filter(slug="study-visit-moscow").exists()


def test_head_role_moves_to_another_member_in_one_save(admin_client, world):
    old_head = Person.objects.create(name="Old Head", slug="old-head")
    new_head = Person.objects.create(name="New Head", slug="new-head")
    DelegationMember.objects.create(delegation=world.published, person=old_head, is_head=True)
    DelegationMember.objects.create(delegation=world.published, person=new_head, order=1)
    url = admin_url(Delegation, "change", world.published.pk)
    change_page = admin_client.get(url)
    data = change_page_data(change_page)
    members = inline_prefix(change_page, DelegationMember)
    # The head is listed first, as the model orders members.
    assert data[f"{members}-0-person"] == old_head.pk
    del data[f"{members}-0-is_head"]
    data[f"{members}-1-is_head"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert world.published.members.get(is_head=True).person == new_head


def test_publishing_without_a_date_stamps_the_publication_date(admin_client, world):
    add_page, data = delegation_add_data(admin_client, world, status=Status.IN_REVIEW)
    # A record is published only with a source (tests/test_workflow.py).
    prefix = inline_prefix(add_page, DelegationCitation)
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data.update({f"{prefix}-0-source": Source.objects.get().pk, f"{prefix}-0-order": "0"})
    assert admin_client.post(admin_url(Delegation, "add"), data).status_code == 302
    visit = Delegation.objects.get(slug="study-visit-moscow")
    url = admin_url(Delegation, "change", visit.pk)

    response = admin_client.post(
        url, {**change_page_data(admin_client.get(url)), "status": Status.PUBLISHED}
    )

    assert response.status_code == 302
    assert Delegation.objects.get(slug="study-visit-moscow").published_at is not None


def test_a_new_visit_is_not_published_without_review(admin_client, world):
    add_page, data = delegation_add_data(admin_client, world, status=Status.PUBLISHED)

    response = admin_client.post(admin_url(Delegation, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [FROM_REVIEW]
    assert not Delegation.objects.filter(slug="study-visit-moscow").exists()


def test_meeting_dated_before_its_visit_is_refused(admin_client, world):
    add_page = admin_client.get(admin_url(Meeting, "add"))
    data = {
        **inline_management_data(add_page),
        "delegation": world.published.pk,
        "title_en": "Early talks",
        "slug": "early-talks",
        "date": "2023-12-01",
        "order": "0",
    }

    response = admin_client.post(admin_url(Meeting, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date"] == [
        "The visit starts on 15 December 2023; an activity cannot be dated before it."
    ]
    assert not Meeting.objects.filter(slug="early-talks").exists()


def test_inline_site_visit_dated_after_the_visit_ends_is_refused(admin_client, world):
    add_page, data = delegation_add_data(
        admin_client, world, start_date="2024-05-10", end_date="2024-05-12"
    )
    site_visits = inline_prefix(add_page, SiteVisit)
    data.update(
        {
            f"{site_visits}-TOTAL_FORMS": "1",
            f"{site_visits}-0-title_en": "Museum",
            f"{site_visits}-0-slug": "museum",
            f"{site_visits}-0-date": "2024-05-13",
            f"{site_visits}-0-order": "0",
            f"{site_visits}-0-place": world.baku.pk,
        }
    )

    response = admin_client.post(admin_url(Delegation, "add"), data)

    assert response.status_code == 200
    assert "The visit ends on 12 May 2024; an activity cannot be dated after it." in response.text
    assert not Delegation.objects.filter(slug="study-visit-moscow").exists()
    assert not SiteVisit.objects.filter(slug="museum").exists()


def test_meeting_is_created_with_participants_in_the_offered_order(admin_client, world):
    add_page = admin_client.get(admin_url(Meeting, "add"))
    participants = inline_prefix(add_page, MeetingParticipant)
    offered = [
        form["order"].value()
        for inline in add_page.context["inline_admin_formsets"]
        if inline.formset.prefix == participants
        for form in inline.formset.forms
    ]
    data = {
        **inline_management_data(add_page),
        "delegation": world.published.pk,
        "title_en": "Talks",
        "slug": "talks",
        "date": "2023-12-15",
        "order": "0",
        f"{participants}-TOTAL_FORMS": "2",
    }
    parties = (
        (world.russia, MeetingParticipant.Side.VISITING),
        (world.azerbaijan, MeetingParticipant.Side.HOST),
    )
    for index, (organization, side) in enumerate(parties):
        data.update(
            {
                f"{participants}-{index}-organization": organization.pk,
                f"{participants}-{index}-side": side,
                f"{participants}-{index}-order": offered[index],
            }
        )

    response = admin_client.post(admin_url(Meeting, "add"), data)

    assert response.status_code == 302
    meeting = Meeting.objects.get(slug="talks")
    assert [p.organization for p in meeting.participants.all()] == [world.russia, world.azerbaijan]


def program_add_data(admin_client, parties, **fields):
    add_page = admin_client.get(admin_url(CooperationProgram, "add"))
    return {
        **inline_management_data(add_page),
        "kind": CooperationProgram.Kind.PROGRAMME,
        "title_en": "Cooperation Program 2024-2026",
        "slug": "program-2024-2026",
        "parties": [party.pk for party in parties],
        "start_year": "2024",
        "end_year": "2026",
        "status": Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        **fields,
    }


def test_programme_with_one_party_is_refused(admin_client, world):
    data = program_add_data(admin_client, [world.russia])

    response = admin_client.post(admin_url(CooperationProgram, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parties"] == [
        "A programme is agreed between two or more parties."
    ]
    assert not CooperationProgram.objects.filter(slug="program-2024-2026").exists()


def test_programme_ending_before_it_starts_is_refused(admin_client, world):
    data = program_add_data(
        admin_client, [world.russia, world.azerbaijan], start_year="2026", end_year="2024"
    )

    response = admin_client.post(admin_url(CooperationProgram, "add"), data)

    assert response.status_code == 200
    assert "end_year" in response.context["adminform"].form.errors
    assert not CooperationProgram.objects.filter(slug="program-2024-2026").exists()


def test_valid_programme_is_created_with_its_parties(admin_client, world):
    data = program_add_data(admin_client, [world.russia, world.azerbaijan])

    response = admin_client.post(admin_url(CooperationProgram, "add"), data)

    assert response.status_code == 302
    program = CooperationProgram.objects.get(slug="program-2024-2026")
    assert set(program.parties.all()) == {world.russia, world.azerbaijan}


def test_place_cannot_be_inside_a_place_inside_it(admin_client, world):
    old_town = Place.objects.create(
        name="Old City", slug="old-city", country="AZ", kind=Place.Kind.OTHER, parent=world.baku
    )
    data = {
        "name_en": "Baku",
        "slug": "baku",
        "kind": Place.Kind.CITY,
        "country": "AZ",
        "parent": old_town.pk,
        "address": "",
    }

    response = admin_client.post(admin_url(Place, "change", world.baku.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == ["Baku cannot be inside itself."]
    azerbaijan = world.baku.parent
    world.baku.refresh_from_db()
    assert world.baku.parent == azerbaijan


def test_position_ending_before_it_starts_is_refused(admin_client, world):
    person = Person.objects.create(name="Kamran Aliyev", slug="kamran-aliyev")
    data = {
        "person": person.pk,
        "organization": world.azerbaijan.pk,
        "title_en": "Prosecutor General",
        "start_date": "2020-02-01",
        "end_date": "2020-01-01",
    }

    response = admin_client.post(admin_url(Position, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"] == [
        "The post cannot end before it starts."
    ]
    assert not Position.objects.exists()


def test_a_record_added_in_a_popup_is_saved(admin_client, world):
    # The "+" beside an autocomplete opens the add form in a popup, whose answer to a save is
    # a page of its own rather than a redirect.
    url = admin_url(Organization, "add") + "?_popup=1&_to_field=id"
    response = admin_client.post(
        url,
        {
            "name_en": "Prosecutor General's Office of Georgia",
            "slug": "georgia-pgo",
            "kind": Organization.Kind.PROSECUTION_SERVICE,
            "country": "GE",
            "_popup": "1",
            "_to_field": "id",
        },
    )

    assert response.status_code == 200
    assert "popup_response" in str(response.templates[0].name)
    assert Organization.objects.filter(slug="georgia-pgo").exists()
