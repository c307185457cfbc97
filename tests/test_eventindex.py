"""The event index answers each filter exactly as the relational definition in the models
does, and follows every change to what it is derived from."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from cooperation import eventindex, involvement
from cooperation.models import (
    CooperationProgram,
    Delegation,
    EventTerm,
    EventTermCount,
    EventTermList,
    Meeting,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    Place,
    ProgramSignatory,
    Signing,
    Status,
    Topic,
    Workshop,
)
from cooperation.records import derived


def indexed(*terms, **options):
    return list(eventindex.matching(terms, **options))


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def archive(world, make_event):
    """The Baku fixture, the test world, and visits that reach entities only through
    meetings, participants, workshop topics under broader topics and places inside others."""
    call_command("loaddata", "baku_2023", verbosity=0)
    law = Topic.objects.create(name="Law", slug="law")
    extradition = Topic.objects.create(name="Extradition", slug="extradition", parent=law)
    museum = Place.objects.create(name="Museum", slug="museum", country="AZ", parent=world.baku)
    court = Organization.objects.create(name="Court", slug="court", country="KZ")
    guest = Person.objects.create(name="Guest", slug="guest")
    session = Occasion.objects.create(name="Council session", slug="session")
    forum = Occasion.objects.create(name="Forum", slug="forum")
    signer = Person.objects.create(name="Signer", slug="signer")
    migration = Topic.objects.create(name="Migration", slug="migration", parent=law)
    for n, status in enumerate([Status.PUBLISHED, Status.PUBLISHED, Status.DRAFT]):
        event = make_event(status=status, start_date=dt.date(2020 + n, 5, 1), occasion=forum)
        meeting = Meeting.objects.create(
            delegation=event,
            slug="m",
            title="Talks",
            host_organization=court,
            place=museum,
            occasion=session if n else None,
        )
        MeetingParticipant.objects.create(meeting=meeting, person=guest, side="visiting")
        Workshop.objects.create(delegation=event, slug="w", title="W").topics.add(extradition)
        # A memorandum signed at the first two visits' talks, by a signer who is nowhere else.
        if n < 2:
            memorandum = CooperationProgram.objects.create(
                kind=CooperationProgram.Kind.MEMORANDUM, title=f"MoU {n}", slug=f"mou-{n}"
            )
            memorandum.parties.set([court, world.azerbaijan])
            memorandum.topics.add(migration)
            ProgramSignatory.objects.create(
                program=memorandum, person=signer, organization=court, title="Chief"
            )
            Signing.objects.create(instrument=memorandum, delegation=event, meeting=meeting)
        derived.refresh([event.pk])
    return world


def published():
    return Delegation.objects.published()


def test_every_filter_term_matches_the_relational_definition(archive):
    # The index's rows and Delegation.objects.involving() are two readings of the same
    # paths (involvement.py): one compiled into a bulk INSERT, one into a WHERE.
    values = {
        "organization": Organization.objects.all(),
        "person": Person.objects.all(),
        "place": Place.objects.all(),
        "topic": Topic.objects.all(),
        "country": ("AZ", "RU", "KZ", "FR"),
        "from_country": ("AZ", "RU", "KZ", "FR"),
        "to_country": ("AZ", "RU", "KZ", "FR"),
        "visit_type": [value for value, _ in Delegation.VisitType.choices],
        "program": [archive.program],
        "instrument": CooperationProgram.objects.all(),
        "occasion": Occasion.objects.all(),
    }
    assert values.keys() == involvement.KINDS.keys()
    cases = [
        (eventindex.term(kind, value), published().involving(kind, value))
        for kind, each in values.items()
        for value in each
    ]

    matched = 0
    for term, relational in cases:
        assert set(indexed(term)) == ids(relational), term
        matched += bool(ids(relational))
    # The comparison is not vacuous: most terms match something.
    assert matched > len(cases) / 2


def test_terms_combine_with_and_and_dates_in_date_order(archive):
    court = Organization.objects.get(slug="court")
    law = Topic.objects.get(slug="law")
    both = indexed(eventindex.term("organization", court), eventindex.term("topic", law))
    assert len(both) == 2
    dates = [Delegation.objects.get(pk=pk).start_date for pk in both]
    assert dates == sorted(dates, reverse=True)
    assert indexed(eventindex.term("organization", court), oldest_first=True) == both[::-1]
    only_2021 = indexed(
        eventindex.term("topic", law), date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 12, 31)
    )
    assert [Delegation.objects.get(pk=pk).start_date.year for pk in only_2021] == [2021]
    assert indexed(eventindex.term("organization", court), eventindex.term("country", "FR")) == []


def test_a_draft_never_has_terms(archive):
    assert not EventTerm.objects.filter(delegation=archive.draft).exists()
    drafts = Delegation.objects.exclude(status=Status.PUBLISHED)
    assert not EventTerm.objects.filter(delegation__in=drafts).exists()


def test_unpublishing_and_deleting_a_visit_remove_its_terms(archive):
    event = archive.published
    term = eventindex.term("organization", archive.russia)
    assert event.pk in indexed(term)
    event.status = Status.DRAFT
    event.save()
    derived.refresh(derived.visits_naming(event))
    assert event.pk not in indexed(term)

    event.status = Status.PUBLISHED
    event.save()
    derived.refresh(derived.visits_naming(event))
    assert event.pk in indexed(term)
    pk = event.pk
    event.delete()
    assert not EventTerm.objects.filter(delegation_id=pk).exists()


def test_moving_a_place_under_another_moves_its_visits(archive):
    museum = Place.objects.get(slug="museum")
    elsewhere = Place.objects.create(name="Ganja", slug="ganja", country="AZ")
    at_museum = set(indexed(eventindex.term("place", museum)))
    assert at_museum <= set(indexed(eventindex.term("place", archive.baku)))
    museum.parent = elsewhere
    museum.save()
    derived.refresh(derived.visits_naming(museum))
    assert at_museum <= set(indexed(eventindex.term("place", elsewhere)))
    assert set(indexed(eventindex.term("place", archive.baku))) == ids(
        published().involving("place", archive.baku)
    )


def test_rebuild_gives_the_same_rows_as_the_refreshes(archive):
    def rows():
        return set(EventTerm.objects.values_list("delegation_id", "term", "start_date"))

    before = rows()
    assert eventindex.rebuild() == len(before)
    assert rows() == before


def test_refreshes_from_a_kept_statement_write_each_visits_own_rows(archive):
    """A refresh's statement is kept per number of visits (eventindex._rows_statement): a
    refresh of other visits, one or several at a time, writes their own rows, as a whole
    rebuild does, and no stand-in id ever reaches the index."""

    def rows():
        return set(EventTerm.objects.values_list("delegation_id", "term", "start_date"))

    ids = sorted(Delegation.objects.published().values_list("pk", flat=True))
    assert len(ids) >= 3
    eventindex.rebuild()
    rebuilt = rows()
    eventindex._rows_statement.cache_clear()
    for visit in ids:
        eventindex.refresh([visit])
    eventindex.refresh(ids[:2])
    eventindex.refresh(ids[1:3])
    # A statement written for one visit and one for two; every other refresh found its own.
    kept = eventindex._rows_statement.cache_info()
    singles_after_the_first, second_pair = len(ids) - 1, 1
    assert kept.misses == 2 and kept.hits == singles_after_the_first + second_pair
    assert rows() == rebuilt
    assert {visit for visit, _term, _date in rebuilt} == set(ids)


def index_definitions():
    """{name: definition} of the event index's indexes, as the database holds them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                [eventindex.TABLE],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [eventindex.TABLE],
            )
        return dict(cursor.fetchall())


