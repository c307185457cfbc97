"""The sitemaps: every public page a search engine should know, and nothing of a draft, at
any size of archive.

/sitemap.xml is a sitemap index (https://www.sitemaps.org/protocol.html#index) naming the
sections, each a sitemap of its own:

- /sitemap-pages.xml: the home page and the lists;
- /sitemap-countries.xml: the page of each country a published visit involves;
- /sitemap-<kind>.xml?p=N for events, programs, organizations, people, places, topics and
  occasions: the public records of that kind whose id is at least (N-1)·SECTION_SIZE and
  below N·SECTION_SIZE.

A section of records is one range read of the primary key, so it costs the same in any
archive; the index lists only the sections that hold a public record, each with its latest
change. For the visits, which grow into millions, it finds them by walking the index
`delegation_sitemap_section` (models.py) from section to section; for the other records,
which stay in the thousands, by grouping them. What it finds is kept in the process until
the registry's version changes (all_sections).

Each page is listed once per language (English unprefixed, /az/…, /ru/…), with the other
languages' addresses as hreflang alternates and the English one as x-default; so a section
of SECTION_SIZE records holds at most three times as many addresses, well under the
protocol's 50,000. Every address has its `lastmod`: a record's page its `updated_at`; the
fixed pages and the country pages, which list visits and programmes, the latest change of a
published visit or programme.
"""

import datetime as dt
import re
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import connections
from django.db.models import F, Max
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django_countries import countries

from . import facets, registry_version
from .models import (
    CooperationProgram,
    Delegation,
    Occasion,
    Organization,
    Person,
    Place,
    Status,
    Topic,
)

# Ids per section of records. The visits' index (models.py, delegation_sitemap_section)
# divides by the same number: change both, with a migration.
SECTION_SIZE = 2000

# What the protocol allows in one sitemap file.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024

# The public records of each kind, and the name of their page's address.
RECORDS = {
    "events": (lambda: Delegation.objects.published(), "cooperation:event-detail"),
    "programs": (lambda: CooperationProgram.objects.published(), "cooperation:program-detail"),
    "organizations": (lambda: Organization.objects.public(), "cooperation:organization-detail"),
    "people": (lambda: Person.objects.public(), "cooperation:person-detail"),
    "places": (lambda: Place.objects.public(), "cooperation:place-detail"),
    "topics": (lambda: Topic.objects.public(), "cooperation:topic-detail"),
    "occasions": (lambda: Occasion.objects.public(), "cooperation:occasion-detail"),
}
FIXED_PAGES = (
    "cooperation:home",
    "cooperation:event-list",
    "cooperation:program-list",
    "cooperation:country-list",
)
# A page number as the index writes it: digits, no sign, no leading zero; at most twelve
# of them, so that no section's first id can pass the database's largest integer.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,11}")


def languages():
    return [code for code, _ in settings.LANGUAGES]


# --- Which sections there are -------------------------------------------------------------


def visit_sections():
    """[(page number, latest change)] of each section that holds a published visit.

    One statement: from the first section, each step asks the index for the next section
    with a published visit, and the latest change of each is the last entry of its part of
    the index. Written in SQL because the ORM has no recursive query; the section and the
    condition are written exactly as the index declares them, so that the database uses it.
    """
    connection = connections[Delegation.objects.db]
    name = connection.ops.quote_name
    table, id_, updated_at, status = (
        name(Delegation._meta.db_table),
        name("id"),
        name("updated_at"),
        name("status"),
    )
    section = f"({id_} / {int(SECTION_SIZE)})"
    published = f"{status} = '{Status.PUBLISHED.value}'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE sections(n) AS (
                SELECT MIN({section}) FROM {table} WHERE {published}
                UNION ALL
                SELECT (
                    SELECT MIN({section}) FROM {table}
                    WHERE {published} AND {section} > sections.n
                )
                FROM sections WHERE sections.n IS NOT NULL
            )
            SELECT n, (
                SELECT MAX({updated_at}) FROM {table}
                WHERE {published} AND {section} = sections.n
            )
            FROM sections WHERE n IS NOT NULL ORDER BY n
            """
        )
        return [(n + 1, as_datetime(latest)) for n, latest in cursor.fetchall()]


def as_datetime(value):
    """A timestamp read by raw SQL: an aware datetime from PostgreSQL, text from SQLite (in
    UTC, as Django stores it there)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def record_sections(kind):
    """[(page number, latest change)] of each section holding a public record of `kind`."""
    if kind == "events":
        return visit_sections()
    public, _ = RECORDS[kind]
    rows = (
        public()
        .annotate(section=F("pk") / SECTION_SIZE)
        .values("section")
        .annotate(latest=Max("updated_at"))
        .order_by("section")
        .values_list("section", "latest")
    )
    return [(section + 1, latest) for section, latest in rows]


# Every kind's sections, worked out once per version of the registry
# (cooperation/registry_version.py): they change only when a record does, and crawlers read
# the index again and again. Worked out, they take seven queries and 50-60 ms at a million
# visits.
_sections = registry_version.KeptPerVersion()


def all_sections():
    """{kind: record_sections(kind)} for every kind of record."""
    return _sections.get(
        None,
        lambda: {kind: record_sections(kind) for kind in RECORDS},
        using=Delegation.objects.db,
    )


def latest_of(*sections):
    """The latest change among lists of sections: that of the pages listing those records."""
    return max((latest for each in sections for _, latest in each), default=None)


