"""The sitemaps (cooperation/sitemaps.py) as a crawler reads them: an index, then sections
that each stay well under the protocol's limits, and between them every public page in
every language exactly once, with its alternates and its last change, and nothing of a
draft.

The archive here is "larger than one section" by making a section small (SIZE ids) rather
than the archive large.
"""

import datetime as dt
import re
from collections import Counter

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperation import records, sitemaps
from cooperation.models import (
    SLUG_LENGTH,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Occasion,
    Organization,
    Person,
    Place,
    Source,
    Status,
    Topic,
)
from tests import sitemap_reader
from tests.sitemap_reader import NS, SITEMAP, Sitemap, alternates, path_of

SIZE = 10
BASE = "http://testserver"
LANGUAGE_PREFIXES = {"en": "", "az": "/az", "ru": "/ru"}
FIXED_PAGES = ("/", "/events/", "/programs/", "/countries/")

# The visits by id: sections of SIZE ids are 0-9 (p=1), 10-19 (p=2), 20-29 (p=3) and 30-39
# (p=4). The second holds drafts only; the third is full; the fourth has a draft between two
# published visits, one of them with the longest slug a record may have.
PUBLISHED_IDS = [*range(1, 10), *range(20, 30), 31, 35]
DRAFT_IDS = {12: Status.DRAFT, 15: Status.IN_REVIEW, 33: Status.DRAFT}
LONG_SLUG = ("visit-" + "x" * SLUG_LENGTH)[:SLUG_LENGTH]


def w3c(moment):
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def in_every_language(path):
    return [f"{BASE}{prefix}{path}" for prefix in LANGUAGE_PREFIXES.values()]


def build_archive():
    """Visits at the ids above, each hosted by an office of its own, some with a member, a
    topic, an occasion; a published and a draft programme. Everything only a draft involves
    has "draft" in its slug, and nothing else has."""
    country = {
        code: Place.objects.create(name=name, slug=f"country-{code.lower()}", country=code)
        for code, name in (("AZ", "Azerbaijan"), ("RU", "Russia"), ("GE", "Georgia"))
    }
    baku = Place.objects.create(
        name="Baku", slug="baku", country="AZ", kind=Place.Kind.CITY, parent=country["AZ"]
    )
    draft_city = Place.objects.create(
        name="Batumi", slug="draft-city", country="GE", kind=Place.Kind.CITY, parent=country["GE"]
    )
    russia = Organization.objects.create(name="Russian office", slug="ru-office", country="RU")
    georgia = Organization.objects.create(
        name="Georgian office", slug="draft-ge-office", country="GE"
    )
    topic = Topic.objects.create(name="Extradition", slug="extradition")
    draft_topic = Topic.objects.create(name="Draft topic", slug="draft-topic")
    forum = Occasion.objects.create(name="Forum", slug="forum")
    draft_forum = Occasion.objects.create(name="Draft forum", slug="draft-forum")
    source = Source.objects.create(
        url="https://example.org/report", title="Report", publisher="Example", language="en"
    )
    program = CooperationProgram.objects.create(
        title="Programme",
        slug="programme-2021-2023",
        start_year=2021,
        end_year=2023,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
    )
    CooperationProgram.objects.create(
        title="Draft programme", slug="draft-programme", start_year=2024, end_year=2025
    )
    with records.change():
        for pk in [*PUBLISHED_IDS, *DRAFT_IDS]:
            published = pk in PUBLISHED_IDS
            slug = LONG_SLUG if pk == 35 else f"visit-{pk}" if published else f"draft-visit-{pk}"
            host = Organization.objects.create(
                name=f"Office {pk}",
                slug=f"office-{pk}" if published else f"draft-office-{pk}",
                country="AZ",
            )
            visit = Delegation.objects.create(
                pk=pk,
                slug=slug,
                title=f"Visit {pk}",
                sending_organization=russia if published else georgia,
                host_organization=host,
                location=baku if published else draft_city,
                visit_type=Delegation.VisitType.WORKING,
                start_date=dt.date(2023, 1, 1) + dt.timedelta(days=pk),
                status=Status.PUBLISHED if published else DRAFT_IDS[pk],
                published_at=timezone.now() if published else None,
                program=program if published else None,
                occasion=(forum if published else draft_forum) if pk % 3 == 0 else None,
            )
            DelegationCitation.objects.create(delegation=visit, source=source)
            if pk % 4 == 0 or not published:
                person = Person.objects.create(
                    name=f"Person {pk}", slug=f"person-{pk}" if published else f"draft-person-{pk}"
                )
                DelegationMember.objects.create(delegation=visit, person=person)
            visit.topics.set([topic if published else draft_topic])