def test_a_whole_rebuild_makes_the_indexes_the_migrations_made(archive):
    # The migrations made the test database's indexes; a rebuild from empty drops and makes
    # them again from cooperation/eventindex.py. Both must give a database the same indexes,
    # PostgreSQL's own among them.
    migrated = index_definitions()
    assert set(migrated) == set(eventindex.index_statements(connection.vendor))
    eventindex.rebuild()
    assert index_definitions() == migrated


def counted():
    return dict(EventTermCount.objects.values_list("term", "events"))


def counted_from_rows():
    rows = EventTerm.objects.values("term").annotate(n=Count("delegation")).order_by()
    return {row["term"]: row["n"] for row in rows}


def texts_of_lists():
    return dict(EventTermList.objects.values_list("delegation_id", "terms"))


def listed():
    """{visit: its terms} as each visit's list holds them (EventTermList)."""
    return {visit: sorted(terms.split(" ")) for visit, terms in texts_of_lists().items()}


def listed_from_rows():
    found = {}
    for visit, term in EventTerm.objects.values_list("delegation_id", "term"):
        found.setdefault(visit, []).append(term)
    return {visit: sorted(terms) for visit, terms in found.items()}


def test_term_counts_follow_every_change(archive, make_event):
    assert counted() == counted_from_rows()
    program = eventindex.term("program", archive.program)
    assert counted()[program] == published().filter(program=archive.program).count() == 1

    # Publishing, moving to another programme, unpublishing, deleting one and several.
    archive.draft.status = Status.PUBLISHED
    archive.draft.published_at = archive.published.published_at
    archive.draft.save()
    derived.refresh([archive.draft.pk])
    assert counted()[program] == 2
    archive.published.program = None
    archive.published.save()
    derived.refresh([archive.published.pk])
    assert counted()[program] == 1
    assert counted() == counted_from_rows()
    archive.draft.delete()
    assert program not in counted()
    assert counted() == counted_from_rows()
    Delegation.objects.filter(start_date__year=2020).delete()
    assert counted() == counted_from_rows()

    before = counted()
    eventindex.rebuild()
    assert counted() == before