def latest_change(by_kind=None):
    """The latest change of a published visit or programme."""
    by_kind = by_kind or all_sections()
    return latest_of(by_kind["events"], by_kind["programs"])


def country_codes():
    """The countries a published visit involves, which have a page (cooperation/countries.py)."""
    counted = facets.count(facets.everything(), "country").values
    return sorted(code for code, count in counted.items() if count > 0 and code in countries)


# --- Writing them -------------------------------------------------------------------------


def w3c_datetime(value):
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Addresses:
    """The address of a page of `url_name` in every language, for any slug or code: one
    reverse() per language for a whole section, not one per address."""

    MARK = "sitemap-mark"

    def __init__(self, url_name, base):
        self.base = base
        self.parts = {}
        for code in languages():
            with translation.override(code):
                self.parts[code] = reverse(url_name, args=[self.MARK]).split(self.MARK)

    def __call__(self, value):
        value = quote(str(value), safe="")
        return {
            code: f"{self.base}{before}{value}{after}"
            for code, (before, after) in self.parts.items()
        }


def fixed_addresses(url_name, base):
    addresses = {}
    for code in languages():
        with translation.override(code):
            addresses[code] = f"{base}{reverse(url_name)}"
    return addresses


def attribute(address):
    return escape(address, {'"': "&quot;"})


def url_entries(pages):
    """<url> elements for `pages`, (address per language, lastmod) pairs: one per language,
    each naming every language's address and the default one."""
    default = settings.LANGUAGE_CODE
    for addresses, lastmod in pages:
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{code}" href="{attribute(address)}"/>'
            for code, address in addresses.items()
        )
        links += (
            f'<xhtml:link rel="alternate" hreflang="x-default" '
            f'href="{attribute(addresses[default])}"/>'
        )
        modified = f"<lastmod>{w3c_datetime(lastmod)}</lastmod>" if lastmod else ""
        for address in addresses.values():
            yield f"<url><loc>{escape(address)}</loc>{modified}{links}</url>\n"


URLSET = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">'
)
SITEMAPINDEX = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def xml_response(opening, closing, entries):
    body = "".join(['<?xml version="1.0" encoding="UTF-8"?>\n', opening, "\n", *entries, closing])
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    # For crawlers to read, not pages to show among their results.
    response["X-Robots-Tag"] = "noindex, noarchive"
    return response


def site(request):
    """The scheme and host every address starts with."""
    return f"{request.scheme}://{request.get_host()}"


def section_address(base, kind):
    return f"{base}{reverse('sitemap-section', args=[kind])}"


# --- The views ----------------------------------------------------------------------------


# The index's entries, written once per version of the registry and site address: at a
# million visits they are 500 sections' lines, whose writing was most of the index's time
# (2.5 ms, against 0.8 ms for a thousand visits). At most MAX_SITES addresses are kept, so
# that requests naming many hosts (where ALLOWED_HOSTS lets them) cannot fill the memory.
_index_entries = registry_version.KeptPerVersion()
MAX_SITES = 8


def index(request):
    """/sitemap.xml: the sections, each with its latest change."""
    base = site(request)
    entries = _index_entries.get(
        base, lambda: index_entries(base), using=Delegation.objects.db, limit=MAX_SITES
    )
    return xml_response(SITEMAPINDEX, "</sitemapindex>\n", entries)


def index_entries(base):
    """The index's <sitemap> lines for the site at `base`."""
    by_kind = all_sections()
    latest = latest_change(by_kind)
    sections = [(section_address(base, "pages"), latest)]
    if country_codes():
        sections.append((section_address(base, "countries"), latest))
    for kind, numbered in by_kind.items():
        # The kind's address found once, not once for each of its sections (a million
        # visits have 500).
        address = section_address(base, kind)
        sections += [(f"{address}?p={n}", modified) for n, modified in numbered]
    entries = []
    for address, modified in sections:
        lastmod = f"<lastmod>{w3c_datetime(modified)}</lastmod>" if modified else ""
        entries.append(f"<sitemap><loc>{escape(address)}</loc>{lastmod}</sitemap>\n")
    return entries


def section(request, kind):
    """/sitemap-<kind>.xml?p=N: one section; 404 for any other kind, a page number written
    otherwise than the index writes it, or a section with no public page."""
    number = request.GET.get("p", "1")
    if not PAGE_NUMBER.fullmatch(number):
        raise Http404("No such section of the sitemap.")
    number = int(number)
    base = site(request)
    if kind in ("pages", "countries") and number == 1:
        latest = latest_change()
        if kind == "pages":
            pages = [(fixed_addresses(name, base), latest) for name in FIXED_PAGES]
        else:
            address = Addresses("cooperation:country-detail", base)
            pages = [(address(code.lower()), latest) for code in country_codes()]
    elif kind in RECORDS:
        public, url_name = RECORDS[kind]
        first = (number - 1) * SECTION_SIZE
        rows = (
            public()
            .filter(pk__gte=first, pk__lt=first + SECTION_SIZE)
            .order_by("pk")
            .values_list("slug", "updated_at")
        )
        address = Addresses(url_name, base)
        pages = [(address(slug), updated_at) for slug, updated_at in rows]
    else:
        pages = []
    if not pages:
        raise Http404("No such section of the sitemap.")
    return xml_response(URLSET, "</urlset>\n", url_entries(pages))
