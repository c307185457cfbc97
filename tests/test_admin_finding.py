"""Finding a record in the admin: search across every name a visit involves, the sidebar
filters, the date hierarchy, and counts that never read the whole archive."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cooperation import pagination
from cooperation.models import (
    CooperationProgram,
    DelegationMember,
    Organization,
    Person,
    Place,
    SiteVisit,
    Status,
    Topic,
    Workshop,
)
from cooperation.records import derived

CHANGELIST = reverse("admin:cooperation_delegation_changelist")


def listed_titles(response):
    assert response.status_code == 200
    return {str(row) for row in response.context["cl"].result_list}


@pytest.fixture
def archive(world, make_event):
    """The shared world plus visits reached only through a member, a topic, a place and a
    draft programme, and one in another year and country."""
    a = world
    a.prosecutor = Person.objects.create(name="Kamran Aliyev", slug="kamran-aliyev")
    a.by_member = make_event(title="Visit with a member", start_date=dt.date(2021, 5, 3))
    DelegationMember.objects.create(delegation=a.by_member, person=a.prosecutor, role="Head")
    a.by_topic = make_event(title="Visit with a workshop", start_date=dt.date(2022, 6, 1))
    workshop = Workshop.objects.create(
        delegation=a.by_topic, title="Seminar", slug="seminar", date=dt.date(2022, 6, 1)
    )
    workshop.topics.add(Topic.objects.create(name="Asset recovery", slug="asset-recovery"))
    a.by_place = make_event(title="Visit with a site visit", start_date=dt.date(2022, 9, 1))
    museum = Place.objects.create(
        name="Carpet Museum", slug="carpet-museum", country="AZ", kind=Place.Kind.BUILDING
    )
    SiteVisit.objects.create(
        delegation=a.by_place, title="Museum", slug="museum", date=dt.date(2022, 9, 1), place=museum
    )
    a.draft_program = CooperationProgram.objects.create(
        title="Plan of Consultations 2030", slug="plan-2030", start_year=2030, end_year=2031
    )
    a.by_program = make_event(
        title="Visit under a draft plan",
        program=a.draft_program,
        status=Status.IN_REVIEW,
        start_date=dt.date(2019, 2, 2),
        sending_organization=Organization.objects.create(
            name="Procuratura Generală", slug="md-pgo", country="MD"
        ),
    )
    derived.refresh([a.by_member.pk, a.by_topic.pk, a.by_place.pk, a.by_program.pk])
    return a


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Aliyev", "Visit with a member"),
        ("asset recovery", "Visit with a workshop"),
        ("Carpet Museum", "Visit with a site visit"),
        ("Plan of Consultations", "Visit under a draft plan"),
        ("CONSULTATIONS 20", "Visit under a draft plan"),
        ("draft-visit", "Draft working visit"),
    ],
)
def test_search_finds_a_visit_by_a_name_it_involves(admin_client, archive, term, expected):
    titles = listed_titles(admin_client.get(CHANGELIST, {"q": term}))

    assert titles == {expected}


def test_search_finds_a_programme_by_its_title_as_it_is_now(admin_client, archive):
    # The programmes' titles are kept between searches (admin.programmes_titled) only
    # until a record changes.
    assert listed_titles(admin_client.get(CHANGELIST, {"q": "Plan of Consultations"}))
    program = archive.draft_program
    program.title_ru = "План консультаций"
    program.title = "Roadmap 2030"
    program.save()
    assert not listed_titles(admin_client.get(CHANGELIST, {"q": "Plan of Consultations"}))
    for term in ("roadmap", "ПЛАН КОНСУЛЬТАЦИЙ"):
        titles = listed_titles(admin_client.get(CHANGELIST, {"q": term}))
        assert titles == {"Visit under a draft plan"}


def test_search_for_an_unknown_word_lists_nothing_and_says_so(admin_client, archive):
    response = admin_client.get(CHANGELIST, {"q": "zzyzx"})

    assert listed_titles(response) == set()
    assert "0 delegations" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "draft"}, {"Draft working visit"}),
        ({"status__exact": "in_review"}, {"Visit under a draft plan"}),
        ({"country": "MD"}, {"Visit under a draft plan"}),
        ({"year": "2022"}, {"Visit with a workshop", "Visit with a site visit"}),
        ({"start_date__year": "2021"}, {"Visit with a member"}),
        ({"visit_type__exact": "official"}, set()),
    ],
)
def test_sidebar_filters_narrow_the_list(admin_client, archive, params, expected):
    assert listed_titles(admin_client.get(CHANGELIST, params)) == expected


def test_programme_filter_lists_the_programmes_visits(admin_client, archive):
    response = admin_client.get(CHANGELIST, {"program__id__exact": archive.program.pk})

    assert listed_titles(response) == {"Published working visit", "Draft working visit"}


@pytest.mark.parametrize("params", [{"year": "not-a-year"}, {"year": "99999999999"}])
def test_a_malformed_year_lists_nothing_rather_than_failing(admin_client, archive, params):
    assert listed_titles(admin_client.get(CHANGELIST, params)) == set()


def test_year_choices_span_the_archive(admin_client, archive):
    page = admin_client.get(CHANGELIST).content.decode()

    # The date hierarchy and the year filter both offer 2019 … 2024, first visit to last.
    for year in range(2019, 2025):
        assert f"start_date__year={year}" in page
        assert f"year={year}" in page
    assert "start_date__year=2018" not in page
    assert "start_date__year=2025" not in page


def test_a_years_months_span_its_first_visit_to_its_last(admin_client, archive):
    # 2022 has visits in June and September: the hierarchy offers June to September, from
    # two index lookups rather than reading the year's every row for its distinct months.
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST, {"start_date__year": "2022"})
    page = response.content.decode()
    months = re.findall(r"start_date__month=(\d+)&amp;start_date__year=2022", page)
    assert [int(month) for month in months] == [6, 7, 8, 9]
    assert "June 2022" in page and "September 2022" in page
    assert 'href="?"' in page and "All dates" in page
    distinct_visits = [
        q["sql"]
        for q in queries.captured_queries
        if "DISTINCT" in q["sql"].upper() and 'FROM "cooperation_delegation"' in q["sql"]
    ]
    assert not distinct_visits
    # A month offered with no visit in it lists none; one with a visit lists it.
    assert (
        listed_titles(
            admin_client.get(CHANGELIST, {"start_date__year": "2022", "start_date__month": "7"})
        )
        == set()
    )
    assert listed_titles(
        admin_client.get(CHANGELIST, {"start_date__year": "2022", "start_date__month": "9"})
    ) == {"Visit with a site visit"}


@pytest.mark.parametrize("year", ["1999", "0", "99999"])
def test_a_year_without_visits_or_out_of_range_offers_no_months(admin_client, archive, year):
    response = admin_client.get(CHANGELIST, {"start_date__year": year})
    assert response.status_code in (200, 302)
    assert "start_date__month=" not in response.content.decode()


def test_no_count_reads_the_whole_archive(admin_client, archive, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the list is counted"
    assert all("LIMIT" in sql.upper() for sql in counts), counts
    label = re.search(r"(more than|about) [\d,]+ delegations", response.content.decode())
    assert label, "a count past the cap is labelled as a bound or an estimate"


def test_each_row_has_the_selection_box_django_would_render(admin_client, make_event):
    # The changelist writes its selection boxes directly (cooperation/admin.py,
    # RecordAdmin.action_checkbox): the same input, name, value and label as Django's
    # form widget, escaped alike, and the "Select all" action still finds them.
    from django.contrib.admin import ModelAdmin, site

    from cooperation.models import Delegation

    event = make_event(title='Talks on "R&D" <and> extradition')
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    model_admin = site._registry[Delegation]
    django_box = ModelAdmin.action_checkbox(model_admin, event)
    assert model_admin.action_checkbox(event) == django_box
    assert django_box in response.content.decode()
    assert f'value="{event.pk}" class="action-select"' in django_box
    assert "&lt;and&gt;" in django_box


@pytest.mark.parametrize(
    "params",
    [{}, {"country": "AZ"}, {"q": "visit", "start_date__year": "2022", "o": "2"}],
)
def test_each_row_links_with_the_lists_filters_as_djangos_would(admin_client, archive, params):
    # The rows' links carry the list's filters, worked out once for the page
    # (cooperation/admin.py, RecordChangeList): the same address Django's own
    # add_preserved_filters gives each row, so saving a record returns to the same list.
    from django.contrib.admin.templatetags.admin_urls import add_preserved_filters

    response = admin_client.get(CHANGELIST, params)
    cl = response.context["cl"]
    preserved = cl.model_admin.get_preserved_filters(response.wsgi_request)
    assert bool(preserved) == bool(params)
    page = response.content.decode()
    assert cl.result_list
    for visit in cl.result_list:
        change = reverse("admin:cooperation_delegation_change", args=[visit.pk])
        djangos = add_preserved_filters({"preserved_filters": preserved, "opts": cl.opts}, change)
        assert cl.url_for_result(visit) == djangos
        assert f'href="{escape(djangos)}"' in page


def test_the_programme_filter_lists_what_djangos_would_in_one_query(admin_client, archive):
    # Its choices are read with only the titles (cooperation/admin.py, ProgrammeListFilter):
    # the same names in the same order as Django's own filter gives, in one query.
    from django.contrib import admin

    CooperationProgram.objects.create(title="Zonal programme", slug="zonal")
    CooperationProgram.objects.create(title="Annual plan", slug="annual", title_ru="План")
    # Not a programme: the field does not take it, and neither filter lists it.
    CooperationProgram.objects.create(
        title="Memorandum", slug="mou", kind=CooperationProgram.Kind.MEMORANDUM
    )
    response = admin_client.get(CHANGELIST)
    (spec,) = [
        s for s in response.context["cl"].filter_specs if getattr(s, "field_path", "") == "program"
    ]
    request = response.wsgi_request
    model_admin = response.context["cl"].model_admin
    field = spec.field
    # Read once per registry version: drawn for the page, asked again they cost only the
    # version's read.
    with CaptureQueriesContext(connection) as queries:
        ours = spec.field_choices(field, request, model_admin)
    assert len(queries) == 1 and "cooperation_registry_version" in queries[0]["sql"]
    djangos = admin.RelatedFieldListFilter.field_choices(spec, field, request, model_admin)
    assert ours == djangos
    assert ("Annual plan" in dict(ours).values()) and len(ours) >= 3
    assert "Memorandum" not in dict(ours).values()
    page = response.content.decode()
    assert "Zonal programme" in page
    # Renamed, a programme is listed under its new name on the next page.
    program = archive.program
    old_title, program.title = program.title, "Regional programme"
    assert old_title in page
    # Saved as the world was made (the record is not rule-complete); any save moves the
    # registry version.
    program.save()
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Regional programme" in page and old_title not in page
