"""Pictures of the published visits, drawn on the server as SVG: the geometry alone.

Three pictures, each fed with one set of counts (cooperation/facets.py) and nothing else:

- a timeline: visits per year, or per month of one year;
- who visits whom: a matrix of sending country (rows) by host country (columns);
- a map: a dot per place with coordinates, its area by its count, on Natural Earth's
  110m country outlines (the npm package world-atlas, pinned in package.json and installed
  by `make install`), countries shaded by the visits that took place in them.

This module knows neither the database nor URLs: it turns counts into shapes with
coordinates, and cooperation/templatetags/pictures.py fetches the counts, adds the links
and renders templates/includes/pictures/. Every size is bounded (the number of bars, of
matrix rows and columns, of dots, the outlines drawn), so a picture costs the same at a
thousand visits as at a million.
"""

import functools
import heapq
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import numberformat
from django.utils.formats import get_format, number_format

# --- Numbers ---------------------------------------------------------------------------


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (>= 1)."""
    value = max(value, 1)
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def rounded_estimate(count):
    """An estimate to two significant figures: 12,345 is shown as about 12,000."""
    if count < 100:
        return count
    power = 10 ** (len(str(count)) - 2)
    return round(count / power) * power


def count_shower(exact, rounding=rounded_estimate):
    """A function writing a count as a page shows it: grouped digits, and "about" before an
    estimate. Made once for the many counts of one picture (a matrix shows a hundred) or
    facet: the active language's number format and its words for an estimate are looked up
    once, as number_format() would look them up for each count. `rounding` rounds an
    estimate (None: it is rounded already, as the facets' are)."""
    from django.utils.translation import get_language, gettext

    language = get_language()
    formatted = functools.partial(
        numberformat.format,
        decimal_sep=get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
        grouping=get_format("NUMBER_GROUPING", language, use_l10n=True),
        thousand_sep=get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
        force_grouping=True,
        use_l10n=True,
    )
    # A picture's counts repeat (a matrix's cells and its table show the same pairs, many
    # small counts are equal): each number is written once.
    written = {}

    def grouped(count):
        if count not in written:
            written[count] = formatted(count)
        return written[count]

    if exact:
        return grouped
    about = gettext("about %(count)s")
    rounding = rounding or int
    return lambda count: about % {"count": grouped(rounding(count))}


# --- The timeline ----------------------------------------------------------------------

TIMELINE_WIDTH = 640
TIMELINE_HEIGHT = 200
TIMELINE_MARGIN = {"top": 18, "right": 8, "bottom": 26, "left": 44}
# At most this many years are drawn (the most recent ones); the table lists every year.
TIMELINE_YEARS = 60
# A bar is at most this wide, however few there are.
TIMELINE_BAR_MAX = 56
# Labels under the bars: at most this many, evenly spaced.
TIMELINE_LABELS = 12


@dataclass
class Bar:
    key: str  # "2023", or "2023-05" for a month
    label: str
    count: int
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    middle: float = 0  # x of the bar's middle, for its labels
    slot_left: float = 0  # the column the bar stands in, all of which is its link
    slot_width: float = 0
    show_label: bool = True
    url: str = ""
    shown: str = ""


@dataclass
class Timeline:
    bars: list
    ticks: list  # (value shown, y)
    exact: bool
    by_month: bool
    drawn_from: int  # index in `rows` of the first bar drawn
    rows: list  # every bar, for the table, oldest first
    width: int = TIMELINE_WIDTH
    height: int = TIMELINE_HEIGHT
    plot_left: float = TIMELINE_MARGIN["left"]
    plot_right: float = TIMELINE_WIDTH - TIMELINE_MARGIN["right"]
    baseline: float = TIMELINE_HEIGHT - TIMELINE_MARGIN["bottom"]
    show_counts: bool = True

    @property
    def plot_top(self):
        return TIMELINE_MARGIN["top"]

    @property
    def label_y(self):
        return self.baseline + 17

    @property
    def hit_height(self):
        return self.label_y + 4 - self.plot_top


def year_keys(counts):
    """Every year from the first counted to the last, gaps included: a year with no visit
    is a bar of height 0, so the axis stays true to time."""
    years = sorted(int(key) for key in counts if key.isdigit())
    if not years:
        return []
    return [str(year) for year in range(years[0], years[-1] + 1)]


def month_keys(year):
    return [f"{year}-{month:02d}" for month in range(1, 13)]


def timeline(counts, exact=True, year=None, month_label=None):
    """The bars of visits per year (`counts` keyed "2023"), or per month of `year` (keyed
    "2023-05"), with their geometry. `month_label(month)` names a month under its bar."""
    by_month = year is not None
    keys = month_keys(year) if by_month else year_keys(counts)
    rows = []
    for key in keys:
        label = month_label(int(key[5:])) if by_month and month_label else key
        rows.append(Bar(key=key, label=label, count=int(counts.get(key, 0))))
    drawn_from = max(len(rows) - TIMELINE_YEARS, 0)
    bars = rows[drawn_from:]
    top = nice_ceiling(max((bar.count for bar in bars), default=1))
    shape = Timeline(
        bars=bars, ticks=[], exact=exact, by_month=by_month, drawn_from=drawn_from, rows=rows
    )
    plot_top = TIMELINE_MARGIN["top"]
    plot_height = shape.baseline - plot_top
    slot = (shape.plot_right - shape.plot_left) / max(len(bars), 1)
    every = math.ceil(len(bars) / TIMELINE_LABELS) if bars else 1
    for index, bar in enumerate(bars):
        bar.height = round(bar.count / top * plot_height, 2)
        bar.width = round(min(slot * 0.8, TIMELINE_BAR_MAX), 2)
        bar.x = round(shape.plot_left + index * slot + (slot - bar.width) / 2, 2)
        bar.y = round(shape.baseline - bar.height, 2)
        bar.middle = round(bar.x + bar.width / 2, 2)
        bar.slot_left = round(shape.plot_left + index * slot, 2)
        bar.slot_width = round(slot, 2)
        bar.show_label = index % every == 0
    shape.ticks = [
        (
            number_format(int(value), force_grouping=True),
            round(shape.baseline - value / top * plot_height, 2),
        )
        for value in (0, top / 2, top)
        if value == int(value)
    ]
    shape.show_counts = len(bars) <= 24
    return shape


# --- Who visits whom -------------------------------------------------------------------

# The matrix draws the countries that send and host the most visits; the table lists every
# pair up to MATRIX_TABLE_ROWS (the most visits first).
MATRIX_TOP = 8
MATRIX_TABLE_ROWS = 40
MATRIX_CELL = 40
MATRIX_ROW_LABELS = 150
MATRIX_COLUMN_LABELS = 120
MATRIX_LABEL_LENGTH = 20
# About the width of a letter of the labels (12 px), to leave them room.
LETTER_WIDTH = 6.5
SHADES = 5


@dataclass
class Cell:
    sender: str
    host: str
    count: int
    x: float = 0
    y: float = 0
    shade: int = 0  # 1 (fewest) to SHADES (most); 0 for none
    url: str = ""
    shown: str = ""
    sender_name: str = ""
    host_name: str = ""


@dataclass
class Matrix:
    senders: list  # [(code, name, y)]
    hosts: list  # [(code, name, x)]
    cells: list
    pairs: list  # every pair, most visits first: Cell without geometry
    exact: bool
    width: int = 0
    height: int = 0
    cell: int = MATRIX_CELL
    left: int = MATRIX_ROW_LABELS
    top: int = MATRIX_COLUMN_LABELS
    more_pairs: int = 0

    @property
    def half(self):
        return self.cell / 2

    @property
    def inner(self):
        return self.cell - 2


def shade(count, most):
    """The shade class of a count, 1 to SHADES, by its share of the largest."""
    if count <= 0 or most <= 0:
        return 0
    return max(1, math.ceil(SHADES * count / most))


def short(name, length=MATRIX_LABEL_LENGTH):
    name = str(name)
    return name if len(name) <= length else name[: length - 1].rstrip() + "…"


def ranked(totals, limit):
    """The `limit` codes with the largest totals, ties by code."""
    order = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [code for code, _ in order[:limit]]


def split_direction(key):
    sender, _, host = key.partition(">")
    return sender, host


@dataclass(frozen=True)
class Directions:
    """Counts keyed "RU>AZ" read as pairs, apart from any language: what a matrix of them
    needs whatever the page. Worked out once per set of counts (facets.Counts.derived), so
    the whole archive's thousands of pairs are read once per registry version, not on every
    list page."""

    by_pair: dict  # (sender, host) -> count
    listed: list  # the MATRIX_TABLE_ROWS largest (count, sender, host), largest first
    more_pairs: int  # the pairs the table leaves out
    rows: list  # the MATRIX_TOP sending countries with the most visits
    columns: list  # the MATRIX_TOP host countries with the most visits


def directions(counts):
    """Directions of `counts`, {"RU>AZ": count}."""
    found = []  # (count, sender, host): tuples, since a large archive has thousands of pairs
    senders, hosts = {}, {}
    for key, count in counts.items():
        sender, host = split_direction(key)
        if not sender or not host or count <= 0:
            continue
        found.append((int(count), sender, host))
        senders[sender] = senders.get(sender, 0) + count
        hosts[host] = hosts.get(host, 0) + count
    # Only the pairs the table lists are put in order: thousands of pairs at a large archive.
    listed = heapq.nsmallest(
        MATRIX_TABLE_ROWS, found, key=lambda pair: (-pair[0], pair[1], pair[2])
    )
    return Directions(
        by_pair={(sender, host): count for count, sender, host in found},
        listed=listed,
        more_pairs=max(len(found) - MATRIX_TABLE_ROWS, 0),
        rows=ranked(senders, MATRIX_TOP),
        columns=ranked(hosts, MATRIX_TOP),
    )


def matrix(read, exact=True, name=str):
    """Rows of the sending countries, columns of the host countries, from `read`, the
    Directions of the counts; `name(code)` names a country."""
    by_pair = read.by_pair
    pairs = [
        Cell(
            sender=sender,
            host=host,
            count=count,
            sender_name=str(name(sender)),
            host_name=str(name(host)),
        )
        for count, sender, host in read.listed
    ]
    rows, columns = read.rows, read.columns
    shape = Matrix(senders=[], hosts=[], cells=[], pairs=pairs, exact=exact)
    # The column labels slant up at 45°: room above the cells for the longest of them.
    longest = max((len(short(name(code))) for code in columns), default=0)
    shape.top = min(round(16 + LETTER_WIDTH * longest * 0.71), MATRIX_COLUMN_LABELS)
    shape.more_pairs = read.more_pairs
    shape.senders = [
        (code, short(name(code)), shape.top + index * MATRIX_CELL)
        for index, code in enumerate(rows)
    ]
    shape.hosts = [
        (code, short(name(code)), shape.left + index * MATRIX_CELL)
        for index, code in enumerate(columns)
    ]
    drawn = [by_pair.get((s, h), 0) for s in rows for h in columns]
    most = max(drawn, default=0)
    for sender, _, y in shape.senders:
        for host, _, x in shape.hosts:
            count = by_pair.get((sender, host), 0)
            shape.cells.append(
                Cell(
                    sender=sender,
                    host=host,
                    count=count,
                    x=x,
                    y=y,
                    shade=shade(count, most),
                    sender_name=str(name(sender)),
                    host_name=str(name(host)),
                )
            )
    shape.width = shape.left + MATRIX_CELL * max(len(columns), 1) + 8 + shape.top
    shape.height = shape.top + MATRIX_CELL * max(len(rows), 1) + 8
    return shape


# --- The map ---------------------------------------------------------------------------

WORLD_ATLAS = Path(settings.BASE_DIR) / "node_modules" / "world-atlas" / "countries-110m.json"
# The world is projected to this many units across (Equal Earth); the SVG's viewBox is a
# window on it, so a map of a few neighbouring countries is the same outlines enlarged.
WORLD_WIDTH = 1000
# Antarctica (ISO 3166-1 numeric 010) holds no visit and would take a fifth of the height.
LEFT_OUT = {"010"}
# The map's window is at least this wide (world units), twice as wide as it is high.
MAP_MIN_WIDTH = 160
MAP_ASPECT = 2
# A dot's radius, as a share of the window's width: the largest count gets DOT_MAX.
DOT_MAX = 0.035
DOT_MIN = 0.006
MAP_DOTS = 300

# Equal Earth (Šavrič, Patterson and Jenny, 2018): an equal-area projection for world maps.
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2
# x of longitude 180 on the equator, in the projection's own units.
_X_EDGE = math.pi / (_M * _A1)
_SCALE = WORLD_WIDTH / (2 * _X_EDGE)


def equal_earth(longitude, latitude):
    """Longitude and latitude (degrees) to the projection's (x, y), y down, in world units
    (0 to WORLD_WIDTH across; y is 0 on the equator)."""
    lam, phi = math.radians(longitude), math.radians(latitude)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return (x + _X_EDGE) * _SCALE, -y * _SCALE


@dataclass
class Outline:
    """One country's outline, projected: an SVG path and its bounding box."""

    code: str  # ISO 3166-1 alpha-2, "" where Natural Earth gives no ISO code
    name: str
    path: str  # to one decimal, for a window on part of the world
    coarse_path: str  # to whole units, for a window on most of it
    box: tuple  # (left, top, right, bottom)
    anchor: tuple  # the centre of its largest ring's box, where its visits are


@dataclass
class World:
    outlines: list
    by_code: dict
    box: tuple  # every outline's bounding box


def _decode_arcs(topology):
    """TopoJSON's quantised, delta-encoded arcs as lists of (longitude, latitude)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs, indexes):
    points = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their meeting point.
        points.extend(arc[1:] if points else arc)
    return points


def _path(rings, digits):
    """Projected rings as one compact SVG path: relative moves, `digits` decimals."""
    parts = []
    for ring in rings:
        previous = None
        commands = []
        for x, y in ring:
            x, y = round(x, digits), round(y, digits)
            if previous is None:
                commands.append(f"M{x:g} {y:g}")
            elif (x, y) != previous:
                dx, dy = round(x - previous[0], digits), round(y - previous[1], digits)
                commands.append(f"l{dx:g} {dy:g}")
            else:
                continue
            previous = (x, y)
        if len(commands) > 2:
            parts.append("".join(commands) + "z")
    return "".join(parts)


def _box(points):
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _union(boxes):
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@functools.cache
def world():
    """Natural Earth's country outlines, read and projected once per process."""
    from django_countries import countries

    try:
        topology = json.loads(WORLD_ATLAS.read_text())
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{WORLD_ATLAS} is missing: `make install` installs it (npm ci)."
        ) from None
    arcs = _decode_arcs(topology)
    outlines = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        if numeric in LEFT_OUT or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [
            [equal_earth(lon, lat) for lon, lat in _ring(arcs, ring)]
            for polygon in polygons
            for ring in polygon
        ]
        rings = [ring for ring in rings if len(ring) > 2]
        if not rings:
            continue
        largest = max(rings, key=lambda ring: _area(_box(ring)))
        left, top, right, bottom = _box(largest)
        outlines.append(
            Outline(
                code=(countries.alpha2(numeric) or "") if numeric else "",
                name=geometry.get("properties", {}).get("name", ""),
                path=_path(rings, 1),
                coarse_path=_path(rings, 0),
                box=_union(_box(ring) for ring in rings),
                anchor=((left + right) / 2, (top + bottom) / 2),
            )
        )
    by_code = {outline.code: outline for outline in outlines if outline.code}
    return World(outlines=outlines, by_code=by_code, box=_union(o.box for o in outlines))


