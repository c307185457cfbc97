"""generate_records (bench/synthetic/): a deterministic synthetic archive for performance
work, from a development-only app.

Most tests read one archive made once for the module (`archive`), since making the world
of reference records is what takes the time. Tests that generate their own empty the
database first, inside their transaction, so the archive is back when they are done.
"""

import collections
import datetime as dt
import re
import runpy
import time
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.html import escape

from bench.synthetic import vocabulary
from cooperation import eventindex
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    EventTerm,
    Meeting,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramSignatory,
    Series,
    Signing,
    SiteVisit,
    Source,
    Status,
    Topic,
    Workshop,
)
from cooperation.records import derived

ROOT = Path(__file__).resolve().parent.parent

# Every test here uses the test database, even one that only reads what `archive` printed:
# pytest-django sets up test databases only when a selected test asks for one, and
# `archive` must never write to (and flush!) the development database.
pytestmark = pytest.mark.django_db

ARCHIVE_SIZE = 200


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("generate_records", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """ARCHIVE_SIZE delegations (seed 3) for the tests that only read, emptied afterwards."""
    with django_db_blocker.unblock():
        try:
            # --force: pytest-django runs with DEBUG off, which the command refuses otherwise.
            output = run_command(
                f"--delegations={ARCHIVE_SIZE}", "--seed=3", "--batch-size=50", "--force"
            )
            yield output
        finally:
            # Empty as other modules expect it, even after a load that failed half-way.
            call_command("flush", interactive=False, verbosity=0)


def empty_database():
    # Nothing here needs the content types and permissions that post_migrate would recreate.
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)


@pytest.fixture
def generate(db, settings):
    """Run the command as on a development machine, from an empty database; return
    (stdout, stderr)."""
    settings.DEBUG = True
    empty_database()

    def run(*args):
        output = run_command(*args)
        # Foreign keys are checked at commit, which a test's transaction never reaches.
        connection.check_constraints()
        return output

    return run


def snapshot():
    """Every cooperation record, as rows of natural keys and values (no ids)."""
    rows = {}
    for model in apps.get_app_config("cooperation").get_models(include_auto_created=True):
        fields = []
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            if not field.is_relation:
                fields.append(field.name)
            elif field.related_model is Source:
                fields.append(f"{field.name}__url")
            elif field.related_model is get_user_model():
                fields.append(f"{field.name}__username")
            elif field.related_model in (Meeting, Workshop, SiteVisit):
                fields += [f"{field.name}__delegation__slug", f"{field.name}__slug"]
            else:
                fields.append(f"{field.name}__slug")
        rows[model.__name__] = list(model.objects.order_by(*fields).values_list(*fields))
    return rows


def activity_counts():
    counts = collections.Counter()
    for model in (Meeting, Workshop, SiteVisit):
        counts.update(model.objects.values_list("delegation__slug", flat=True))
    return counts


# --- What an archive holds ------------------------------------------------------------------


def test_generates_numbered_delegations_with_3_to_8_activities(archive):
    out, _ = archive

    slugs = list(Delegation.objects.order_by("slug").values_list("slug", flat=True))
    assert slugs == [f"visit-{n:07d}" for n in range(1, ARCHIVE_SIZE + 1)]
    assert f"Created {ARCHIVE_SIZE} delegations" in out
    per_delegation = activity_counts()
    assert set(per_delegation) == set(slugs)
    assert all(3 <= count <= 8 for count in per_delegation.values())
    assert set(per_delegation.values()) == set(range(3, 9))


def test_activities_have_their_participants_topics_and_places(archive):
    for meeting in Meeting.objects.prefetch_related("participants"):
        orders = [p.order for p in meeting.participants.all()]
        assert 1 <= len(orders) <= 3
        assert len(set(orders)) == len(orders)
    for workshop in Workshop.objects.prefetch_related("topics"):
        assert 1 <= len(workshop.topics.all()) <= 3
    assert not SiteVisit.objects.filter(place=None).exists()
    assert DelegationCitation.objects.count() == ARCHIVE_SIZE
    heads = collections.Counter(
        DelegationMember.objects.filter(is_head=True).values_list("delegation", flat=True)
    )
    assert len(heads) > ARCHIVE_SIZE * 0.8
    assert max(heads.values()) == 1


def test_about_a_tenth_of_visits_and_programmes_are_drafts(archive):
    for model in (Delegation, CooperationProgram):
        drafts = model.objects.exclude(status=Status.PUBLISHED)
        share = drafts.count() / model.objects.count()
        assert 0.05 <= share <= 0.16, (model, share)
        assert not drafts.exclude(published_at=None).exists()
        assert not model.objects.published().filter(published_at=None).exists()


