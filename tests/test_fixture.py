"""The Baku fixture: the records it holds, and how `loaddata` treats it and broken copies of it.

Broken fixtures are built from the real fixture's JSON, so they stay in step with it when it
changes. Tests that check that a failed load leaves nothing behind run with
`transaction=True`: loaddata's own transaction then commits or rolls back for real instead
of being a savepoint inside the test's transaction.
"""

import datetime as dt
import io
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction

from cooperation.models import (
    CooperationProgram,
    Delegation,
    Meeting,
    Organization,
    Person,
    Revision,
    SiteVisit,
    Source,
    Status,
    Workshop,
)

FIXTURE_PATH = settings.BASE_DIR / "fixtures" / "baku_2023.json"

VISIT = "russian-prosecutors-working-visit-baku-2023"
PROGRAM = "azerbaijan-russia-prosecutors-cooperation-program-2021-2023"
AZ_OFFICE = "prosecutor-generals-office-azerbaijan"
RU_OFFICE = "prosecutor-generals-office-russia"
SOURCE_URL = "https://en.trend.az/azerbaijan/politics/3838081.html"

# Rows per table after loading the fixture, the many-to-many tables included.
EXPECTED_ROWS = {
    "cooperation.Organization": 4,
    "cooperation.Person": 3,
    "cooperation.PersonName": 6,
    "cooperation.Position": 3,
    # Baku and Moscow inside their countries, Azerbaijan and Russia.
    "cooperation.Place": 7,
    "cooperation.Topic": 9,
    "cooperation.Source": 1,
    "cooperation.CooperationProgram": 1,
    "cooperation.CooperationProgram_parties": 2,
    "cooperation.ProgramSignatory": 2,
    "cooperation.ProgramCitation": 1,
    "cooperation.Delegation": 1,
    # The article names no member of the delegation.
    "cooperation.DelegationMember": 0,
    "cooperation.DelegationCitation": 1,
    "cooperation.Meeting": 2,
    "cooperation.MeetingParticipant": 4,
    "cooperation.MeetingCitation": 2,
    "cooperation.Workshop": 1,
    "cooperation.Workshop_topics": 8,
    "cooperation.Delegation_topics": 0,
    "cooperation.Meeting_topics": 0,
    "cooperation.SiteVisit_topics": 0,
    "cooperation.WorkshopCitation": 1,
    "cooperation.SiteVisit": 4,
    "cooperation.SiteVisitCitation": 4,
    # The visit carried out a programme signed earlier; it was no part of an occasion.
    "cooperation.CooperationProgram_topics": 0,
    "cooperation.Signing": 0,
    "cooperation.Series": 0,
    "cooperation.Occasion": 0,
}


def cooperation_models(include_auto_created=False):
    """The models of records; the event index (derived, unmanaged) and the changes waiting
    for review are none of them."""
    config = apps.get_app_config("cooperation")
    models = config.get_models(include_auto_created=include_auto_created)
    return [model for model in models if model._meta.managed and model is not Revision]


def row_counts():
    return {
        model._meta.label: model._base_manager.count()
        for model in cooperation_models(include_auto_created=True)
    }


def dump():
    """Everything the cooperation app holds, as `dumpdata` with natural keys writes it."""
    out = io.StringIO()
    call_command("dumpdata", "cooperation", natural_foreign=True, natural_primary=True, stdout=out)
    return out.getvalue()


def load(fixture):
    call_command("loaddata", fixture, verbosity=0)


def empty_cooperation_tables():
    tables = [model._meta.db_table for model in cooperation_models(include_auto_created=True)]
    # Changes waiting for review refer to the records: emptied with them.
    tables.append(Revision._meta.db_table)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))


def fixture_records():
    return json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))


def the_record(records, model, **fields):
    matches = [
        record
        for record in records
        if record["model"] == model
        and all(record["fields"].get(name) == value for name, value in fields.items())
    ]
    assert len(matches) == 1, f"expected one {model} with {fields}, found {len(matches)}"
    return matches[0]


@pytest.fixture
def baku(db):
    load("baku_2023")


# --- What the fixture holds ---------------------------------------------------------------


def test_fixture_loads_by_name_with_every_record_of_the_article(db):
    load("baku_2023")

    assert row_counts() == EXPECTED_ROWS


def test_programme_was_signed_in_moscow_on_12_january_2021_by_both_prosecutors_general(baku):
    program = CooperationProgram.objects.published().get(slug=PROGRAM)

    assert (program.start_year, program.end_year) == (2021, 2023)
    assert program.signed_on == dt.date(2021, 1, 12)
    assert program.signed_at.slug == "moscow"
    assert set(program.parties.values_list("slug", flat=True)) == {AZ_OFFICE, RU_OFFICE}
    signatories = [(s.person.slug, s.organization.slug, s.title) for s in program.signatories.all()]
    assert signatories == [
        ("kamran-aliyev", AZ_OFFICE, "Prosecutor General"),
        ("igor-krasnov", RU_OFFICE, "Prosecutor General"),
    ]
    assert list(program.sources.values_list("url", flat=True)) == [SOURCE_URL]


