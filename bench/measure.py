"""Measure server time and query count of each page against one database.

Started by bench/run.py, one process per database (settings are read once per process),
all of them at the beginning of a run, in serve mode:
    DATABASE_URL=... python bench/measure.py serve

The process reads one JSON request per line on stdin and writes one JSON answer per line
on stdout, and measures only when asked, so that bench/run.py can interleave the sizes:
it asks every worker to measure a page, smallest database first, before it moves on to
the next page, and drift in the machine's load weighs on every size alike. The answers
have stdout to themselves: they are written to a copy of it, and file descriptor 1, where
Django's log writes (sys.stdout), is pointed at stderr before Django starts. The requests:
- {"op": "plan"}: picks the records to open (pick_entities) and answers
  {"entities": {...}, "rows": [[name, url, client], ...]}, client "public" or "admin";
- {"op": "page", "name": NAME}: measures that row of the plan;
- {"op": "floor"}: measures the static floor (below);
- {"op": "full_export"}: one full CSV export (full_export_memory), at the end and only
  in the worker started with BENCH_FULL_EXPORT=1, the largest size's.
The process ends at the end of its stdin. Any error ends it, with its traceback on stderr.

Pages are requested in-process through Django's test client, so the figure is the time
the server spends on a request (routing, queries, rendering), without network or
client overhead. The page cache is off (CACHE_URL=dummy://): the figures are for a page
rendered from the database, the cost a cache miss or a new filter pays.

The static floor is the same measurement of the site's stylesheet, under its hashed name
from collectstatic's manifest, served by whitenoise through the same test client: the
least any request costs on the machine at that moment. bench/run.py asks for it at the
start and again every few pages, so the report can give each page as a multiple of it and
show how far the machine drifted during the run.
"""

import datetime as dt
import json
import math
import os
import resource
import statistics
import sys
import time
from pathlib import Path


def answer_channel():
    """A stream of its own for the JSON answers, on a copy of the stdout that bench/run.py
    reads, while descriptor 1 goes to stderr: whatever else writes to stdout (Django's log,
    a stray print) lands in the worker's log instead of corrupting the answers."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    return answers


ANSWERS = answer_channel() if __name__ == "__main__" else None

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Started as the app server starts (config/wsgi.py): Django set up, the heap settled
# (config/heap.py), so that the figures include what a served page pays, and no more.
import config.wsgi  # noqa: E402, F401

# isort: split
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles.storage import staticfiles_storage  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cooperation import eventindex, pagination, sitemaps  # noqa: E402
from cooperation.models import (  # noqa: E402
    CooperationProgram,
    Delegation,
    DelegationMember,
    EventTerm,
    EventTermCount,
    Organization,
    Person,
    Place,
    Signing,
    Topic,
)

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
WARM_UP = 5
# A page far over budget (the admin's full-text search at a million rows) would hold the
# run for many minutes: past this many seconds a page stops at the requests made so far
# (at least MIN_REQUESTS), and the table shows how many that was.
PAGE_SECONDS = float(os.environ.get("BENCH_PAGE_SECONDS", "30"))
MIN_REQUESTS = 5
# The static floor: the site's stylesheet, as the pages link it (collectstatic has run).
FLOOR_FILE = "cooperation/site.css"


def consume(response, first_chunk_only=False):
    if not response.streaming:
        return len(response.content)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        if first_chunk_only and size > 64_000:
            break
    response.close()
    return size


def measure(client, url, first_chunk_only=False):
    began = time.perf_counter()
    for _ in range(WARM_UP):
        consume(client.get(url), first_chunk_only)
        if time.perf_counter() - began > PAGE_SECONDS:
            break
    times = []
    status = None
    began = time.perf_counter()
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        consume(response, first_chunk_only)
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
        if len(times) >= MIN_REQUESTS and time.perf_counter() - began > PAGE_SECONDS:
            break
    with CaptureQueriesContext(connection) as queries:
        consume(client.get(url), first_chunk_only)
    times.sort()
    return {
        "status": status,
        "queries": len(queries),
        "p50": statistics.median(times),
        "p95": times[max(math.ceil(len(times) * 0.95) - 1, 0)],
        "requests": len(times),
    }


def pick_entities():
    """Typical records to open: the busiest of each kind, found once, outside the timing."""
    published = Delegation.objects.published()
    event = published.order_by("-start_date", "-id").first()
    busiest_org = (
        published.values("host_organization__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["host_organization__slug"]
    )
    person = (
        DelegationMember.objects.filter(delegation__status="published")
        .values_list("person__slug", flat=True)
        .first()
    )
    topic = Topic.objects.filter(parent__isnull=False).order_by("id").first()
    place = Place.objects.filter(kind="city").order_by("id").first()
    # The busiest published programme, from the counts the event index keeps: the first by
    # id had no visits in the small archive, whose programme rows were then empty pages.
    programmes = CooperationProgram.objects.published()
    program = programmes.get(
        pk=busiest(programmes.values_list("pk", flat=True), eventindex.PREFIXES["program"])
    )
    country = Organization.objects.get(slug=busiest_org).country.code
    country_place = Place.objects.filter(kind="country", country=country).first()
    occasion = (
        published.exclude(occasion=None)
        .values("occasion__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["occasion__slug"]
    )
    memorandum = (
        Signing.objects.filter(delegation__status="published", instrument__status="published")
        .order_by("id")
        .values_list("instrument__slug", flat=True)
        .first()
    )
    common, rare = search_words()
    year = event.start_date.year - 3
    return {
        "event": event.slug,
        "organization": busiest_org,
        "person": person,
        "topic": topic.slug,
        "place": place.slug,
        "program": program.slug,
        "country": country,
        "country_place": country_place.slug,
        "occasion": occasion,
        "memorandum": memorandum,
        "organization_typed": Organization.objects.get(slug=busiest_org).name[:4],
        "person_typed": Person.objects.get(slug=person).name[:3],
        "common": common,
        "rare": rare,
        "year": year,
        # The month timeline's country: the one with the most published visits in that
        # year. The busiest office's country had a single visit there in the small archive
        # (Russia, 2023), so the row compared a one-visit page with a full one at 1M.
        "year_country": busiest_in_year(year),
        # A section of the sitemap from the middle of the visits' ids: a full one at 1M.
        "sitemap_section": (published.order_by("-pk").first().pk // 2) // sitemaps.SECTION_SIZE + 1,
        # The deepest page of the whole list that the site serves: page 1,000 at a million
        # visits, the last page of a smaller archive (page 1,000 would be a 404 there, and
        # the two sizes' figures would compare a deep page with an error page).
        "deep_page": min(
            pagination.MAX_PAGES, max(1, math.ceil(published.count() / settings.EVENTS_PER_PAGE))
        ),
    }


def busiest(ids, prefix):
    """Of the records `ids`, the one the most published visits concern through the event
    index's terms `prefix:<id>`, the first by id among equals."""
    counts = EventTermCount.objects.filter(term__startswith=f"{prefix}:").values_list(
        "term", "events"
    )
    counted = {int(term.split(":", 1)[1]): events for term, events in counts}
    return min(ids, key=lambda pk: (-counted.get(pk, 0), pk))