def _area(box):
    return (box[2] - box[0]) * (box[3] - box[1])


@dataclass
class Dot:
    key: str
    name: str
    count: int
    x: float
    y: float
    r: float = 0
    url: str = ""
    shown: str = ""
    lang: str = ""
    country: str = ""
    record: object = None


@dataclass
class Land:
    code: str
    path: str
    shade: int = 0  # 0: no visit took place in the country


@dataclass
class Map:
    view: tuple  # the SVG's viewBox: (left, top, width, height)
    land: list
    dots: list  # largest first, so smaller ones are drawn over them
    countries: list  # [(code, count)] of the shaded countries, most visits first
    exact: bool
    more_dots: int = 0
    stroke: float = 0.5

    @property
    def view_box(self):
        return " ".join(f"{value:g}" for value in self.view)


def _window(points, world_box):
    """A viewBox around `points`, padded, MAP_ASPECT times as wide as high, at least
    MAP_MIN_WIDTH wide, inside the world where it fits."""
    w_left, w_top, w_right, w_bottom = world_box
    if not points:
        return (w_left, w_top, w_right - w_left, w_bottom - w_top)
    left, top, right, bottom = _box(points)
    width = max((right - left) * 1.3, MAP_MIN_WIDTH)
    height = max((bottom - top) * 1.3, width / MAP_ASPECT)
    width = max(width, height * MAP_ASPECT)
    world_width, world_height = w_right - w_left, w_bottom - w_top
    if width >= world_width or height >= world_height:
        return (w_left, w_top, world_width, world_height)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    x = min(max(centre_x - width / 2, w_left), w_right - width)
    y = min(max(centre_y - height / 2, w_top), w_bottom - height)
    return (round(x, 1), round(y, 1), round(width, 1), round(height, 1))