def test_visits_are_plausible(archive):
    visits = Delegation.objects.select_related("host_organization", "location", "program")
    under_programme = 0
    for visit in visits:
        assert visit.sending_organization_id != visit.host_organization_id
        assert visit.location.country == visit.host_organization.country
        assert 2000 <= visit.start_date.year <= 2026
        if visit.program:
            under_programme += 1
            assert visit.program.start_year <= visit.start_date.year <= visit.program.end_year
    assert under_programme / len(visits) > 0.7
    assert {visit.visit_type for visit in visits} == set(Delegation.VisitType.values)
    assert Delegation.objects.filter(end_date__gt=F("start_date")).count() > ARCHIVE_SIZE * 0.7
    reported = Delegation.objects.exclude(date_basis=Delegation.DateBasis.VISIT).count()
    assert 0 < reported < ARCHIVE_SIZE * 0.2


def test_no_record_is_dated_in_the_future_or_out_of_order(archive):
    now = timezone.now()
    for model in (CooperationProgram, Delegation):
        records = model.objects.all()
        published = records.exclude(published_at=None)
        assert published.exists(), model
        assert not published.filter(published_at__gt=now).exists(), model
        assert not published.filter(created_at__gt=F("published_at")).exists(), model
        assert not published.filter(updated_at__lt=F("published_at")).exists(), model
    stamped = [
        model
        for model in apps.get_app_config("cooperation").get_models()
        if {"created_at", "updated_at"} <= {field.name for field in model._meta.fields}
    ]
    for model in stamped:
        records = model.objects.all()
        assert not records.filter(updated_at__gt=now).exists(), model
        assert not records.filter(updated_at__lt=F("created_at")).exists(), model


def test_a_visit_is_recorded_after_it_ended(archive):
    recorded_on = TruncDate("created_at", tzinfo=dt.UTC)
    last_day = Coalesce("end_date", "start_date")

    visits = Delegation.objects.annotate(recorded_on=recorded_on, last_day=last_day)

    assert visits.count() == ARCHIVE_SIZE
    assert not visits.filter(recorded_on__lte=F("last_day")).exists()


def test_world_is_synthetic_and_complete(archive):
    countries = set(Organization.objects.filter(parent=None).values_list("country", flat=True))
    assert len(countries) >= 60
    assert Organization.objects.exclude(parent=None).count() >= len(countries) * 2
    # Places are rooted in countries: each country, its capital inside it.
    assert Place.objects.filter(kind=Place.Kind.COUNTRY, parent=None).count() == len(countries)
    assert not Place.objects.exclude(kind=Place.Kind.COUNTRY).filter(parent=None).exists()
    assert Place.objects.filter(
        kind=Place.Kind.CITY, parent__kind=Place.Kind.COUNTRY
    ).count() == len(countries)
    assert Topic.objects.exclude(parent=None).count() >= 60
    assert PersonName.objects.filter(script=PersonName.Script.CYRILLIC).exists()
    urls = Source.objects.values_list("url", flat=True)
    assert urls and all(url.startswith("https://example.org/") for url in urls)
    programmes = CooperationProgram.objects.filter(kind=CooperationProgram.Kind.PROGRAMME)
    for programme in programmes.prefetch_related("parties", "signatories"):
        assert len(programme.parties.all()) == 2
        assert len(programme.signatories.all()) == 2


def test_a_sample_of_every_kind_of_record_passes_full_clean(archive):
    for model in (
        Organization,
        Person,
        PersonName,
        Position,
        Place,
        Topic,
        Source,
        CooperationProgram,
        ProgramSignatory,
        Delegation,
        DelegationMember,
        DelegationCitation,
        Meeting,
        MeetingParticipant,
        Workshop,
        Workshop.topics.through,
        SiteVisit,
        Series,
        Occasion,
        Signing,
    ):
        sample = list(model.objects.order_by("?")[:8])
        assert sample, model
        for record in sample:
            record.full_clean()


def test_some_visits_are_part_of_an_occasion_or_where_a_memorandum_was_signed(archive):
    # So that the occasion and instrument filters have rows to read at any archive size.
    assert Delegation.objects.exclude(occasion=None).exists()
    for signing in Signing.objects.select_related("instrument", "delegation"):
        memorandum, visit = signing.instrument, signing.delegation
        assert memorandum.kind == CooperationProgram.Kind.MEMORANDUM
        assert memorandum.signed_on == visit.start_date
        assert set(memorandum.parties.all()) == {
            visit.sending_organization,
            visit.host_organization,
        }
        assert memorandum.status == visit.status
    published = Signing.objects.filter(delegation__status="published").first()
    assert published is not None
    assert EventTerm.objects.filter(
        delegation=published.delegation, term=f"i:{published.instrument_id}"
    ).exists()