def test_visit_is_a_working_visit_reported_under_way_on_15_december_2023(baku):
    visit = Delegation.objects.published().get(slug=VISIT)

    assert visit.sending_organization.slug == RU_OFFICE
    assert visit.host_organization.slug == AZ_OFFICE
    assert visit.program.slug == PROGRAM
    assert visit.visit_type == Delegation.VisitType.WORKING
    assert visit.start_date == dt.date(2023, 12, 15)
    assert visit.date_basis == Delegation.DateBasis.REPORTED
    assert visit.end_date is None
    assert visit.location.slug == "baku"
    assert not visit.members.exists()
    assert list(visit.sources.values_list("url", flat=True)) == [SOURCE_URL]


def test_workshop_covers_the_eight_topics_the_article_lists(baku):
    workshop = Workshop.objects.get(delegation__slug=VISIT)

    assert set(workshop.topics.values_list("slug", flat=True)) == {
        "extradition-in-criminal-cases",
        "legal-assistance-in-criminal-cases",
        "asset-recovery",
        "combating-domestic-violence",
        "protection-of-the-rights-of-minors",
        "combating-crimes-against-minors",
        "state-prosecution-in-environmental-crime-cases",
        "exchange-of-experience",
    }
    asset_recovery = workshop.topics.get(slug="asset-recovery")
    assert asset_recovery.parent.slug == "international-legal-cooperation"


def test_only_the_heydar_aliyev_center_visit_has_a_date(baku):
    visit = Delegation.objects.get(slug=VISIT)
    dates = {activity.slug: activity.date for activity in visit.activities()}

    assert dates == {
        "welcome": None,
        "workshops": None,
        "new-administrative-building": None,
        "victory-museum": None,
        "scientific-advisory-council-meeting": None,
        "historical-and-cultural-monuments-of-baku": None,
        "heydar-aliyev-center": dt.date(2023, 12, 15),
    }


def test_activities_keep_the_order_of_the_article(baku):
    visit = Delegation.objects.get(slug=VISIT)
    by_order = sorted(visit.activities(), key=lambda activity: activity.order)

    assert [activity.slug for activity in by_order] == [
        "welcome",
        "workshops",
        "new-administrative-building",
        "victory-museum",
        "scientific-advisory-council-meeting",
        "heydar-aliyev-center",
        "historical-and-cultural-monuments-of-baku",
    ]


def test_every_activity_cites_the_article(baku):
    visit = Delegation.objects.get(slug=VISIT)
    cited = {
        activity.slug: list(activity.sources.values_list("url", flat=True))
        for activity in visit.activities()
    }

    assert len(cited) == 7
    assert all(urls == [SOURCE_URL] for urls in cited.values()), cited


def test_meetings_name_who_welcomed_and_who_attended_as_guests(baku):
    def participants(slug):
        meeting = Meeting.objects.get(delegation__slug=VISIT, slug=slug)
        return [
            (
                p.person.slug if p.person else None,
                p.organization.slug if p.organization else None,
                p.side,
                p.role,
            )
            for p in meeting.participants.all()
        ]

    assert participants("welcome") == [
        (
            "erkin-alikhanov",
            "international-legal-cooperation-department-azerbaijan",
            "host",
            "welcomed the guests",
        ),
        (None, RU_OFFICE, "visiting", "thanked the hosts for their hospitality"),
    ]
    assert participants("scientific-advisory-council-meeting") == [
        (None, "scientific-advisory-council-azerbaijan", "host", "held its regular meeting"),
        (None, RU_OFFICE, "visiting", "attended as guests"),
    ]


def test_site_visits_go_to_the_places_the_article_names(baku):
    places = dict(
        SiteVisit.objects.filter(delegation__slug=VISIT).values_list("slug", "place__slug")
    )

    assert places == {
        "new-administrative-building": "prosecutor-generals-office-azerbaijan-new-building",
        "victory-museum": "victory-museum-baku",
        "heydar-aliyev-center": "heydar-aliyev-center",
        "historical-and-cultural-monuments-of-baku": "baku",
    }


def test_source_says_the_azerbaijani_office_supplied_the_information(baku):
    source = Source.objects.get_by_natural_key(SOURCE_URL)

    assert source.publisher == "Trend News Agency"
    assert source.published_on == dt.date(2023, 12, 15)
    assert source.supplied_by.slug == AZ_OFFICE


def test_departments_belong_to_the_azerbaijani_office(baku):
    units = Organization.objects.get(slug=AZ_OFFICE).units.values_list("slug", flat=True)

    assert set(units) == {
        "international-legal-cooperation-department-azerbaijan",
        "scientific-advisory-council-azerbaijan",
    }


