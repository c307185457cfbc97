"""The pictures of cooperation/pictures.py on a page: `{% timeline results query %}`,
`{% who_visits_whom results query %}`, `{% visit_map results query %}`.

`results` is a facets.Results (the visits the page is about), `query` the QueryDict of
filters each picture's links keep (the event list's own filters; on an entity's page, the
entity's filter). Each picture reads one set of counts (the map also reads its places, in
one query), never a query per bar, cell or dot.
"""

import datetime as dt
import functools
import html
import re
from urllib.parse import urlencode

from django import template
from django.db import router
from django.db.models import F, Q
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django_countries import countries

from cooperation import facets, pictures, registry_version
from cooperation.languages import current, in_every_language, shown
from cooperation.models import Place

register = template.Library()


def escape(text):
    """`text` escaped for HTML, as django.utils.html.escape escapes it (the standard
    library's html.escape of its text), without the check for a lazy translation that
    Django makes on each call: a picture escapes several hundred values, all plain text by
    then."""
    return html.escape(str(text))


# Values a link carries as they are: urlencode() leaves these characters unchanged (a
# year, a country code, a slug, a date).
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")


class ListLinks:
    """Addresses of /events/ with the filters of `query` (no page number, no empty field)
    and values of their own: `links = ListLinks(query)`, then `links(year=2023)`.

    A picture links hundreds of bars, cells and dots: the kept filters are cleaned, encoded
    and the list's path found once, and each link adds only its own values.
    """

    def __init__(self, query):
        kept = query.copy() if query is not None else QueryDict(mutable=True)
        kept._mutable = True
        kept.pop("page", None)
        for name in [name for name, value in kept.lists() if not any(v.strip() for v in value)]:
            kept.pop(name)
        self.kept = kept
        self.encoded = kept.urlencode()
        self.path = reverse("cooperation:event-list")
        self.bare = f"{self.path}?{self.encoded}"
        self.start = f"{self.bare}&" if self.encoded else f"{self.path}?"

    def __call__(self, **values):
        if any(name in self.kept for name in values):
            # A filter the link replaces: it goes after the others, as a new one would.
            query = self.kept.copy()
            for name in values:
                query.pop(name, None)
            for name, value in values.items():
                query[name] = value
            return f"{self.path}?{query.urlencode()}"
        # Encoded as QueryDict.urlencode() encodes, without a QueryDict for each link; a
        # plain value as it is (most are: a picture links a hundred years, countries and
        # slugs, and encoding each took a fifth of its drawing).
        pairs = [(name, str(value)) for name, value in values.items()]
        if all(_PLAIN.fullmatch(name) and _PLAIN.fullmatch(value) for name, value in pairs):
            own = "&".join(f"{name}={value}" for name, value in pairs)
        else:
            own = urlencode(pairs)
        return f"{self.start}{own}" if own else self.bare


def entity_query(name, record):
    """The query of an entity's page: its one filter, as the event list names it."""
    query = QueryDict(mutable=True)
    query[name] = getattr(record, "slug", record)
    return query


def country_namer():
    """A country's name by its code in the active language, for the many countries of one
    picture: the language looked up once."""
    language = current()
    return lambda code: _country_name(code, language)


@functools.lru_cache(maxsize=2048)
def _country_name(code, language):
    # A country's name in the active language, read once per process: a matrix names
    # hundreds of pairs.
    return str(countries.name(code)) or code


def chosen_year(query):
    """The year the filters hold, if any (the event list has refused one it cannot read)."""
    raw = (query.get("year") or "").strip() if query is not None else ""
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 9999 else None


def parsed_date(query, name):
    try:
        return dt.date.fromisoformat((query.get(name) or "").strip())
    except ValueError:
        return None


