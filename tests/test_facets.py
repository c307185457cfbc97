"""Facet counts on the event list tell the truth: on a generated archive of thousands of
visits, each count shown is the number of events its link opens, in either order of the
list, or is marked as an estimate (cooperation/facets.py)."""

import dataclasses
import datetime as dt
from collections import Counter

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import urlencode

from cooperation import eventindex, facets
from cooperation.models import Delegation, EventTerm

pytestmark = pytest.mark.django_db

ARCHIVE_SIZE = 3_000


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """ARCHIVE_SIZE synthetic visits (bench/synthetic/), made once for the module."""
    with django_db_blocker.unblock():
        try:
            # --force: pytest-django runs with DEBUG off, which the command refuses otherwise.
            call_command(
                "generate_records",
                f"--delegations={ARCHIVE_SIZE}",
                "--seed=5",
                "--quiet",
                "--batch-size=500",
                "--force",
                verbosity=0,
            )
            yield
        finally:
            # Committed, so emptied whatever happened: a load that failed half-way would
            # otherwise leave its batches to every module after this one.
            call_command("flush", interactive=False, verbosity=0)


def fresh(client, url, query=None):
    """The page as built now, not a copy the page cache kept from an earlier request."""
    cache.clear()
    return client.get(url, query)


def shown_facets(client, query):
    response = fresh(client, "/events/", query)
    assert response.status_code == 200
    return response.context["facets"], response


def opened(client, url):
    """The number of events a facet's link opens (exact: the archive is under the cap)."""
    response = fresh(client, "/events/" + url)
    assert response.status_code == 200, url
    assert response.context["page"] is not None, (url, response.context["form"].errors)
    count = response.context["page"].count
    assert count.exact
    return count.value


def every_item(groups):
    return [(group["name"], item) for group in groups for item in group["items"]]


@pytest.mark.parametrize("sort", ["-date", "date"])
def test_every_count_on_the_whole_list_is_what_its_link_opens(client, archive, sort):
    groups, response = shown_facets(client, {"sort": sort})
    names = {group["name"] for group in groups}
    assert {"year", "country", "from_country", "to_country", "organization", "person"} <= names
    assert {"topic", "place", "visit_type", "program"} <= names
    assert all(group["exact"] for group in groups)
    assert "about" not in response.context["facets"][0]["items"][0]["count_text"]
    for name, item in every_item(groups):
        assert opened(client, item["url"]) == item["count"], (name, item["label"])


def test_the_order_of_the_list_changes_no_count(client, archive):
    def counts(sort):
        groups, _ = shown_facets(client, {"country": "AZ", "sort": sort})
        return {(name, item["value"]): item["count"] for name, item in every_item(groups)}

    assert counts("-date") == counts("date")


def test_counts_within_a_filter_are_exact_or_marked_estimates(client, archive):
    total = Delegation.objects.published().count()
    # Every year of the archive is listed, newest first, each with its whole count.
    years = facets.count(facets.everything(), "year").values
    assert sum(years.values()) == total
    query = {"visit_type": "working"}
    groups, response = shown_facets(client, query)
    listed = response.context["page"].count.value
    for name, item in every_item(groups):
        if group_exact(groups, name):
            assert opened(client, item["url"]) == item["count"], (name, item["label"])
        else:
            assert item["count_text"].startswith("about ")
    if listed > facets.EXACT_LIMIT:
        assert "estimated from an even sample" in response.text


def group_exact(groups, name):
    return next(group["exact"] for group in groups if group["name"] == name)