def test_people_carry_their_azerbaijani_and_cyrillic_spellings(baku):
    spellings = {
        person.slug: {(n.name, n.language, n.script) for n in person.other_names.all()}
        for person in Person.objects.all()
    }

    assert spellings == {
        "kamran-aliyev": {("Kamran Əliyev", "az", "Latn"), ("Камран Алиев", "ru", "Cyrl")},
        "igor-krasnov": {("İqor Krasnov", "az", "Latn"), ("Игорь Краснов", "ru", "Cyrl")},
        "erkin-alikhanov": {("Erkin Əlixanov", "az", "Latn"), ("Эркин Алиханов", "ru", "Cyrl")},
    }


def test_programme_and_visit_are_published(baku):
    assert CooperationProgram.objects.published().filter(slug=PROGRAM).exists()
    assert Delegation.objects.published().filter(slug=VISIT).exists()
    assert not Delegation.objects.exclude(status=Status.PUBLISHED).exists()


def test_every_loaded_record_passes_model_validation(baku):
    failures = {}
    checked = 0
    for model in cooperation_models():
        for obj in model._default_manager.all():
            checked += 1
            try:
                obj.full_clean()
            except ValidationError as error:
                failures[f"{model._meta.label} {obj}"] = error

    assert failures == {}
    assert checked == sum(EXPECTED_ROWS[model._meta.label] for model in cooperation_models())


# --- Loading again, and loading a dump ----------------------------------------------------


def test_loading_the_fixture_twice_changes_nothing(db):
    load("baku_2023")
    before, rows_before = dump(), row_counts()

    load("baku_2023")

    assert rows_before == EXPECTED_ROWS
    assert row_counts() == rows_before
    assert dump() == before


@pytest.mark.django_db(transaction=True)
def test_dump_of_the_loaded_fixture_loads_back_into_empty_tables_unchanged(tmp_path):
    load("baku_2023")
    before = dump()
    dump_file = tmp_path / "cooperation.json"
    dump_file.write_text(before, encoding="utf-8")

    empty_cooperation_tables()
    assert set(row_counts().values()) == {0}

    load(str(dump_file))

    assert row_counts() == EXPECTED_ROWS
    assert dump() == before


# --- Broken fixtures ----------------------------------------------------------------------


def host_is_unknown(records):
    the_record(records, "cooperation.delegation", slug=VISIT)["fields"]["host_organization"] = [
        "no-such-office"
    ]
    return json.dumps(records)


def json_is_truncated(records):
    text = json.dumps(records, indent=2)
    return text[: len(text) // 2]


def visit_ends_before_it_starts(records):
    the_record(records, "cooperation.delegation", slug=VISIT)["fields"]["end_date"] = "2023-12-14"
    return json.dumps(records)


def last_record_has_an_impossible_date(records):
    records[-1]["fields"]["created_at"] = "2026-02-30T12:00:00Z"
    return json.dumps(records)


def model_is_unknown(records):
    records.insert(len(records) // 2, {"model": "cooperation.nosuchrecord", "fields": {}})
    return json.dumps(records)


# The project's loaddata reports each as a CommandError naming the record (the messages are
# tested in test_fixture_atomicity.py).
BROKEN_FIXTURES = {
    "unknown natural key": (host_is_unknown, CommandError),
    "malformed JSON": (json_is_truncated, CommandError),
    "constraint violation": (visit_ends_before_it_starts, CommandError),
    "last record bad": (last_record_has_an_impossible_date, CommandError),
    "unknown model": (model_is_unknown, CommandError),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("starting_from", ["empty tables", "the Baku records"])
@pytest.mark.parametrize("defect", BROKEN_FIXTURES)
def test_broken_fixture_is_refused_and_leaves_the_database_as_it_was(
    tmp_path, defect, starting_from
):
    if starting_from == "the Baku records":
        load("baku_2023")
    before, rows_before = dump(), row_counts()

    records = fixture_records()
    # A change early in the file, so that a load that stopped half way would show in the
    # dump even when every record is already in the database.
    records[0]["fields"]["name_en"] = "Renamed by a broken fixture"
    break_it, expected_error = BROKEN_FIXTURES[defect]
    broken = tmp_path / "broken.json"
    broken.write_text(break_it(records), encoding="utf-8")

    with pytest.raises(expected_error):
        load(str(broken))

    assert row_counts() == rows_before
    assert dump() == before


@pytest.mark.parametrize("write", ["raw save", "queryset update"])
def test_database_refuses_a_visit_that_ends_before_it_starts(baku, write):
    visit = Delegation.objects.get(slug=VISIT)
    day_before_start = visit.start_date - dt.timedelta(days=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        if write == "raw save":
            visit.end_date = day_before_start
            visit.save_base(raw=True)
        else:
            Delegation.objects.filter(pk=visit.pk).update(end_date=day_before_start)

    visit.refresh_from_db()
    assert visit.end_date is None


def test_database_accepts_a_visit_that_ends_on_the_day_it_starts(baku):
    visits = Delegation.objects.filter(slug=VISIT)

    visits.update(end_date=dt.date(2023, 12, 15))

    assert visits.get().end_date == dt.date(2023, 12, 15)