def public_paths():
    """Every public page's path (English), as the site's own querysets say what is public."""
    paths = list(FIXED_PAGES)
    for queryset, prefix in (
        (Delegation.objects.published(), "events"),
        (CooperationProgram.objects.published(), "programs"),
        (Organization.objects.public(), "organizations"),
        (Person.objects.public(), "people"),
        (Place.objects.public(), "places"),
        (Topic.objects.public(), "topics"),
        (Occasion.objects.public(), "occasions"),
    ):
        paths += [f"/{prefix}/{slug}/" for slug in queryset.values_list("slug", flat=True)]
    return paths


@pytest.fixture(scope="module")
def crawl(django_db_setup, django_db_blocker):
    """The whole sitemap read over the archive above, with sections of SIZE ids; what the
    site says is public; and the visits' last changes. Built once for the module and
    rolled back after it."""
    with (
        pytest.MonkeyPatch.context() as patch,
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        patch.setattr(sitemaps, "SECTION_SIZE", SIZE)
        cache.clear()
        build_archive()
        client = Client()
        crawled = Sitemap(client)
        expected = public_paths()
        # The last change of each published visit and programme, by its page.
        changed = {
            f"/{prefix}/{slug}/": moment
            for queryset, prefix in (
                (Delegation.objects.published(), "events"),
                (CooperationProgram.objects.published(), "programs"),
            )
            for slug, moment in queryset.values_list("slug", "updated_at")
        }
        # What a crawler then finds at a few of the addresses: each kind's first page, and
        # the pages of what only a draft involves.
        answers = {
            path: client.get(path).status_code
            for path in [
                "/events/visit-1/",
                "/organizations/office-1/",
                "/people/person-4/",
                "/places/baku/",
                "/topics/extradition/",
                "/occasions/forum/",
                "/events/draft-visit-12/",
                "/organizations/draft-ge-office/",
                "/people/draft-person-12/",
                "/places/draft-city/",
                "/topics/draft-topic/",
                "/occasions/draft-forum/",
                "/countries/ge/",
            ]
        }
        transaction.set_rollback(True)
    cache.clear()
    return crawled, expected, changed, answers


def sections_of(crawled, kind):
    pattern = re.compile(rf"{BASE}/sitemap-{kind}\.xml(\?p=(\d+))?$")
    return [address for address in crawled.sections if pattern.match(address)]


# --- What the sections hold --------------------------------------------------------------


@pytest.mark.django_db
def test_every_public_page_is_listed_exactly_once_in_each_language(crawl):
    crawled, expected, _, answers = crawl
    listed = Counter(crawled.locations())
    wanted = Counter(address for path in expected for address in in_every_language(path)) + Counter(
        address
        for code in ("AZ", "RU")
        for address in in_every_language(f"/countries/{code.lower()}/")
    )
    assert listed == wanted
    # The visits and their hosts fill more than one section each.
    for kind in ("events", "organizations"):
        assert len(sections_of(crawled, kind)) > 1, kind
    for path, status in answers.items():
        assert status == (404 if "draft" in path or path == "/countries/ge/" else 200), path


@pytest.mark.django_db
def test_no_draft_anywhere(crawl):
    crawled = crawl[0]
    assert "draft" not in crawled.text
    assert "/countries/ge/" not in crawled.text


@pytest.mark.django_db
def test_visits_are_in_the_sections_of_their_ids_and_an_empty_range_is_left_out(crawl):
    crawled = crawl[0]
    events = sections_of(crawled, "events")
    assert events == [f"{BASE}/sitemap-events.xml?p={n}" for n in (1, 3, 4)]
    slugs = {
        n: {location.rstrip("/").rsplit("/", 1)[1] for location in crawled.locations(address)}
        for n, address in zip((1, 3, 4), events, strict=True)
    }
    assert slugs[1] == {f"visit-{pk}" for pk in range(1, 10)}
    assert slugs[3] == {f"visit-{pk}" for pk in range(20, 30)}
    assert slugs[4] == {"visit-31", LONG_SLUG}


@pytest.mark.django_db
def test_each_section_holds_at_most_its_records_in_each_language(crawl):
    crawled = crawl[0]
    for address in crawled.sections:
        if "?p=" in address:
            assert len(crawled.urls(address)) <= SIZE * len(settings.LANGUAGES), address
    # The full section holds exactly that many.
    assert len(crawled.urls(f"{BASE}/sitemap-events.xml?p=3")) == SIZE * 3


@pytest.mark.django_db
def test_every_url_has_its_alternates_and_x_default(crawl):
    crawled = crawl[0]
    for url in crawled.urls():
        location = url.findtext(f"{{{SITEMAP}}}loc")
        links = alternates(url)
        assert set(links) == {"en", "az", "ru", "x-default"}, location
        english = links["en"]
        path = english.removeprefix(BASE)
        assert links == {
            **{code: f"{BASE}{prefix}{path}" for code, prefix in LANGUAGE_PREFIXES.items()},
            "x-default": english,
        }
        assert location in links.values()


# --- Last changes -------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_url_and_every_section_has_its_last_change(crawl):
    crawled, _, changed, _ = crawl
    for url in crawled.urls():
        location = url.findtext(f"{{{SITEMAP}}}loc")
        lastmod = url.findtext(f"{{{SITEMAP}}}lastmod")
        assert lastmod, location
        english = alternates(url)["en"].removeprefix(BASE)
        if english in changed:
            assert lastmod == w3c(changed[english]), location
    for entry in crawled.index.xpath("s:sitemap", namespaces=NS):
        address = entry.findtext(f"{{{SITEMAP}}}loc")
        lastmod = entry.findtext(f"{{{SITEMAP}}}lastmod")
        # A section changed when the latest of its pages did.
        stamps = [url.findtext(f"{{{SITEMAP}}}lastmod") for url in crawled.urls(address)]
        assert lastmod == max(stamps), address
    # The lists and the country pages change with the visits and programmes they list.
    latest = w3c(max(changed.values()))
    for section in ("pages", "countries"):
        urls = crawled.urls(f"{BASE}/sitemap-{section}.xml")
        assert {url.findtext(f"{{{SITEMAP}}}lastmod") for url in urls} == {latest}, section


# --- Limits at the default size -----------------------------------------------------------


def test_a_section_at_the_default_size_stays_well_under_the_url_limit():
    addresses = sitemaps.SECTION_SIZE * len(settings.LANGUAGES)
    assert addresses <= sitemaps.MAX_URLS // 2


@pytest.mark.django_db
def test_a_section_at_the_default_size_stays_well_under_the_byte_limit(crawl):
    """The longest <url> a section can hold (the longest slug, on a host of the longest name
    a host may have), times the addresses of a full section."""
    crawled = crawl[0]
    longest = max(re.findall(rb"<url>.*?</url>", crawled.text.encode()), key=len)
    assert f"/{LONG_SLUG}/".encode() in longest
    # Five addresses in each <url>: its own and four alternates.
    worst = len(longest) + 5 * (253 - len("testserver"))
    full = sitemaps.SECTION_SIZE * len(settings.LANGUAGES) * worst + 1000
    assert full <= sitemaps.MAX_BYTES // 2


def test_section_size_is_the_divisor_of_the_visits_sitemap_index():
    (index,) = [i for i in Delegation._meta.indexes if i.name == "delegation_sitemap_section"]
    section = index.expressions[0]
    assert (section.lhs.name, section.connector, section.rhs.value) == (
        "id",
        "/",
        sitemaps.SECTION_SIZE,
    )


# --- Reading one section, and refusing what is no section ---------------------------------


@pytest.fixture
def small_sections(monkeypatch):
    monkeypatch.setattr(sitemaps, "SECTION_SIZE", SIZE)


def test_a_section_reads_the_same_queries_however_full_it_is(
    client, make_event, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(sitemaps, "SECTION_SIZE", 4)
    for pk in (4, 5, 6, 7, 9):
        make_event(pk=pk)
    for page, visits in ((2, 4), (3, 1)):
        # The registry's version (the page cache), then the section's range of ids.
        with django_assert_num_queries(2):
            response = client.get(f"/sitemap-events.xml?p={page}")
        assert len(sitemap_reader.parse(response).xpath("s:url", namespaces=NS)) == visits * 3


def test_the_index_reads_the_same_queries_however_many_sections(
    client, make_event, small_sections, django_assert_num_queries
):
    def index_queries():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/sitemap.xml").status_code == 200
        return len(queries)

    make_event(pk=1)
    few = index_queries()
    for pk in (11, 31):
        make_event(pk=pk)
    # The registry's version (the page cache, held while the page renders); the visits'
    # sections (one statement); the sections of programmes, organizations, people, places,
    # topics and occasions (one each); the countries (the event index's counts).
    assert index_queries() == few == 9
    # Until a record changes, the sections are kept (sitemaps.all_sections), as the facets
    # keep the countries' counts: the index reads only the registry's version.
    assert index_queries() == 1


def test_the_index_kept_for_one_address_is_never_served_for_another(
    client, make_event, settings, monkeypatch
):
    # The index's lines are kept per address of the site; past MAX_SITES addresses they
    # are written each time, never taken from another's.
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    monkeypatch.setattr(sitemaps, "MAX_SITES", 1)
    make_event(pk=5)
    for host in ("one.example", "two.example", "one.example", "two.example"):
        index = sitemap_reader.parse(client.get("/sitemap.xml", HTTP_HOST=host))
        addresses = [loc.text for loc in index.xpath("s:sitemap/s:loc", namespaces=NS)]
        assert f"http://{host}/sitemap-events.xml?p=1" in addresses
        assert all(address.startswith(f"http://{host}/") for address in addresses)


NO_SECTION = [
    "/sitemap-nothing.xml",
    "/sitemap-event.xml",
    "/sitemap-events.xml?p=0",
    "/sitemap-events.xml?p=-1",
    "/sitemap-events.xml?p=+1",
    "/sitemap-events.xml?p=01",
    "/sitemap-events.xml?p=1.0",
    "/sitemap-events.xml?p=1e3",
    "/sitemap-events.xml?p=",
    "/sitemap-events.xml?p=%201",
    "/sitemap-events.xml?p=abc",
    "/sitemap-events.xml?p=%00",
    "/sitemap-events.xml?p=%D9%A1",
    "/sitemap-events.xml?p=2",
    "/sitemap-events.xml?p=999999999999",
    "/sitemap-events.xml?p=99999999999999999999999999",
    "/sitemap-occasions.xml?p=1",
    "/sitemap-pages.xml?p=2",
    "/sitemap-countries.xml?p=0",
]


def test_what_is_no_section_answers_404(client, make_event):
    make_event(pk=5)
    assert client.get("/sitemap-events.xml?p=1").status_code == 200
    for address in NO_SECTION:
        assert client.get(address).status_code == 404, address


def test_the_index_follows_the_records_as_they_change(client, make_event, small_sections):
    first, second = make_event(pk=3), make_event(pk=14)
    yesterday = timezone.now() - dt.timedelta(days=1)
    Delegation.objects.filter(pk__in=[3, 14]).update(updated_at=yesterday)

    def sections():
        crawled = Sitemap(client)
        return {
            path_of(entry.findtext(f"{{{SITEMAP}}}loc")): entry.findtext(f"{{{SITEMAP}}}lastmod")
            for entry in crawled.index.xpath("s:sitemap", namespaces=NS)
            if "sitemap-events" in entry.findtext(f"{{{SITEMAP}}}loc")
        }

    assert sections() == {
        "/sitemap-events.xml?p=1": w3c(yesterday),
        "/sitemap-events.xml?p=2": w3c(yesterday),
    }
    first.refresh_from_db()
    first.title = "Renamed visit"
    records.save(first)
    records.return_to_draft(second)
    first.refresh_from_db()
    assert sections() == {"/sitemap-events.xml?p=1": w3c(first.updated_at)}
    assert w3c(first.updated_at) != w3c(yesterday)
    assert client.get("/sitemap-events.xml?p=2").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_postgresql_walks_the_visits_sections_through_their_index(db, make_event):
    event = make_event()
    # An archive mostly of drafts, which the index leaves out, measured afresh: the planner
    # then chooses the index on its own. (On statistics of a table of one or two rows, as
    # earlier tests may leave them, every index costs it the same and its pick is a toss.)
    Delegation.objects.bulk_create(
        Delegation(
            **{
                field.attname: getattr(event, field.attname)
                for field in Delegation._meta.concrete_fields
                if not field.primary_key
            }
            | {"slug": f"draft-{n}", "status": Status.DRAFT, "published_at": None}
        )
        for n in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Delegation._meta.db_table}")
    with CaptureQueriesContext(connection) as queries:
        sitemaps.visit_sections()
    (sql,) = [query["sql"] for query in queries.captured_queries if "RECURSIVE" in query["sql"]]
    with connection.cursor() as cursor:
        # Run (ANALYZE) and VERBOSE, the plan shows the subquery of the recursive step too.
        cursor.execute(f"EXPLAIN (ANALYZE, VERBOSE) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The first section, each next one, and each one's latest change.
    assert plan.count("using delegation_sitemap_section") == 3, plan


def test_robots_txt_names_the_sitemap_index(client, db):
    text = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml\n" in text
    index = sitemap_reader.parse(client.get("/sitemap.xml"))
    assert index.tag == f"{{{SITEMAP}}}sitemapindex"
