"""The home page offers only choices that lead to published visits; a programme's page
lists each of its visits once."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperation import records, views
from cooperation.models import CooperationProgram, Delegation, Status


def visit_type_links(client):
    page = client.get("/").text
    return re.findall(r'href="/events/\?visit_type=([a-z_]+)"', page)


def test_home_lists_only_visit_types_with_published_visits(client, world, make_event):
    # The world's visits are working visits, one of them a draft.
    assert visit_type_links(client) == [Delegation.VisitType.WORKING]
    official = make_event(visit_type=Delegation.VisitType.OFFICIAL, status=Status.DRAFT)
    assert visit_type_links(client) == [Delegation.VisitType.WORKING]

    records.submit_for_review(official)
    records.publish(official)
    assert visit_type_links(client) == [
        Delegation.VisitType.WORKING,
        Delegation.VisitType.OFFICIAL,
    ]
    assert 'visit_type=official">Official visit</a> (1)' in client.get("/").text


def test_programme_page_names_each_visit_once(client, world, make_event):
    visits = [world.published] + [
        make_event(program=world.program, start_date=dt.date(year, 5, day))
        for year, day in ((2022, 1), (2022, 9), (2021, 3))
    ]
    page = client.get("/programs/program-2021-2023/").text
    for visit in visits:
        assert page.count(f'href="{visit.get_absolute_url()}"') == 1, visit.slug
    assert f'href="{world.draft.get_absolute_url()}"' not in page
    # Years as headings, newest first, each once.
    assert re.findall(r"<h3>(\d{4})</h3>", page) == ["2023", "2022", "2021"]
    assert "Every published event, by year:" in page


def test_programme_page_says_how_many_more_it_has(client, world, make_event, monkeypatch):
    for day in (1, 2):
        make_event(program=world.program, start_date=dt.date(2022, 5, day))
    monkeypatch.setattr(views, "PROGRAM_EVENTS_SHOWN", 2)
    page = client.get("/programs/program-2021-2023/").text
    assert "The 2 most recent of its 3 events, by year:" in page
    assert page.count('class="event-item"') == 2
    assert 'href="/events/?program=program-2021-2023"' in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
@pytest.mark.parametrize("prefix", ["", "/az", "/ru"])
def test_postgresql_reads_the_homes_instruments_from_their_index(client, world, prefix):
    # Thousands of instruments, some without a year, measured afresh: the home page's first
    # six are a range of the index of its language (migration 0027), not a sort of them all.
    now = timezone.now()
    CooperationProgram.objects.bulk_create(
        CooperationProgram(
            title=f"Memorandum {n}",
            slug=f"memorandum-{n}",
            start_year=None if n % 7 == 0 else 1990 + n % 30,
            status=Status.PUBLISHED,
            published_at=now,
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {CooperationProgram._meta.db_table}")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"{prefix}/")
    assert page.status_code == 200
    (sql,) = [
        query["sql"]
        for query in queries.captured_queries
        if 'FROM "cooperation_cooperationprogram"' in query["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"program_order_{prefix.strip('/') or 'en'}" in plan, plan
    assert "Sort" not in plan, plan
