"""Large result sets: capped counts, bounded paging, estimated facets, all labelled."""

import datetime as dt

import pytest
from django.db import connection

from cooperation import facets, pagination


@pytest.fixture
def many(world, make_event, settings, monkeypatch):
    settings.EVENTS_PER_PAGE = 2
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    monkeypatch.setattr(pagination, "MAX_PAGES", 3)
    monkeypatch.setattr(facets, "EXACT_LIMIT", 3)
    monkeypatch.setattr(facets, "SAMPLE", 2)
    for n in range(6):
        make_event(slug=f"many-{n}")
    return world


def test_small_result_count_is_exact(client, world):
    response = client.get("/events/")
    assert response.context["page"].count.exact
    assert "1 event<" in response.text


def test_count_past_the_cap_is_labelled_not_exact(client, many):
    # Dates the index keeps no count for (a whole year, or no filter at all, it does).
    response = client.get("/events/", {"date_from": "2000-01-01"})
    count = response.context["page"].count
    assert not count.exact
    # PostgreSQL labels its planner's estimate when that is past the cap, as below.
    assert str(count) == "more than 4" or str(count).startswith("about ")
    assert f"{count} events" in response.text


def test_estimates_are_rounded_and_labelled():
    assert str(pagination.ResultCount(48_123, exact=False, estimated=True)) == "about 48,123"
    assert pagination._round(48_123) == 48_000
    assert pagination._round(987) == 990


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner is PostgreSQL's")
def test_postgresql_gives_a_planner_estimate(many):
    from cooperation.models import Delegation

    assert pagination.planner_estimate(Delegation.objects.published()) >= 1


def test_paging_stops_at_the_page_limit_and_says_so(client, many):
    response = client.get("/events/", {"page": "3"})
    assert response.status_code == 200
    assert "Only the first 3 pages can be browsed" in response.text
    assert client.get("/events/", {"page": "4"}).status_code == 404


def test_facets_of_the_whole_archive_are_exact_past_any_limit(client, many):
    response = client.get("/events/")
    years = next(group for group in response.context["facets"] if group["name"] == "year")
    assert years["exact"]
    assert sum(item["count"] for item in years["items"]) == 7
    assert "estimated" not in response.text


def test_facets_of_a_large_filtered_result_are_estimates_and_say_so(client, many):
    response = client.get("/events/", {"country": "AZ"})
    years = next(group for group in response.context["facets"] if group["name"] == "year")
    assert not years["exact"]
    assert all(item["count_text"].startswith("about ") for item in years["items"])
    assert "Counts marked “about” are estimated from an even sample" in response.text


@pytest.fixture
def one_year(many, make_event):
    """Five more visits, all in 2019 (past the cap of `many`); the visits' other dates
    depend on how many tests made visits before."""
    for n in range(5):
        make_event(slug=f"in-2019-{n}", start_date=dt.date(2019, 3, 1 + n))
    return many


@pytest.mark.parametrize(
    ("query", "expected"), [({}, 12), ({"country": "AZ"}, 12), ({"year": "2019"}, 5)]
)
def test_kept_counts_are_exact_past_the_cap(client, one_year, query, expected):
    # The index keeps the number of visits of each record, country, visit type and year
    # (eventindex.COUNTED, facets.kept_count), and the archive's is its years' sum: past
    # COUNT_CAP the list still says how many there are.
    response = client.get("/events/", query)
    count = response.context["page"].count
    assert count.exact and count.value == expected
    assert f"{expected} events<" in response.text


def test_paging_stops_past_an_exact_count_and_dates_are_counted_as_before(client, one_year):
    last = client.get("/events/", {"country": "AZ", "page": "3"})
    assert "Only the first 3 pages can be browsed" in last.text
    assert client.get("/events/", {"country": "AZ", "page": "4"}).status_code == 404
    # A date besides a record, or part of a year: counted up to the cap, then estimated.
    for query in (
        {"country": "AZ", "date_from": "2000-01-01"},
        {"date_from": "2019-01-01", "date_to": "2019-12-30"},
    ):
        assert not client.get("/events/", query).context["page"].count.exact, query
