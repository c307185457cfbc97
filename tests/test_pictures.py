"""The pictures (cooperation/pictures.py): their geometry, and on the fixtures' records,
that each bar, cell and dot opens a list of as many visits as it shows, that the table
beside it holds the same numbers, and the country pages."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import translation

from cooperation import pictures
from cooperation.templatetags import pictures as picture_tags

# --- Geometry, from plain counts ---------------------------------------------------------


def test_bar_height_is_proportional_to_its_count():
    shape = pictures.timeline({"2019": 10, "2021": 40, "2022": 20})
    heights = {bar.key: bar.height for bar in shape.bars}
    # A year with no visit between two with some is a bar of its own, of no height.
    assert list(heights) == ["2019", "2020", "2021", "2022"]
    assert heights["2020"] == 0
    assert heights["2021"] == pytest.approx(4 * heights["2019"], abs=0.02)
    assert heights["2021"] == pytest.approx(2 * heights["2022"], abs=0.02)
    # The axis ends at a round 50, the top of the plot: 40 is four fifths of its height.
    assert shape.ticks[-1][0] == "50"
    assert heights["2021"] == pytest.approx(0.8 * (shape.baseline - shape.plot_top), abs=0.02)


def test_month_bars_cover_the_twelve_months_of_the_year():
    shape = pictures.timeline({"2023-05": 3}, year=2023, month_label=str)
    assert [bar.key for bar in shape.bars][:2] == ["2023-01", "2023-02"]
    assert len(shape.bars) == 12
    assert [bar.count for bar in shape.bars if bar.height] == [3]


def test_timeline_draws_a_bounded_number_of_years_and_tables_them_all():
    shape = pictures.timeline({"1900": 1, "2020": 5})
    assert len(shape.bars) == pictures.TIMELINE_YEARS
    assert len(shape.rows) == 121


@pytest.mark.parametrize(
    ("count", "exact", "shown"),
    [(12345, True, "12,345"), (12345, False, "about 12,000"), (7, False, "about 7")],
)
def test_an_estimate_is_labelled_about(count, exact, shown):
    assert pictures.count_shower(exact)(count) == shown


@pytest.mark.parametrize(
    ("language", "exact", "shown"),
    [
        ("ru", True, "12\xa0345"),
        ("ru", False, "около 12\xa0000"),
        ("az", False, "təxminən 12\xa0000"),
    ],
)
def test_a_count_is_written_as_the_pages_language_writes_numbers(language, exact, shown):
    # A picture formats its counts with the language's grouping and words looked up once
    # (count_shower): they must still be the language's, not English's.
    with translation.override(language):
        show = pictures.count_shower(exact)
        assert show(12345) == shown
        # The facets' estimates come rounded already (facets.py): written as they are.
        already_rounded = 12345 if exact else 12000
        assert pictures.count_shower(exact, rounding=None)(already_rounded) == shown


@pytest.mark.parametrize(
    ("kept", "values"),
    [
        ("", {"year": 2023}),
        ("country=AZ&q=extradition+treaty", {"from_country": "RU", "to_country": "AZ"}),
        ("q=%D0%B2%D0%B8%D0%B7%D0%B8%D1%82", {"place": "baku"}),
        ("country=AZ", {"date_from": "2023-12-01", "date_to": "2023-12-31"}),
        # Values urlencode() changes: a space, a plus, non-ASCII letters, an ampersand.
        ("", {"place": "a b+c"}),
        ("year=2023", {"place": "bakı & co"}),
        # A filter the link replaces goes after the others.
        ("year=2021&country=AZ", {"year": 2023}),
    ],
)
def test_a_pictures_link_is_the_address_django_would_write(kept, values):
    # ListLinks writes plain values without urlencode(): the address must be the same
    # as the list's own form would make of the kept filters and the link's values.
    from django.http import QueryDict

    link = picture_tags.ListLinks(QueryDict(kept))(**values)
    expected = QueryDict(kept, mutable=True)
    for name in values:
        expected.pop(name, None)
    for name, value in values.items():
        expected[name] = str(value)
    assert link == f"/events/?{expected.urlencode()}"


def test_matrix_draws_the_top_countries_and_lists_every_pair():
    counts = {f"C{n}>AZ": n for n in range(1, 12)} | {"RU>BY": 50, "AZ>RU": 30}
    shape = pictures.matrix(pictures.directions(counts), name=lambda code: code)
    assert [code for code, _, _ in shape.senders][:2] == ["RU", "AZ"]
    assert len(shape.senders) == pictures.MATRIX_TOP
    assert len(shape.pairs) == len(counts)
    cells = {(cell.sender, cell.host): cell for cell in shape.cells}
    assert cells[("RU", "BY")].shade == pictures.SHADES
    assert cells[("RU", "AZ")].count == 0 and cells[("RU", "AZ")].shade == 0
    # The cells form a grid, a cell apart.
    columns = [x for _, _, x in shape.hosts]
    steps = [b - a for a, b in zip(columns, columns[1:], strict=False)]
    assert steps == [pictures.MATRIX_CELL] * (len(columns) - 1)


def test_map_projects_baku_inside_azerbaijans_outline():
    left, top, right, bottom = pictures.world().by_code["AZ"].box
    x, y = pictures.equal_earth(49.8671, 40.4093)
    assert left < x < right and top < y < bottom
    # Moscow is not in Azerbaijan's box, but in Russia's.
    x, y = pictures.equal_earth(37.6173, 55.7558)
    assert not (left < x < right and top < y < bottom)
    left, top, right, bottom = pictures.world().by_code["RU"].box
    assert left < x < right and top < y < bottom


def test_map_window_holds_its_dots_and_dot_area_follows_the_count():
    dots = [
        pictures.Dot(key="1", name="Baku", count=16, x=49.8671, y=40.4093, country="AZ"),
        pictures.Dot(key="2", name="Dushanbe", count=4, x=68.787, y=38.5598, country="TJ"),
    ]
    shape = pictures.visit_map(dots, {"AZ": 17, "TJ": 4})
    left, top, width, height = shape.view
    assert width == pytest.approx(pictures.MAP_ASPECT * height)
    for dot in shape.dots:
        assert left < dot.x < left + width and top < dot.y < top + height
    baku, dushanbe = shape.dots
    assert (baku.r / dushanbe.r) ** 2 == pytest.approx(4, rel=0.01)
    # Only the outlines in the window are drawn, Azerbaijan's among them, shaded.
    drawn = {land.code: land.shade for land in shape.land}
    assert drawn["AZ"] == pictures.SHADES and "US" not in drawn


def test_only_the_outermost_located_place_gets_a_dot():
    places = [
        pictures.LocatedPlace("1", None, None),  # a country
        pictures.LocatedPlace("2", 40.4, 49.9, ["1"]),  # a city in it
        pictures.LocatedPlace("3", 40.39, 49.87, ["2", "1"]),  # a building in the city
        pictures.LocatedPlace("4", 40.5, 50.0, ["1"]),  # a museum in the country alone
    ]
    assert pictures.outermost_located(places) == ["2", "4"]


# --- On the fixtures' records -----------------------------------------------------------

FIXTURES = (
    "baku_2023",
    "cis_council_dushanbe_2025",
    "georgia_bulgaria_2017",
    "uganda_dpp_baku_2025",
    "gcc_assistant_attorneys_general_2024",
    "chinese_prosecutors_study_trip_2018",
    "uzbek_prosecutors_azerbaijan_2022",
)


PAGES = (
    "/events/",
    "/events/?year=2025",
    "/countries/",
    "/countries/az/",
    "/countries/AZ/",
    "/countries/Az/",
    "/ru/countries/az/",
    "/countries/zz/",
    "/countries/azerbaijan/",
    "/countries/us/",
    "/organizations/prosecutor-generals-office-azerbaijan/",
    "/sitemap-pages.xml",
    "/sitemap-countries.xml",
)


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker):
    """Per URL: (status, HTML), every fixture loaded; and per list a picture links to, the
    number of visits it lists. Loaded once for the module (loading takes seconds) and rolled
    back after it, so the tests after it start from empty."""
    rendered, listed = {}, {}
    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        call_command("loaddata", *FIXTURES, verbosity=0)
        client = Client()
        for url in PAGES:
            response = client.get(url)
            rendered[url] = (response.status_code, response.content.decode())
        for _, content in list(rendered.values()):
            for link in links(content)[1]:
                if link.startswith("/events/?") and link not in listed:
                    response = client.get(link)
                    assert response.status_code == 200, link
                    listed[link] = int(RESULT_COUNT.search(response.content.decode())[1])
        transaction.set_rollback(True)
    cache.clear()
    return rendered, listed


SVG_LINK = re.compile(
    r'<a href="([^"]+)" tabindex="-1" class="pic-link"><title>[^<]*: ([^<]+)</title>'
)
# A table row's link and the count beside it (the timeline's and the map's tables), or a
# count that is the link (the matrix's pairs).
TABLE_ROW = re.compile(
    r'<tr><th scope="row"><a href="([^"]+)"[^>]*>[^<]*</a></th>'
    r"(?:<td>[^<]*</td>)?<td>([^<]+)</td></tr>"
)
RESULT_COUNT = re.compile(r'class="result-count"[^>]*>\s*(\d+) events?')
TABLE_COUNT = re.compile(r'<td><a href="([^"]+)">([^<]+)</a></td></tr>')


def links(text):
    drawn = {html.unescape(url): count for url, count in SVG_LINK.findall(text)}
    tabled = {
        html.unescape(url): count
        for pattern in (TABLE_ROW, TABLE_COUNT)
        for url, count in pattern.findall(text)
    }
    return drawn, tabled


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/events/",
        "/events/?year=2025",
        "/countries/az/",
        "/organizations/prosecutor-generals-office-azerbaijan/",
    ],
)
def test_each_picture_opens_a_list_of_the_count_it_shows(pages, url):
    rendered, listed = pages
    status, content = rendered[url]
    assert status == 200
    drawn, tabled = links(content)
    assert drawn, "no picture drawn"
    # Every bar, cell and dot is in a table with the same number (the table holds more:
    # countries with no dot, pairs outside the matrix).
    for link, count in drawn.items():
        assert tabled.get(link) == count, link
    for link, count in tabled.items():
        if link.startswith("/events/?"):
            assert listed[link] == int(count.replace(",", "")), link
    if "year=2025" in url:
        # Per month, once a year is chosen: a month's bar keeps the year.
        assert any("date_from=2025-" in link and "year=2025" in link for link in drawn)
    elif "organizations" not in url:
        assert any("from_country=" in link and "to_country=" in link for link in drawn)


@pytest.mark.django_db
def test_country_list_and_country_pages(pages):
    rendered, _ = pages
    status, text = rendered["/countries/"]
    assert status == 200
    assert 'href="/countries/az/"' in text and 'href="/countries/tj/"' in text
    assert 'id="matrix-heading"' in text
    for url in ("/countries/az/", "/countries/AZ/", "/countries/Az/"):
        status, text = rendered[url]
        assert status == 200
        assert "<h1>Azerbaijan</h1>" in text
    assert "<h1>Азербайджан</h1>" in rendered["/ru/countries/az/"][1]
    # Not a country code, or a country no published visit involves.
    for url in ("/countries/zz/", "/countries/azerbaijan/", "/countries/us/"):
        assert rendered[url][0] == 404, url
    az = rendered["/countries/az/"][1]
    assert 'href="/events/?country=AZ"' in az
    assert 'href="/events/?to_country=AZ"' in az
    assert 'id="map-heading"' in az and 'id="timeline-heading"' in az
    # Baku, located in the fixture, is a dot on its map.
    assert "<title>Baku: " in az


@pytest.mark.django_db
def test_country_pages_are_in_the_sitemap(pages):
    assert "/countries/</loc>" in pages[0]["/sitemap-pages.xml"][1]
    text = pages[0]["/sitemap-countries.xml"][1]
    assert "/countries/az/</loc>" in text and "/countries/us/</loc>" not in text


@pytest.mark.django_db
def test_the_archives_pairs_are_read_once_per_registry_version(make_event, monkeypatch, settings):
    """The unfiltered list's matrix reads the whole archive's thousands of pairs once per
    version of the registry, not on every page, and still shows a change at once."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # each page rendered, not served from the cache
    readings = []
    reading = pictures.directions

    def counted(counts):
        readings.append(dict(counts))
        return reading(counts)

    monkeypatch.setattr(pictures, "directions", counted)
    cell = re.compile(r"<title>Russia → Azerbaijan: (\d+)")
    make_event()
    cache.clear()
    client = Client()
    first, second = (client.get("/events/").content.decode() for _ in range(2))
    assert cell.findall(first)[:1] == cell.findall(second)[:1] == ["1"]
    assert readings == [{"RU>AZ": 1}]
    make_event()
    assert cell.findall(client.get("/events/").content.decode())[:1] == ["2"]
    assert readings == [{"RU>AZ": 1}, {"RU>AZ": 2}]


