"""Kept statements (cooperation/keptsql.py): a kept read runs, for any values, the very
statement Django would have written for it, and the pages built from kept reads are the
pages built without them."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cooperation import keptsql
from cooperation.keptsql import kept
from cooperation.languages import order_by_shown
from cooperation.models import Delegation, Meeting, MeetingParticipant, Organization, Topic

FIXTURES = ["baku_2023", "uzbek_prosecutors_azerbaijan_2022", "cis_council_dushanbe_2025"]


@pytest.fixture
def visits(db):
    call_command("loaddata", *FIXTURES, verbosity=0)
    return list(Delegation.objects.order_by("pk"))


class Statements(dict):
    """The kept statements, counting how many reads found theirs."""

    found = 0

    def get(self, key, default=None):
        statement = super().get(key, default)
        self.found += statement is not None
        return statement


@pytest.fixture(autouse=True)
def statements(monkeypatch):
    kept_now = Statements()
    monkeypatch.setattr(keptsql, "_statements", kept_now)
    return kept_now


def run(queryset):
    """The records `queryset` reads, with the statements it ran."""
    with CaptureQueriesContext(connection) as ran:
        records = list(queryset)
    return records, [query["sql"] for query in ran.captured_queries]


def as_written(queryset):
    return queryset


def a_visit_with_its_parts(keep=as_written):
    """A visit with its place and programme, its meetings and their participants: each of
    the three reads kept by `keep`, or not."""
    meetings = Meeting.objects.select_related("place", "host_organization")
    participants = MeetingParticipant.objects.select_related("person", "organization")
    return keep(Delegation.objects.select_related("location", "program")).prefetch_related(
        Prefetch("meetings", queryset=keep(meetings.order_by("date", "order", "id"))),
        Prefetch("meetings__participants", queryset=keep(participants)),
    )


def described(records):
    return [
        (
            visit.pk,
            visit.title,
            visit.location_id and visit.location.name,
            [
                (
                    meeting.pk,
                    meeting.title,
                    [(p.pk, str(p.person)) for p in meeting.participants.all()],
                )
                for meeting in visit.meetings.all()
            ],
        )
        for visit in records
    ]


def test_a_kept_read_runs_djangos_own_statement_for_any_values(visits, statements):
    assert len(visits) >= 3
    for visit in visits:
        plain, plain_sql = run(a_visit_with_its_parts().filter(slug=visit.slug))
        # The first kept read writes its statements, the second finds them.
        for _ in range(2):
            records, sql = run(a_visit_with_its_parts(kept).filter(slug=visit.slug))
            assert sql == plain_sql
            assert described(records) == described(plain)
    # Every read after the first found its statements: the visit's by its address, its
    # meetings' and participants' by the number of ids.
    assert statements.found >= 2 * len(visits) - 1 + 3


def test_prefetches_of_kept_reads_keep_a_statement_for_each_number_of_ids(visits):
    ids = [visit.pk for visit in visits]
    for count in (1, 2, len(ids), 2, 1):
        plain, plain_sql = run(a_visit_with_its_parts().filter(pk__in=ids[:count]))
        records, sql = run(a_visit_with_its_parts(kept).filter(pk__in=ids[:count]))
        assert sql == plain_sql
        assert described(records) == described(plain)


def test_reads_in_another_language_are_kept_apart(visits):
    visit = visits[0]
    for language in ("en", "ru", "az", "en"):
        with translation.override(language):
            plain, plain_sql = run(a_visit_with_its_parts().filter(slug=visit.slug))
            records, sql = run(a_visit_with_its_parts(kept).filter(slug=visit.slug))
            assert sql == plain_sql
            assert described(records) == described(plain)
            # In the order its names take in the language: an expression, kept with it.
            by_name = Topic.objects.order_by(order_by_shown("name"), "id")
            plain, plain_sql = run(by_name)
            topics, sql = run(kept(by_name))
            assert sql == plain_sql
            assert topics == plain


def test_get_and_in_bulk_of_kept_reads(visits):
    first, second = visits[0], visits[1]
    for visit in (first, second, first):
        assert kept(Delegation.objects.defer("summary")).get(slug=visit.slug) == visit
    ids = {first.sending_organization_id, second.host_organization_id}
    found = kept(Organization.objects.select_related("parent").order_by()).in_bulk(ids)
    assert found == Organization.objects.in_bulk(ids)


def test_reads_with_values_of_their_own_are_written_every_time(visits, statements):
    # An annotation, values(), a count: Django writes them, none is kept.
    counted = kept(Delegation.objects.annotate(meetings_held=Count("meetings")))
    assert sorted(v.meetings_held for v in counted) == sorted(
        v.meetings_held for v in Delegation.objects.annotate(meetings_held=Count("meetings"))
    )
    assert list(kept(Delegation.objects.values_list("slug", flat=True)).order_by("slug")) == sorted(
        v.slug for v in visits
    )
    assert kept(Delegation.objects.filter(pk__in=[v.pk for v in visits])).count() == len(visits)
    assert kept(Delegation.objects.filter(slug=visits[0].slug)).exists()
    assert not statements and not statements.found


def fresh_page(client, url, language="en"):
    """The page as built now (no page cache), in `language`, its CSP nonce set aside."""
    cache.clear()
    prefix = "" if language == "en" else f"/{language}"
    response = client.get(prefix + url)
    assert response.status_code == 200
    return re.sub(r'nonce="[^"]+"', 'nonce=""', response.content.decode())


def test_event_pages_built_from_kept_reads_are_the_pages_built_without(client, visits, statements):
    urls = [f"/events/{visit.slug}/" for visit in visits]
    for language in ("en", "ru"):
        built = {}
        for url in urls:
            statements.clear()
            built[url] = fresh_page(client, url, language)
        # Now every page but the first finds statements another visit's page kept.
        statements.clear()
        statements.found = 0
        for url in [*urls, *reversed(urls)]:
            assert fresh_page(client, url, language) == built[url], url
        assert statements.found >= 10 * (2 * len(urls) - 1)


def prepared_runs(table):
    """How many times this connection has run a prepared read of `table`'s records (plans
    made for it, generic or custom), from PostgreSQL's own list."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [f'SELECT "{table}"."id", %'],
        )
        return cursor.fetchone()[0]