def _overlaps(box, view):
    left, top, width, height = view
    return box[0] <= left + width and box[2] >= left and box[1] <= top + height and box[3] >= top


def visit_map(dots, country_counts, exact=True):
    """Dots (their `x`, `y` not yet set: give their longitude and latitude as x and y) and
    the number of visits in each country, as a map fitted to where visits took place."""
    shape_of_world = world()
    dots = sorted(dots, key=lambda dot: (-dot.count, dot.name))
    more = max(len(dots) - MAP_DOTS, 0)
    dots = dots[:MAP_DOTS]
    for dot in dots:
        dot.x, dot.y = equal_earth(dot.x, dot.y)
    shaded = sorted(
        ((code, count) for code, count in country_counts.items() if count > 0),
        key=lambda item: (-item[1], item[0]),
    )
    # The window holds every dot, and the countries with visits but no dot (a visit known
    # only to have been in Azerbaijan): a country's dots say where in it visits were.
    points = [(dot.x, dot.y) for dot in dots]
    with_dots = {dot.country for dot in dots}
    points += [
        shape_of_world.by_code[code].anchor
        for code, _ in shaded
        if code in shape_of_world.by_code and code not in with_dots
    ]
    view = _window(points, shape_of_world.box)
    most_in_country = max((count for _, count in shaded), default=0)
    shades = {code: shade(count, most_in_country) for code, count in shaded}
    fine = view[2] <= WORLD_WIDTH / 2
    land = [
        Land(
            code=outline.code,
            path=outline.path if fine else outline.coarse_path,
            shade=shades.get(outline.code, 0),
        )
        for outline in shape_of_world.outlines
        if _overlaps(outline.box, view)
    ]
    most = max((dot.count for dot in dots), default=0)
    width = view[2]
    for dot in dots:
        radius = DOT_MAX * width * math.sqrt(dot.count / most) if most else 0
        dot.r = round(max(radius, DOT_MIN * width), 2)
        dot.x, dot.y = round(dot.x, 2), round(dot.y, 2)
    return Map(
        view=view,
        land=land,
        dots=dots,
        countries=shaded,
        exact=exact,
        more_dots=more,
        stroke=round(width / 700, 3),
    )


@dataclass
class LocatedPlace:
    """What the map needs of a place: its key in the counts, its coordinates, its parents'
    keys (nearest first)."""

    key: str
    latitude: float | None
    longitude: float | None
    ancestors: list = field(default_factory=list)


def outermost_located(places):
    """The keys of the places with coordinates that are inside no other place with
    coordinates among `places`: a visit in a Baku building is in Baku too (the counts
    count each place with every place holding it), so only Baku gets a dot."""
    located = {place.key for place in places if place.latitude is not None}
    return [
        place.key
        for place in places
        if place.key in located and not any(key in located for key in place.ancestors)
    ]