@pytest.mark.django_db
def test_the_archives_pictures_are_drawn_once_per_version_language_and_filters(
    make_event, monkeypatch, settings
):
    """The unfiltered list's three pictures are the same on every page of it: drawn once
    per version of the registry, language and kept filters (a sort order), and drawn
    again at once after a change."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # each page rendered, not served from the cache
    drawn = []
    draw = picture_tags.render_to_string

    def counted(name, context):
        drawn.append(context["query"].urlencode())
        return draw(name, context)

    monkeypatch.setattr(picture_tags, "render_to_string", counted)
    block = re.compile(r'<div class="pictures">.*?</div>\n', re.S)
    cell = re.compile(r"<title>Russia → Azerbaijan: (\d+)")
    # Dated: make_event's default date moves on with every visit the session makes.
    make_event(start_date=dt.date(2023, 5, 1))
    cache.clear()
    client = Client()

    def pictures_of(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return block.search(response.content.decode())[0]

    first = pictures_of("/events/")
    assert pictures_of("/events/?page=1") == pictures_of("/events/") == first
    assert cell.findall(first)[:1] == ["1"]
    by_title = pictures_of("/events/?sort=title")
    assert "sort=title" in by_title and "sort=title" not in first
    in_azerbaijani = pictures_of("/az/events/")
    assert in_azerbaijani != first and "Azərbaycan" in in_azerbaijani
    assert len(drawn) == 3
    for url in ("/events/", "/events/?sort=title", "/az/events/"):
        pictures_of(url)
    assert len(drawn) == 3
    # A filtered list's pictures are its own, drawn for it.
    assert pictures_of("/events/?year=2023") != first
    assert len(drawn) == 4

    make_event(start_date=dt.date(2023, 6, 1))
    assert cell.findall(pictures_of("/events/"))[:1] == ["2"]
    assert len(drawn) == 5

    # Kept filters come from the address: past KEPT_DRAWINGS ways of drawing them, the
    # pictures are drawn for each request rather than kept.
    for n in range(picture_tags.KEPT_DRAWINGS + 2):
        assert f"x{n}=1" in pictures_of(f"/events/?x{n}=1")
    before = len(drawn)
    last = f"/events/?x{picture_tags.KEPT_DRAWINGS + 1}=1"
    assert pictures_of(last) == pictures_of(last)
    assert len(drawn) == before + 2


def test_the_shapes_the_tags_write_escape_names_and_links():
    # The matrix's cells and the map's dots are written by their tags, not by the template's
    # autoescaping: a name or an address must still come out as text.
    dot = pictures.Dot(
        key="1",
        name="Tbilisi <b> & Co",
        count=3,
        x=44.8,
        y=41.7,
        country="GE",
        url="/events/?place=a&year=2023",
        shown="3",
    )
    drawn = picture_tags.map_shapes(pictures.visit_map([dot], {"GE": 3}))
    assert "<title>Tbilisi &lt;b&gt; &amp; Co: 3</title>" in drawn
    assert 'href="/events/?place=a&amp;year=2023"' in drawn
    assert drawn.count("<circle ") == 1 and 'class="pic-shade-' in drawn

    matrix = pictures.matrix(pictures.directions({"RU>AZ": 4}), name=lambda code: f"<{code}>")
    for cell in matrix.cells:
        cell.shown = str(cell.count)
        cell.url = "/events/?from_country=RU&to_country=AZ" if cell.count else ""
    cells = picture_tags.matrix_cells(matrix)
    assert "<title>&lt;RU&gt; → &lt;AZ&gt;: 4</title>" in cells
    assert 'href="/events/?from_country=RU&amp;to_country=AZ"' in cells
    assert ">4</text></a>" in cells


@pytest.mark.django_db
def test_a_place_located_after_a_map_was_drawn_is_on_the_next_map(client, world):
    # The places a map draws are kept until a record changes (templatetags/pictures.py).
    assert "<title>Baku: " not in client.get("/events/").text
    world.baku.latitude, world.baku.longitude = Decimal("40.4093"), Decimal("49.8671")
    world.baku.save()
    assert "<title>Baku: " in client.get("/events/").text


def test_outlines_are_written_unescaped_because_they_need_no_escaping():
    # templatetags/pictures.map_shapes writes the outlines' paths as they are.
    for outline in pictures.world().outlines:
        for path in (outline.path, outline.coarse_path):
            assert path and html.escape(path) == path
            assert re.fullmatch(r"[MlZz0-9 .e+\-]+", path), outline.code