def test_search_text_and_vector_are_the_sites_own(archive):
    # Written by derived.rebuild_all after the load: the one definition the site uses.
    assert not Delegation.objects.filter(search_text="").exists()
    sample = dict(Delegation.objects.order_by("?").values_list("pk", "search_text")[:40])
    for pk, document in derived.search_documents(sample).items():
        assert document == sample[pk]
    if connection.vendor == "postgresql":
        in_order = Delegation.objects.order_by("pk")
        stored = list(in_order.values_list("search_vector", flat=True))
        in_order.update_search_vector()  # rolled back with the test
        assert list(in_order.values_list("search_vector", flat=True)) == stored


def test_event_index_is_built_for_the_new_visits(archive):
    def rows():
        return set(EventTerm.objects.values_list("delegation_id", "term", "start_date"))

    built = rows()
    assert {pk for pk, _, _ in built} == set(
        Delegation.objects.published().values_list("pk", flat=True)
    )
    eventindex.rebuild()  # rolled back with the test
    assert rows() == built


def test_public_pages_and_search_work_over_the_archive(archive, client):
    published = Delegation.objects.published().order_by("-start_date", "-id")
    response = client.get("/events/")
    assert response.status_code == 200
    assert escape(published[0].title) in response.text

    visit = published.filter(program__status=Status.PUBLISHED).first()
    assert client.get(visit.get_absolute_url()).status_code == 200
    assert client.get(visit.program.get_absolute_url()).status_code == 200
    member = visit.members.first().person
    assert visit.get_absolute_url() in client.get(member.get_absolute_url()).text
    assert visit in Delegation.objects.published().search(member.name.split()[-1])
    assert client.get("/events/", {"q": member.name}).status_code == 200


# --- Determinism, appending, refusals -------------------------------------------------------


def test_same_seed_gives_the_same_records_and_another_seed_others(generate):
    _, err = generate("--delegations=25", "--seed=7", "--quiet")
    assert err == ""  # no progress
    first = snapshot()
    empty_database()
    generate("--delegations=25", "--seed=7", "--quiet", "--batch-size=4")
    second = snapshot()
    Delegation.objects.all().delete()  # the world stays
    generate("--delegations=25", "--seed=8", "--quiet")
    other = snapshot()

    assert len(first["Delegation"]) == 25
    assert first == second
    assert other["Delegation"] != first["Delegation"]


def test_append_continues_the_sequence_of_a_longer_run(generate):
    generate("--delegations=20", "--seed=5", "--quiet")
    whole = snapshot()
    Delegation.objects.all().delete()
    generate("--delegations=12", "--seed=5", "--quiet")
    out, _ = generate("--delegations=8", "--seed=5", "--quiet", "--append")

    assert "visit-0000013 to visit-0000020" in out
    assert snapshot() == whole


def test_append_to_an_archive_with_a_memorandum_signed_by_a_unit(generate):
    # Memoranda are signed between a visit's own two sides (bench/synthetic/signings.py),
    # and a side may be an office's unit: reading the world back for --append must not
    # take them for the programmes between offices.
    generate("--delegations=3", "--seed=5", "--quiet")
    unit = Organization.objects.filter(slug__startswith="syn-", parent__isnull=False).first()
    memorandum = CooperationProgram.objects.create(
        kind=CooperationProgram.Kind.MEMORANDUM,
        title="Memorandum of understanding",
        slug="syn-memorandum-3",
        signed_on=dt.date(2020, 5, 1),
    )
    memorandum.parties.set([unit, unit.parent])

    out, _ = generate("--delegations=2", "--seed=5", "--quiet", "--append")

    assert "visit-0000004 to visit-0000005" in out
    assert Delegation.objects.count() == 5


def test_refuses_to_add_to_existing_delegations_without_append(generate, world):
    # (`generate` empties the database before `world` is made.)
    with pytest.raises(CommandError, match="--append"):
        generate("--delegations=5")

    assert Delegation.objects.count() == 2
    assert not Organization.objects.filter(slug__startswith="syn-").exists()


def test_refuses_with_debug_off_unless_forced(archive, settings):
    settings.DEBUG = False  # as under pytest-django, where `archive` was made with --force

    with pytest.raises(CommandError, match="DEBUG"):
        run_command("--delegations=1", "--append")

    assert Delegation.objects.count() == ARCHIVE_SIZE


def test_progress_is_a_line_per_step_when_stderr_is_not_a_terminal(archive):
    _, err = archive  # four batches of 50

    lines = err.splitlines()
    if connection.vendor == "postgresql":
        # The load started on empty tables, so their indexes were set aside and rebuilt:
        # the visits' own after their search text and vector were written.
        assert re.match(r"Building \d+ indexes of the visits' table…$", lines.pop())
        assert re.match(r"Building \d+ indexes over the new rows…$", lines.pop(-2))
    assert len(lines) == 5
    assert re.match(r"\[#+\.*\] 50/200 delegations +25% .* ETA \d+:\d\d:\d\d$", lines[0])
    assert "200/200 delegations 100%" in lines[-2]
    assert lines[-1] == "Building the search text and event index of the new visits…"