def read_each_visit(visits, times):
    """Each visit with its parts, `times` over, by kept reads that nothing logs; each read's
    records compared with Django's own."""
    expected = {v.pk: described(a_visit_with_its_parts().filter(pk=v.pk)) for v in visits}
    for _ in range(times):
        for visit in visits:
            read = a_visit_with_its_parts(kept).filter(slug=visit.slug)
            assert described(read) == expected[visit.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_kept_reads_are_prepared_once_per_connection_on_postgresql(visits):
    """Bound on the server, a kept statement has one text for every visit, which psycopg
    prepares after `prepare_threshold` runs: from then on PostgreSQL runs it without parsing
    and planning it again."""
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None
    before = {table: prepared_runs(table) for table in TABLES_READ}
    read_each_visit(visits, times=2 * threshold)
    runs = 2 * threshold * len(visits)
    for table in TABLES_READ:
        # The first `threshold` runs of each statement were not yet prepared, and a read by
        # the ids of a visit's meetings has a statement for each number of them: at most
        # one statement per visit.
        assert prepared_runs(table) - before[table] >= runs - threshold * len(visits), table


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_kept_reads_are_not_prepared_when_statements_are_not(visits):
    """With prepared statements off (DATABASE_PREPARED_STATEMENTS=false, as a pooler may
    need) a kept read is bound like any other and nothing is prepared."""
    connection.ensure_connection()
    driver = connection.connection
    threshold, driver.prepare_threshold = driver.prepare_threshold, None
    try:
        before = {table: prepared_runs(table) for table in TABLES_READ}
        read_each_visit(visits, times=3)
        assert {table: prepared_runs(table) for table in TABLES_READ} == before
    finally:
        driver.prepare_threshold = threshold


# The tables a_visit_with_its_parts() reads, one statement each.
TABLES_READ = ("cooperation_delegation", "cooperation_meeting", "cooperation_meetingparticipant")