def busiest_in_year(year):
    """The country with the most published visits in `year`, by the event index's rows of
    countries (`c:<code>`), the first by code among equals."""
    rows = (
        EventTerm.objects.filter(
            term__startswith="c:",
            start_date__gte=dt.date(year, 1, 1),
            start_date__lte=dt.date(year, 12, 31),
        )
        .values("term")
        .annotate(n=Count("*"))
        .order_by("-n", "term")
    )
    return rows.first()["term"].split(":", 1)[1]


def search_words():
    words = os.environ.get("BENCH_WORDS", "")
    if words:
        common, rare = words.split(",")
        return common, rare
    return "cooperation", "extradition"


def pages(e):
    return [
        ("home", "/"),
        ("events", "/events/"),
        ("events q (common word)", f"/events/?q={e['common']}"),
        ("events q (rare word)", f"/events/?q={e['rare']}"),
        ("events program", f"/events/?program={e['program']}"),
        ("events organization", f"/events/?organization={e['organization']}"),
        ("events country", f"/events/?country={e['country']}"),
        ("events from_country", f"/events/?from_country={e['country']}"),
        ("events to_country", f"/events/?to_country={e['country']}"),
        ("events occasion", f"/events/?occasion={e['occasion']}"),
        ("events instrument", f"/events/?instrument={e['memorandum']}"),
        ("events place (country)", f"/events/?place={e['country_place']}"),
        ("events person", f"/events/?person={e['person']}"),
        ("events topic", f"/events/?topic={e['topic']}"),
        ("events place", f"/events/?place={e['place']}"),
        ("events visit_type", "/events/?visit_type=study"),
        ("events year", f"/events/?year={e['year']}"),
        ("events date_from", f"/events/?date_from={e['year']}-06-01"),
        ("events date_to", f"/events/?date_to={e['year']}-06-01"),
        ("events sort=title", "/events/?sort=title"),
        ("events sort=date", "/events/?sort=date"),
        ("events deep page (1,000 or the last)", f"/events/?page={e['deep_page']}"),
        # The autocomplete's suggestions: the first letters of a busy office's and of a
        # person's name (cooperation/suggest.py).
        ("suggest organization", f"/events/suggest/organization/?q={e['organization_typed']}"),
        ("suggest person", f"/events/suggest/person/?q={e['person_typed']}"),
        ("facet page person (all)", "/events/facets/person/"),
        (
            "facet page organization (country)",
            f"/events/facets/organization/?country={e['country']}",
        ),
        ("facet page year (programme)", f"/events/facets/year/?program={e['program']}"),
        ("event page", f"/events/{e['event']}/"),
        ("event calendar", f"/events/{e['event']}/calendar.ics"),
        ("programmes", "/programs/"),
        ("programme page", f"/programs/{e['program']}/"),
        ("organization page", f"/organizations/{e['organization']}/"),
        ("person page", f"/people/{e['person']}/"),
        ("topic page", f"/topics/{e['topic']}/"),
        ("place page", f"/places/{e['place']}/"),
        ("place page (country)", f"/places/{e['country_place']}/"),
        ("occasion page", f"/occasions/{e['occasion']}/"),
        ("instrument page (memorandum)", f"/programs/{e['memorandum']}/"),
        # The pictures (cooperation/pictures.py): the timeline, the matrix and the map are on
        # every list page above; with a year chosen the timeline counts months. The country
        # pages hold all three.
        (
            "events year (timeline by month)",
            f"/events/?country={e['year_country']}&year={e['year']}",
        ),
        ("countries", "/countries/"),
        ("country page", f"/countries/{e['country'].lower()}/"),
        ("feed", "/feeds/events.atom"),
        # The sitemap index (every section with its latest change) and one section of
        # visits, whole (cooperation/sitemaps.py).
        ("sitemap index", "/sitemap.xml"),
        ("sitemap section (visits)", f"/sitemap-events.xml?p={e['sitemap_section']}"),
        # The first 64 kB of the whole archive's export, the same amount at every size: a
        # year's export at a thousand visits is 23 kB (37 visits), so these rows once
        # compared a whole small export with a third as much again at 1M.
        ("export csv (first 64 kB)", "/events/export.csv"),
        ("export json (first 64 kB)", "/events/export.json"),
    ]