def month_link(links, query, key):
    """The list for one month of the chosen year, within any dates the filters already
    hold (the bar counted only those)."""
    year, month = int(key[:4]), int(key[5:])
    first = dt.date(year, month, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    date_from, date_to = parsed_date(query, "date_from"), parsed_date(query, "date_to")
    first = max(first, date_from) if date_from else first
    last = min(last, date_to) if date_to else last
    return links(date_from=first.isoformat(), date_to=last.isoformat())


def timeline_kind(query):
    return "month" if chosen_year(query) else "year"


@register.inclusion_tag("includes/pictures/timeline.html")
def timeline(results, query, counts=None):
    """Visits per year, or per month of the year the filters hold. `counts` (kind: Counts)
    may hold the counts already read for the page (`all_pictures`)."""
    year = chosen_year(query)
    kind = timeline_kind(query)
    counts = counts[kind] if counts else facets.count(results, kind)
    picture = pictures.timeline(
        counts.values,
        counts.exact,
        year=year,
        month_label=lambda month: date_format(dt.date(2000, month, 1), "M"),
    )
    links = ListLinks(query)
    shown_count = pictures.count_shower(counts.exact)
    for bar in picture.rows:
        bar.shown = shown_count(bar.count)
        if bar.count:
            bar.url = month_link(links, query, bar.key) if year else links(year=bar.key)
    return {
        "picture": picture,
        "year": year,
        "marks": timeline_marks(picture),
        "table_rows": timeline_rows(picture),
    }


# Written here rather than in the templates, as matrix_cells is: through the template a
# timeline's forty bars and their dozen values each took 2.5 ms of a page. Numbers are
# written as numbers, in no language's format, as `{% localize off %}` writes them.


def timeline_marks(picture):
    """The timeline's axis and bars as SVG."""
    left = picture.plot_left
    parts = ['<g class="pic-axis">']
    for label, y in picture.ticks:
        parts.append(
            f'\n      <line x1="{left}" x2="{picture.plot_right}" y1="{y}" y2="{y}"></line>'
            f'\n      <text x="{int(left) - 6}" y="{y}" dy="4" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    parts.append("\n    </g>\n    ")
    top, hit, label_y = picture.plot_top, picture.hit_height, picture.label_y
    for bar in picture.bars:
        label = escape(bar.label)
        name = (
            f'<text class="pic-label" x="{bar.middle}" y="{label_y}" text-anchor="middle">'
            f"{label}</text>"
        )
        if bar.url:
            shown = escape(bar.shown)
            parts.append(
                f'<a href="{escape(bar.url)}" tabindex="-1" class="pic-link">'
                f"<title>{label}: {shown}</title>"
                f'\n      <rect class="pic-hit" x="{bar.slot_left}" y="{top}" '
                f'width="{bar.slot_width}" height="{hit}"></rect>'
                f'\n      <rect class="pic-bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" '
                f'height="{bar.height}"></rect>'
            )
            if picture.show_counts:
                parts.append(
                    f'\n      <text class="pic-count" x="{bar.middle}" y="{bar.y}" dy="-4" '
                    f'text-anchor="middle">{shown}</text>'
                )
            if bar.show_label:
                parts.append(f"\n      {name}")
            parts.append("\n    </a>")
        elif bar.show_label:
            parts.append(name)
        parts.append("\n    ")
    return mark_safe("".join(parts))


def timeline_rows(picture):
    """The rows of the timeline's table: every bar, oldest first."""
    parts = []
    for bar in picture.rows:
        label = escape(bar.label)
        if bar.url:
            label = f'<a href="{escape(bar.url)}">{label}</a>'
        parts.append(f'\n        <tr><th scope="row">{label}</th><td>{escape(bar.shown)}</td></tr>')
    return mark_safe("".join(parts))


@register.inclusion_tag("includes/pictures/timeline.html")
def timeline_of(name, record):
    """The timeline on the page of `record` (a programme, organization, person, topic), its
    bars opening the list filtered by `name` = the record."""
    return timeline(facets.involving(name, record), entity_query(name, record))


@register.inclusion_tag("includes/pictures/who_visits_whom.html")
def who_visits_whom(results, query, country=None, counts=None):
    """The matrix; with `country` (a code), also the countries it visits and that visit it."""
    counts = counts["direction"] if counts else facets.count(results, "direction")
    name = country_namer()
    picture = pictures.matrix(counts.derived(pictures.directions), counts.exact, name=name)
    links = ListLinks(query)
    shown_count = pictures.count_shower(counts.exact)
    for cell in [*picture.cells, *picture.pairs]:
        cell.shown = shown_count(cell.count)
        if cell.count:
            cell.url = links(from_country=cell.sender, to_country=cell.host)
    context = {
        "picture": picture,
        "country": country,
        "labels": matrix_labels(picture),
        "cells": matrix_cells(picture),
        "pair_rows": pair_rows(picture),
    }
    if country:
        context["visits"], context["visited_by"] = [], []
        for key, count in counts.ranked:
            sender, host = pictures.split_direction(key)
            if sender == host or country not in (sender, host) or count <= 0:
                continue
            other = host if sender == country else sender
            row = {
                "code": other,
                "name": name(other),
                "shown": shown_count(count),
                "url": links(from_country=sender, to_country=host),
            }
            context["visits" if sender == country else "visited_by"].append(row)
    return context


def matrix_labels(picture):
    """The matrix's column (host) and row (sender) names as SVG, for the reason
    timeline_marks is."""
    half = int(picture.half)
    top, left = int(picture.top) - 6, int(picture.left) - 6
    parts = [
        f'<text class="pic-label" transform="translate({int(x) + half} {top}) rotate(-45)">'
        f"{escape(name)}</text>\n    "
        for _code, name, x in picture.hosts
    ]
    parts.extend(
        f'<text class="pic-label" x="{left}" y="{int(y) + half}" dy="4" text-anchor="end">'
        f"{escape(name)}</text>\n    "
        for _code, name, y in picture.senders
    )
    return mark_safe("".join(parts))


def pair_rows(picture):
    """The rows of the matrix's table: every pair, most visits first."""
    return mark_safe(
        "".join(
            f"\n        <tr><td>{escape(cell.sender_name)}</td><td>{escape(cell.host_name)}</td>"
            f'<td><a href="{escape(cell.url)}">{escape(cell.shown)}</a></td></tr>'
            for cell in picture.pairs
        )
    )


def matrix_cells(picture):
    """The matrix's cells as SVG: a link with its title and count for a pair with visits, a
    bare square for one without. Written here rather than in the template, where a
    matrix's 64 cells and their dozen values each took 2 ms of a page (numbers as numbers,
    in no language's format)."""
    inner, half = picture.inner, int(picture.half)
    parts = []
    for cell in picture.cells:
        square = f'x="{cell.x}" y="{cell.y}" width="{inner}" height="{inner}"></rect>'
        if not cell.url:
            parts.append(f'<rect class="pic-cell pic-shade-0" {square}\n')
            continue
        title = escape(f"{cell.sender_name} → {cell.host_name}: {cell.shown}")
        dark = " pic-on-dark" if cell.shade > 3 else ""
        parts.append(
            f'<a href="{escape(cell.url)}" tabindex="-1" class="pic-link"><title>{title}</title>'
            f'<rect class="pic-cell pic-shade-{cell.shade}" {square}'
            f'<text class="pic-cell-count{dark}" x="{cell.x + half}" y="{cell.y + half}" '
            f'dy="4" text-anchor="middle">{int(cell.count)}</text></a>\n'
        )
    return mark_safe("".join(parts))


# The places maps draw, kept per registry version: every list's map names much the same
# places (a large archive's map a few hundred), and reading them took 1.5-2 ms of a page.
_map_places = registry_version.KeptRecords(limit=20_000)


def _drawable_places(using, keys):
    """{id: place} of the places of `keys` a map draws (located ones, and countries), with
    only what the map shows of them and the ids of their ancestors."""
    places = Place.objects.using(using).only(
        "slug", "kind", "country", "parent", "latitude", "longitude", *in_every_language("name")
    )
    places = (
        places.filter(facets.among("pk", keys, using))
        .filter(Q(latitude__isnull=False) | Q(kind=Place.Kind.COUNTRY))
        .annotate(
            # The country's code as text: the field's own value is a Country object, made
            # anew on each reading.
            country_code=F("country"),
            up_2=F("parent__parent_id"),
            up_3=F("parent__parent__parent_id"),
            up_4=F("parent__parent__parent__parent_id"),
        )
        .order_by()
    )
    return {place.pk: place for place in places}


@register.inclusion_tag("includes/pictures/map.html")
def visit_map(results, query, counts=None):
    counts = counts["place"] if counts else facets.count(results, "place")
    keys = [int(key) for key in counts.values if key.isdigit()]
    using = router.db_for_read(Place)
    found = _map_places.get("place", keys, functools.partial(_drawable_places, using), using)
    # In the order of their ids, whatever the order they were read and kept in.
    places = [found[key] for key in sorted(found)]
    located = pictures.outermost_located(
        [
            pictures.LocatedPlace(
                key=str(place.pk),
                latitude=place.latitude,
                longitude=place.longitude,
                ancestors=[str(k) for k in (place.parent_id, place.up_2, place.up_3, place.up_4)],
            )
            for place in places
        ]
    )
    by_key = {str(place.pk): place for place in places}
    links = ListLinks(query)
    shown_count = pictures.count_shower(counts.exact)
    name_country = country_namer()
    page_language = current()
    dots = []
    for key in located:
        place = by_key[key]
        name, language = shown(place, "name")
        dots.append(
            pictures.Dot(
                key=key,
                name=name,
                count=counts.values[key],
                x=float(place.longitude),
                y=float(place.latitude),
                country=place.country_code,
                lang=language if language not in (None, page_language) else "",
                url=links(place=place.slug),
                shown=shown_count(counts.values[key]),
            )
        )
    in_country, country_rows = {}, []
    for place in places:
        if place.kind == Place.Kind.COUNTRY:
            count = counts.values[str(place.pk)]
            code = place.country_code
            in_country[code] = max(in_country.get(code, 0), count)
            country_rows.append(
                {
                    "name": name_country(code),
                    "count": count,
                    "shown": shown_count(count),
                    "url": links(place=place.slug),
                }
            )
    country_rows.sort(key=lambda row: (-row["count"], row["name"]))
    picture = pictures.visit_map(dots, in_country, counts.exact)
    for dot in picture.dots:
        dot.country_name = name_country(dot.country)
    return {
        "picture": picture,
        "country_rows": country_rows,
        "shapes": map_shapes(picture),
        "dot_rows": dot_rows(picture),
        "country_table_rows": country_table_rows(country_rows),
    }


def dot_rows(picture):
    """The rows of the map's table of places, for the reason timeline_marks is."""
    parts = []
    for dot in picture.dots:
        lang = f' lang="{escape(dot.lang)}"' if dot.lang else ""
        parts.append(
            f'\n        <tr><th scope="row"><a href="{escape(dot.url)}"{lang}>{escape(dot.name)}'
            f"</a></th><td>{escape(dot.country_name)}</td><td>{escape(dot.shown)}</td></tr>"
        )
    return mark_safe("".join(parts))


def country_table_rows(rows):
    """The rows of the map's table of countries."""
    return mark_safe(
        "".join(
            f'\n        <tr><th scope="row"><a href="{escape(row["url"])}">{escape(row["name"])}'
            f"</a></th><td>{escape(row['shown'])}</td></tr>"
            for row in rows
        )
    )


def map_shapes(picture):
    """The map's countries and dots as SVG, written here for the reason matrix_cells is:
    a map of the world draws 176 outlines."""
    # An outline's path is numbers and the letters of path commands (pictures._path), which
    # escaping leaves as they are: not escaped, since 176 long paths took 0.4 ms to escape.
    land = "".join(
        f'<path class="pic-shade-{outline.shade}" d="{outline.path}"></path>'
        for outline in picture.land
    )
    dots = "".join(
        f'<a href="{escape(dot.url)}" tabindex="-1" class="pic-link">'
        f"<title>{escape(dot.name)}: {escape(dot.shown)}</title>"
        f'<circle cx="{dot.x}" cy="{dot.y}" r="{dot.r}"></circle></a>'
        for dot in picture.dots
    )
    stroke = picture.stroke
    return mark_safe(
        f'<g class="pic-land" stroke-width="{stroke}">{land}</g>\n'
        f'    <g class="pic-dots" stroke-width="{stroke}">{dots}</g>'
    )


# How many ways of drawing the whole archive's pictures (languages times kept filters such
# as a sort order) are kept per registry version (list_pictures).
KEPT_DRAWINGS = 16


@register.simple_tag
def list_pictures(results, query):
    """The event list's three pictures (includes/pictures/event_list.html). Over the whole
    archive they are the same on every page of the list, in every order, until the registry
    changes: drawn once per registry version, language and kept filters, and kept with the
    whole archive's counts (facets.Counts.kept); at a million visits drawing them took
    17 ms of the list's 53."""
    counts = picture_counts(results, query)

    def draw():
        return render_to_string(
            "includes/pictures/event_list.html",
            {"results": results, "query": query, "counts": counts},
        )

    if not results.whole_archive:
        return draw()
    key = ("list_pictures", current(), ListLinks(query).encoded)
    return counts["direction"].kept(key, draw, limit=KEPT_DRAWINGS)


@register.simple_tag
def picture_counts(results, query):
    """The counts of the three pictures of a page, read from the event index at once."""
    return facets.count_many(results, [timeline_kind(query), "direction", "place"])