def test_every_index_is_in_place_after_a_load_from_empty_tables(generate):
    def indexes():
        with connection.cursor() as cursor:
            return {
                (model._meta.db_table, name, tuple(info["columns"]), info["unique"])
                for model in (Delegation, Meeting, Workshop, SiteVisit, MeetingParticipant)
                for name, info in connection.introspection.get_constraints(
                    cursor, model._meta.db_table
                ).items()
                if info["index"] or info["unique"]
            }

    before = indexes()
    generate("--delegations=20", "--seed=5")
    assert indexes() == before
    assert len(before) > 10


@pytest.mark.django_db(transaction=True)
def test_committed_batches_reach_the_cached_public_pages(settings, client):
    # Outside a transaction, on PostgreSQL, writer threads write the batches (elsewhere the
    # main thread does). Either way every batch arrives, and a page cached before is stale.
    # pytest-django runs transactional tests after the others and empties the database
    # after each, so emptying it here costs the module's archive nothing.
    settings.DEBUG = True
    call_command("flush", interactive=False, verbosity=0)
    assert "visit-" not in client.get("/events/").text

    run_command("--delegations=25", "--batch-size=4", "--writers=2", "--quiet")

    assert Delegation.objects.count() == 25
    assert set(activity_counts()) == set(Delegation.objects.values_list("slug", flat=True))
    newest = Delegation.objects.published().order_by("-start_date", "-id").first()
    assert escape(newest.title) in client.get("/events/").text

    # Outside a transaction, on PostgreSQL, the derived data was written by threads of
    # their own (derived.rebuild_all's `beside`): it is still what the site's own
    # definitions give.
    texts = dict(Delegation.objects.values_list("pk", "search_text"))
    assert "" not in texts.values()
    assert derived.search_documents(texts) == texts
    vectors = dict(Delegation.objects.values_list("pk", "search_vector"))
    index = set(EventTerm.objects.values_list("delegation_id", "term", "start_date"))
    assert {pk for pk, _, _ in index} == set(
        Delegation.objects.published().values_list("pk", flat=True)
    )
    Delegation.objects.update_search_vector()  # from the stored texts, on PostgreSQL
    eventindex.rebuild()
    assert dict(Delegation.objects.values_list("pk", "search_vector")) == vectors
    assert set(EventTerm.objects.values_list("delegation_id", "term", "start_date")) == index


def test_work_beside_a_rebuild_hands_its_error_to_the_thread_that_waits():
    done = []

    def work(item, using):
        if item == "broken":
            raise ValueError(item)
        done.append(item)

    beside = derived._Beside(work, "default")
    beside.put("first")
    beside.put("broken")
    with pytest.raises(ValueError, match="broken"):
        beside.finish()
    assert done == ["first"]

    beside = derived._Beside(work, "default")
    beside.put("broken")
    for _ in range(500):  # until the thread has taken it (at most 5 s)
        if beside.error is not None:
            break
        time.sleep(0.01)
    with pytest.raises(ValueError):
        beside.put("after")  # the reader stops at the next batch
    with pytest.raises(ValueError):
        beside.finish()
    assert done == ["first"]


# --- A development tool ---------------------------------------------------------------------


def settings_with(monkeypatch, debug):
    """config/settings.py as a site with DJANGO_DEBUG=`debug` reads it."""
    monkeypatch.setenv("DJANGO_DEBUG", debug)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "a-production-key-for-the-tests-" + "x7Qp" * 10)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "testserver")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def test_production_settings_leave_the_generator_out(monkeypatch):
    assert "bench.synthetic" not in settings_with(monkeypatch, "false")["INSTALLED_APPS"]
    assert "bench.synthetic" in settings_with(monkeypatch, "true")["INSTALLED_APPS"]


def test_the_vocabulary_names_only_kinds_the_models_know():
    assert set(vocabulary.VISIT_TITLES) == set(Delegation.VisitType.values)
    assert {kind for _, kind in vocabulary.CITY_SITES} <= set(Place.Kind.values)
    assert set(vocabulary.OFFICE_STAFF) <= set(Organization.Kind.values)
    unit_kinds = {kind for staff in vocabulary.OFFICE_STAFF.values() for _, kind in staff.units}
    assert unit_kinds == set(vocabulary.UNIT_TITLES) <= set(Organization.Kind.values)
    assert {pool.script for pool in vocabulary.NAME_POOLS.values()} <= set(PersonName.Script.values)
    assert {country.name_pool for country in vocabulary.COUNTRIES} == set(vocabulary.NAME_POOLS)