def admin_pages(e):
    program = CooperationProgram.objects.get(slug=e["program"])
    return [
        ("admin changelist", "/admin/cooperation/delegation/"),
        ("admin search (common word)", f"/admin/cooperation/delegation/?q={e['common']}"),
        ("admin search (rare word)", f"/admin/cooperation/delegation/?q={e['rare']}"),
        ("admin filter status", "/admin/cooperation/delegation/?status__exact=draft"),
        ("admin filter visit type", "/admin/cooperation/delegation/?visit_type__exact=study"),
        (
            "admin filter programme",
            f"/admin/cooperation/delegation/?program__id__exact={program.pk}",
        ),
        ("admin filter country", f"/admin/cooperation/delegation/?country={e['country']}"),
        ("admin filter year", f"/admin/cooperation/delegation/?year={e['year']}"),
        ("admin date hierarchy", f"/admin/cooperation/delegation/?start_date__year={e['year']}"),
    ]


def full_export_memory(client):
    """One full CSV export of every published visit: its time, and how far the process's
    peak resident memory rose while it streamed (0 when it never passed the earlier peak
    of the page measurements)."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    size = consume(client.get("/events/export.csv"))
    seconds = time.perf_counter() - start
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "bytes": size,
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_after / 1024, 1),
        "peak_rss_growth_mib": round((peak_after - peak_before) / 1024, 1),
    }


class Worker:
    """One database's measurements, made when bench/run.py asks for them."""

    def __init__(self):
        self.clients = {"public": Client()}
        self.rows = {}

    def plan(self):
        entities = pick_entities()
        user_model = get_user_model()
        admin_user = user_model.objects.filter(username="bench-admin").first()
        if admin_user is None:
            admin_user = user_model.objects.create_superuser("bench-admin", None, None)
        staff = Client()
        staff.force_login(admin_user)
        self.clients["admin"] = staff
        rows = [(name, url, "public") for name, url in pages(entities)]
        rows += [(name, url, "admin") for name, url in admin_pages(entities)]
        self.rows = {name: (url, client) for name, url, client in rows}
        return {"entities": entities, "rows": rows}

    def page(self, name):
        url, client = self.rows[name]
        first_chunk = name.startswith("export")
        return {"url": url, **measure(self.clients[client], url, first_chunk)}

    def floor(self):
        url = staticfiles_storage.url(FLOOR_FILE)
        result = measure(self.clients["public"], url)
        if result["status"] != 200:
            raise RuntimeError(f"the static floor {url} answered {result['status']}")
        return {"url": url, **result}

    def full_export(self):
        if os.environ.get("BENCH_FULL_EXPORT") != "1":
            raise RuntimeError("the full export is made by the largest size's worker alone")
        return full_export_memory(self.clients["public"])

    def handle(self, request):
        op = request["op"]
        if op == "plan":
            return self.plan()
        if op == "page":
            return self.page(request["name"])
        if op == "floor":
            return self.floor()
        if op == "full_export":
            return self.full_export()
        raise ValueError(f"unknown request {request!r}")


def serve(answers):
    worker = Worker()
    for line in sys.stdin:
        if line.strip():
            answers.write(json.dumps(worker.handle(json.loads(line))) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["serve"]:
        sys.exit("usage: python bench/measure.py serve  (started by bench/run.py)")
    serve(ANSWERS)