def test_each_visits_list_of_its_terms_follows_every_change(archive, make_event):
    # The lists the facets count (EventTermList) say what the index's rows say, visit by
    # visit, after every kind of change: published, re-filed, unpublished, deleted, rebuilt.
    assert listed() == listed_from_rows()
    assert set(listed()) == ids(published())
    archive.draft.status = Status.PUBLISHED
    archive.draft.published_at = archive.published.published_at
    archive.draft.save()
    derived.refresh([archive.draft.pk])
    assert archive.draft.pk in listed()
    archive.published.program = None
    archive.published.save()
    derived.refresh([archive.published.pk])
    program = eventindex.term("program", archive.program)
    assert program not in listed()[archive.published.pk]
    assert listed() == listed_from_rows()
    archive.published.status = Status.DRAFT
    archive.published.save()
    derived.refresh([archive.published.pk])
    assert archive.published.pk not in listed()
    archive.draft.delete()
    Delegation.objects.filter(start_date__year=2020).delete()
    assert listed() == listed_from_rows()
    assert set(listed()) == ids(published())

    before = listed()
    written = texts_of_lists()
    eventindex.rebuild()
    assert listed() == before
    # A bulk load's rebuild of the visits numbered above the last it kept.
    newest = max(before)
    EventTermList.objects.filter(delegation_id=newest).delete()
    eventindex.rebuild(after=newest - 1)
    assert listed() == before
    # The same rows give the same text, however they were read: a list's terms are in
    # byte order whether a refresh, a whole rebuild or a bulk load's wrote it.
    assert texts_of_lists() == written
    assert all(text.split(" ") == sorted(text.split(" ")) for text in written.values())


def test_topics_with_visits_in_the_index_are_the_public_topics(archive):
    public = ids(Topic.objects.public())
    assert public, "the archive has public topics"
    assert ids(eventindex.having_visits(Topic.objects.all(), "topic")) == public
    Workshop.objects.all().delete()
    Signing.objects.all().delete()
    derived.rebuild_all()
    assert not ids(eventindex.having_visits(Topic.objects.all(), "topic"))


def test_flush_leaves_no_terms_behind(transactional_db, make_event):
    make_event()
    assert EventTerm.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    assert not EventTerm.objects.exists()
    assert not EventTermCount.objects.exists()
    assert not EventTermList.objects.exists()


def test_dumpdata_leaves_the_index_out(archive):
    from io import StringIO

    out = StringIO()
    call_command("dumpdata", "cooperation", stdout=out)
    assert "eventterm" not in out.getvalue()
    assert "eventtermcount" not in out.getvalue()
    assert "eventtermlist" not in out.getvalue()
    assert "cooperation.delegation" in out.getvalue()


def test_a_year_alone_lists_its_visits_from_the_index_in_date_order(client, archive):
    from cooperation.filters import EventFilter

    for sort, order in (("-date", ("-start_date", "-pk")), ("date", ("start_date", "pk"))):
        filterset = EventFilter({"year": "2023", "sort": sort}, queryset=published())
        assert filterset.is_valid()
        expected = published().filter(start_date__year=2023).order_by(*order)
        assert list(filterset.indexed_ids()) == list(expected.values_list("pk", flat=True))
        assert expected.count() >= 2