def test_a_large_filtered_result_is_estimated_and_says_so(client, archive, monkeypatch):
    listed = opened(client, "?country=AZ")
    # A sample of about a quarter of the results.
    monkeypatch.setattr(facets, "EXACT_LIMIT", listed // 10)
    monkeypatch.setattr(facets, "SAMPLE", listed // 4)
    groups, response = shown_facets(client, {"country": "AZ"})
    assert not any(group["exact"] for group in groups)
    assert all(item["count_text"].startswith("about ") for _name, item in every_item(groups))
    assert "estimated from an even sample" in response.text
    # An estimate is near the truth: the years of the sample scaled to the whole.
    years = next(group for group in groups if group["name"] == "year")
    for item in years["items"]:
        truth = opened(client, item["url"])
        assert abs(item["count"] - truth) <= max(truth, 10), (item["label"], truth)


def date_range():
    """Results of a range of dates alone: the first two thirds of the archive's years."""
    years = Delegation.objects.published().dates("start_date", "year")
    return facets.Results(date_from=years[0], date_to=years[len(years) * 2 // 3])


def test_the_sample_of_a_search_is_the_same_however_it_is_read(archive, monkeypatch):
    # A search's sample is the matching visits whose slot is below a bound: looked up as
    # keys while those ids are few, scanned for by slot past PROBE_LIMIT, and on
    # PostgreSQL read by slot from the index of the lowest slots (SEARCH_SAMPLE_SLOTS).
    monkeypatch.setattr(facets, "EXACT_LIMIT", 10)
    monkeypatch.setattr(facets, "SAMPLE", 20)
    monkeypatch.setattr(facets, "SEARCH_SAMPLE_SLOTS", 0)

    def results():
        published = Delegation.objects.published().filter(visit_type="working")
        return facets.Results(ids=published.values_list("pk", flat=True))

    by_keys = facets.count(results(), "year")
    monkeypatch.setattr(facets, "PROBE_LIMIT", 0)
    by_slot = facets.count(results(), "year")
    monkeypatch.setattr(facets, "SEARCH_SAMPLE_SLOTS", eventindex.SLOTS)
    by_index = facets.count(results(), "year")
    assert not by_keys.exact and not by_slot.exact and not by_index.exact
    assert by_keys.values and by_keys.values == by_slot.values == by_index.values


@pytest.mark.parametrize("by", ["a term", "dates"])
def test_the_sample_read_from_the_index_is_the_visits_of_the_lowest_slots(archive, by):
    # The database's slot is the one facets.slot_of() gives, and the index's sample is
    # every visit of the result set with a slot below the bound, an even share of them.
    results = date_range() if by == "dates" else facets.involving("visit_type", "working")
    every = list(results.visit_ids())
    slots = 300
    sampled = list(facets._sample(results.visit_ids(), slots, results.using))
    assert sorted(sampled) == sorted(pk for pk in every if facets.slot_of(pk) < slots)
    assert len(sampled) == pytest.approx(len(every) * slots / eventindex.SLOTS, rel=0.15)
    # Spread over the whole list, whatever its order: a tenth of the newest visits are
    # sampled about as often as the rest.
    by_date = Delegation.objects.filter(pk__in=every).order_by("-start_date", "-pk")
    newest = set(by_date.values_list("pk", flat=True)[: len(every) // 10])
    share = len(newest.intersection(sampled)) / len(sampled)
    assert share == pytest.approx(0.1, abs=0.05)


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")


@postgresql_only
def test_a_terms_sample_is_a_range_of_the_sample_index(archive):
    # The slot is written as the index has it, or PostgreSQL would test every row of the
    # term (a modulo scan of 40,000 rows took 9 ms at a million visits).
    ids = facets.involving("country", "AZ").visit_ids()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = facets._sample(ids, 10, ids.db).explain()
    assert "event_term_sample" in plan
    assert "Filter" not in plan


@postgresql_only
def test_a_searchs_sample_is_read_from_the_index_of_the_lowest_slots(archive):
    # The matches of the lowest slots come from the index of their vectors (migration
    # 0029): probing every visit of those slots read each one's vector, 44 ms at a million
    # visits for a word 145,681 of them have.
    matching = Delegation.objects.published().search("cooperation").values_list("pk", flat=True)
    slots = facets.SEARCH_SAMPLE_SLOTS // 2
    sample = facets._sample(matching.order_by(), slots, "default")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = sample.explain()
    assert "delegation_search_sample" in plan
    expected = sorted(pk for pk in matching if facets.slot_of(pk) < slots)
    assert sorted(sample) == expected
    assert 0 < len(expected) < len(matching)


@postgresql_only
def test_one_kind_among_chosen_visits_is_a_range_of_each_visits_rows(archive):
    # Under the database's collation `LIKE 'o:%'` tested each of a visit's rows: at a
    # million visits a country's sampled organizations read 16,247 rows for 1,711.
    chosen = list(facets.involving("country", "AZ").visit_ids()[:50])
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        counted, visits = facets.terms_of(chosen, {"o": "organization"}, "default")
        cursor.execute(f"EXPLAIN {queries[-1]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "event_term_unique" in plan
    assert "~>=~ 'o:'" in plan
    assert counted and all(term.startswith("o:") for term in counted)
    assert visits == len(chosen)


def test_several_kinds_among_chosen_visits_are_counted_from_each_visits_list(archive):
    # A list's facets and a picture ask for several kinds at once: read from one row per
    # visit (EventTermList) rather than each visit's rows of the index, the counts are the
    # same.
    chosen = list(facets.involving("country", "AZ").visit_ids()[:50])
    prefixes = {"y": "year", "d": "direction", "l": "place"}
    with CaptureQueriesContext(connection) as queries:
        found, visits = facets.terms_of(chosen, prefixes, "default")
    assert len(queries) == 1 and "event_term_list" in queries[0]["sql"]
    every = EventTerm.objects.filter(delegation_id__in=chosen)
    expected = Counter(every.values_list("term", flat=True))
    assert dict(found) == expected and visits == len(chosen)
    assert {term[0] for term in expected} >= {"y", "d", "l"}
    # A sample's ids, handed over as a query of them, are read in the same statement.
    sample = facets._sample(facets.involving("country", "AZ").visit_ids(), 1024, "default")
    with CaptureQueriesContext(connection) as queries:
        found, visits = facets.terms_of(sample, prefixes, "default")
    assert len(queries) == 1
    assert visits == len(list(sample)) and visits > 0
    every = EventTerm.objects.filter(delegation_id__in=list(sample))
    assert dict(found) == Counter(every.values_list("term", flat=True))


def test_show_all_reaches_every_value_with_its_count(client, archive):
    groups, _ = shown_facets(client, {})
    organizations = next(group for group in groups if group["name"] == "organization")
    assert organizations["more"]
    response = fresh(client, organizations["all_url"])
    assert response.status_code == 200
    everything = facets.count(facets.everything(), "organization").values
    assert response.context["values"] == len(everything)
    items = response.context["items"]
    assert len(items) == min(len(everything), 100)
    counts = [item["count"] for item in items]
    assert counts == sorted(counts, reverse=True)
    # The last one listed on the first page opens as many as it says.
    assert items[-1]["url"].startswith("/events/?")
    assert opened(client, items[-1]["url"].removeprefix("/events/")) == items[-1]["count"]


def test_the_years_of_one_filter_are_exact_past_the_limit_of_exact_counting(
    client, archive, monkeypatch
):
    # The years (or a year's months) of a single filter are counted from that filter's own
    # index rows, exactly, while it has at most DATED_LIMIT visits; past that, from the
    # sample like every other count, and marked as estimates.
    monkeypatch.setattr(facets, "EXACT_LIMIT", 10)
    monkeypatch.setattr(facets, "SAMPLE", 20)
    dates = list(
        Delegation.objects.published()
        .involving("country", "AZ")
        .values_list("start_date", flat=True)
    )
    assert len(dates) > 10
    years = facets.count(facets.involving("country", "AZ"), "year")
    assert years.exact
    assert years.values == dict(Counter(str(day.year) for day in dates))
    busiest = max(years.values, key=years.values.get)
    months = facets.count(facets.involving("country", "AZ", year=int(busiest)), "month")
    assert months.exact
    assert months.values == dict(
        Counter(f"{day:%Y-%m}" for day in dates if day.year == int(busiest))
    )
    # On the facet page of years, each count is what its link opens.
    response = fresh(client, "/events/facets/year/", {"country": "AZ"})
    assert response.status_code == 200 and response.context["exact"]
    assert "about" not in response.text
    for item in response.context["items"][:5]:
        assert opened(client, item["url"].removeprefix("/events/")) == item["count"]

    monkeypatch.setattr(facets, "DATED_LIMIT", len(dates) - 1)
    assert not facets.count(facets.involving("country", "AZ"), "year").exact
    response = fresh(client, "/events/facets/year/", {"country": "AZ"})
    assert not response.context["exact"] and "about" in response.text


def test_show_all_keeps_the_filters(client, archive):
    response = fresh(client, "/events/facets/year/?" + urlencode({"country": "AZ"}))
    assert response.status_code == 200
    for item in response.context["items"]:
        assert "country=AZ" in item["url"]


@pytest.mark.parametrize(
    "url, status",
    [
        ("/events/facets/colour/", 404),
        ("/events/facets/year/?country=XX", 400),
        ("/events/facets/year/?page=0", 400),
        ("/events/facets/year/?page=999", 404),
    ],
)
def test_a_facet_page_refuses_what_it_cannot_answer(client, archive, url, status):
    assert client.get(url).status_code == status


def test_a_total_known_to_be_large_spares_reading_the_first_results(archive, monkeypatch):
    # The list passes its count; past EXACT_LIMIT the sample is read straight away, with
    # the same counts as when the first EXACT_LIMIT + 1 results are read to find out.
    from django.db import connection

    monkeypatch.setattr(facets, "EXACT_LIMIT", 10)
    monkeypatch.setattr(facets, "SAMPLE", 20)
    results = facets.involving("country", "AZ")
    total = results.visit_ids().count()
    assert total > 10
    with CaptureQueriesContext(connection) as unknown:
        found = facets.count_many(facets.involving("country", "AZ"), ["year", "direction"])
    with CaptureQueriesContext(connection) as known:
        told = facets.count_many(facets.involving("country", "AZ"), ["year", "direction"], total)
    assert told == found and not told["year"].exact
    # A single term's number is kept and read first: it spares reading the first results
    # as a known total does, so that the known total spares only the kept number's read.
    assert len(known) == len(unknown) - 1
    assert not any("LIMIT 11" in query["sql"] for query in unknown.captured_queries)

    # With dates the number is not kept: the first results are read to find out.
    def dated():
        return dataclasses.replace(results, date_from=dt.date(1900, 1, 1), counted={})

    with CaptureQueriesContext(connection) as unknown:
        found = facets.count_many(dated(), ["year", "direction"])
    with CaptureQueriesContext(connection) as known:
        told = facets.count_many(dated(), ["year", "direction"], total)
    assert told == found and not told["year"].exact
    assert any("LIMIT 11" in query["sql"] for query in unknown.captured_queries)
    # Neither the first results nor their number are read again.
    assert len(known) == len(unknown) - 2


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", "?country=AZ"),
        ("page=3&year=2023", "?year=2023&country=AZ"),
        ("country=RU&year=2023&page=2", "?country=AZ&year=2023"),
        ("q=a+b%26c&country=RU&topic=x&topic=y", "?q=a+b%26c&country=AZ&topic=x&topic=y"),
        ("q=%D0%90%D0%BB%D0%B8%D0%B5%D0%B2", "?q=%D0%90%D0%BB%D0%B8%D0%B5%D0%B2&country=AZ"),
    ],
)
def test_a_facet_link_sets_its_value_and_keeps_the_other_filters_in_order(query, expected):
    # The other parameters are encoded once for all of a facet's links (views.value_links):
    # each link is the list's own query with the value put in place, back on page 1.
    from django.http import QueryDict

    from cooperation.views import value_links

    assert value_links(QueryDict(query), "country")("AZ") == expected
