"""The staff side of the load test under edits (bench/run.py, edit_load).

A publisher's work, done through the ORM and the admin's own workflow actions while
gunicorn serves the public pages under load. Three steps, each a process of its own
(settings are read once), against a copy of a benchmark database:

    python bench/editor.py plan PLAN.json            what to request and what to edit
    python bench/editor.py edit PLAN.json LOG.json   edits until told to stop (see below)
    python bench/editor.py verify PLAN.json LOG.json OUTPUT.json

`edit` prints "ready" once Django is set up, then reads one line from stdin: the Unix
time at which to stop. It writes every edit to LOG.json as it was made (record, the
unique marker it carries, the status it must have) and, right after each one, asks
BENCH_BASE_URL for the public page as an anonymous visitor: a page cached before the edit
must not be served after it. `verify` then checks every edit against the database and,
over HTTP, against the public pages and the search.

BENCH_APP_URLS (space-separated; bench/cluster.py sets it) names the app servers behind
BENCH_BASE_URL when that is a proxy: each is then also asked directly, before each edit
(its cached page, its validators) and right after it (the page, the search, the
revalidation), so that every server, not only the one the proxy picked, must show the new
state. A server that refuses the connection is down (killed on purpose): that edit records
it as "down", and it is not asked again. Without BENCH_APP_URLS (bench/run.py, one
gunicorn) only BENCH_BASE_URL is asked.

Edits, in turn: a published visit gets a new title; a draft or a visit in review gets a
new title, is submitted for review and published; a published programme gets a new
title (its visits' search text names it); a published visit gets a new title and is
returned to draft; a new visit is added with a source, submitted and published. Each
edit goes through the write path the admin uses (cooperation/records/): one change in one
transaction with the history, the derived data of the visits concerned and the public
version kept in step; the workflow's steps through PublishableAdmin's actions.
"""

import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.messages.storage.cookie import CookieStorage  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402
from measure import pick_entities  # noqa: E402
from simple_history.models import HistoricalRecords  # noqa: E402

from cooperation import records  # noqa: E402
from cooperation.models import (  # noqa: E402
    CooperationProgram,
    Delegation,
    DelegationCitation,
    EventTerm,
    Status,
)

BASE = os.environ.get("BENCH_BASE_URL", "")
# The app servers behind BASE, each asked directly after every edit (see the docstring).
APP_URLS = os.environ.get("BENCH_APP_URLS", "").split()
# What an edit records for an app server that refused the connection.
DOWN = "down"
# Pause between two edits, in seconds (each edit is also followed by its page checks).
INTERVAL = float(os.environ.get("BENCH_EDIT_INTERVAL", "0.1"))
KINDS = ("retitle", "publish", "programme", "unpublish", "create")
PUBLISHER = "bench-publisher"
# Newest visits: on the first page of /events/ and in the load's mix of event pages.
MIX_EVENTS = 12
# The page whose validators are taken before each edit and tried after it.
PROBE = "/events/"


# --- plan ---------------------------------------------------------------------------------


def plan(output):
    e = pick_entities()
    published = Delegation.objects.published().order_by("-start_date", "-id")
    newest = list(published.values_list("slug", flat=True)[:40])
    programmes = list(
        CooperationProgram.objects.published().order_by("id").values_list("slug", flat=True)[:30]
    )
    if e["program"] not in programmes:
        programmes[0] = e["program"]
    get = [
        "/",
        "/events/",
        "/events/",
        "/events/",
        f"/events/?q={e['common']}",
        f"/events/?program={e['program']}",
        f"/events/?organization={e['organization']}",
        f"/events/?country={e['country']}",
        f"/events/?topic={e['topic']}",
        f"/events/?place={e['place']}",
        f"/events/?year={e['year']}",
        "/events/?visit_type=study",
        "/events/?sort=title",
        "/events/?page=2",
        "/programs/",
        "/feeds/events.atom",
        *(f"/events/{slug}/" for slug in newest[:MIX_EVENTS]),
        *(f"/programs/{slug}/" for slug in programmes[:3]),
    ]
    conditional = [
        ("inm", "/events/"),
        ("inm", f"/events/?program={e['program']}"),
        ("inm", f"/events/{newest[0]}/"),
        ("inm", f"/events/{newest[1]}/"),
        ("inm", f"/programs/{programmes[0]}/"),
        ("ims", "/events/"),
        ("ims", f"/events/{newest[2]}/"),
        ("ims", "/programs/"),
    ]
    # Interleaved, so that every stretch of the cycle mixes lists, pages and validators.
    targets = [("get", path) for path in get]
    for i, item in enumerate(conditional):
        targets.insert(i * 4 + 2, item)
    unpublishable = list(
        published.exclude(slug__in=newest).order_by("id").values_list("slug", flat=True)[::7]
    )
    unpublished = list(
        Delegation.objects.exclude(status=Status.PUBLISHED)
        .filter(citations_exist())
        .order_by("id")
        .values_list("slug", flat=True)
    )
    publisher = get_user_model().objects.filter(username=PUBLISHER).first()
    if publisher is None:
        publisher = get_user_model().objects.create_user(PUBLISHER, is_staff=True)
        publisher.groups.add(Group.objects.get(name="Publishers"))
    Path(output).write_text(
        json.dumps(
            {
                "targets": targets,
                "pools": {
                    "retitle": newest,
                    "publish": unpublished,
                    "programme": programmes,
                    "unpublish": unpublishable,
                    # The visit whose parties, place and source a new visit takes.
                    "create": published.exclude(slug__in=newest)
                    .filter(citations_exist())
                    .values_list("slug", flat=True)
                    .first(),
                },
            },
            indent=1,
        )
    )


def citations_exist():
    return Exists(DelegationCitation.objects.filter(delegation=OuterRef("pk")))


# --- edit ---------------------------------------------------------------------------------


class ServerDown(Exception):
    """An app server refused the connection: it is not running."""


class AppServers:
    """The app servers behind BASE, asked directly. One that refuses a connection is down:
    the edit being made records it, and it is never asked again."""

    def __init__(self, urls):
        self.up = list(urls)
        self.found_down = {}  # url -> Unix time, since the last call of newly_down()

    def each(self, ask):
        """{url: ask(url)} for every server up; a server found down meanwhile is left out."""
        answers = {}
        for url in list(self.up):
            try:
                answers[url] = ask(url)
            except ServerDown:
                self.up.remove(url)
                self.found_down[url] = time.time()
        return answers

    def newly_down(self):
        found, self.found_down = self.found_down, {}
        return found


class Editor:
    def __init__(self, pools, run, servers=None):
        self.pools = pools
        self.servers = servers or AppServers([])
        self.used = dict.fromkeys(pools, 0)
        self.run = run
        self.count = 0
        self.user = get_user_model().objects.get(username=PUBLISHER)
        self.request = RequestFactory().post("/admin/")
        self.request.user = self.user
        # What HistoryRequestMiddleware does: the history names the publisher.
        HistoricalRecords.context.request = self.request

    def marker(self):
        # One search word, unique to the run and the edit.
        self.count += 1
        return f"bench{self.run}e{self.count:04d}"

    def take(self, kind):
        pool = self.pools[kind]
        item = pool[self.used[kind] % len(pool)]
        self.used[kind] += 1
        return item

    def action(self, model, name, record):
        """Run one of PublishableAdmin's workflow actions on one record, as the changelist
        does; return what it told the user."""
        model_admin = admin.site._registry[model]
        self.request._messages = CookieStorage(self.request)
        getattr(model_admin, name)(self.request, model.objects.filter(pk=record.pk))
        return [str(message) for message in self.request._messages]

    def save_form(self, record, **changes):
        """Change fields and save through the write path, as the admin's change form does."""
        for name, value in changes.items():
            setattr(record, name, value)
        records.save(record, user=self.request.user)

    def edit(self, kind):
        marker = self.marker()
        if kind == "programme":
            record = CooperationProgram.objects.get(slug=self.take(kind))
            self.warm(record.get_absolute_url())
            self.save_form(record, title=f"{strip(record.title)} [{marker}]")
            return entry(kind, record, marker, Status.PUBLISHED, self.count)
        if kind == "create":
            record = self.create(marker)
        else:
            record = Delegation.objects.get(slug=self.take(kind))
            self.warm(record.get_absolute_url())
            self.save_form(record, title=f"{strip(record.title)} [{marker}]")
        said = []
        if kind in ("publish", "create") and record.status == Status.DRAFT:
            # A record is published from review only.
            said += self.action(Delegation, "submit_for_review", record)
        if kind in ("publish", "create"):
            said += self.action(Delegation, "publish", record)
        if kind == "unpublish":
            said += self.action(Delegation, "return_to_draft", record)
        expected = Status.DRAFT if kind == "unpublish" else Status.PUBLISHED
        return {**entry(kind, record, marker, expected, self.count), "said": said}

    def warm(self, path):
        """A worker caches the page as it was, through BASE and on each app server."""
        fetch(path)
        self.servers.each(lambda url: fetch(path, base=url))

    def create(self, marker):
        model = Delegation.objects.get(slug=self.pools["create"])
        citation = DelegationCitation.objects.filter(delegation=model).first()
        record = Delegation(
            title=f"Working visit added under load [{marker}]",
            slug=f"visit-{marker}",
            sending_organization=model.sending_organization,
            host_organization=model.host_organization,
            program=model.program,
            visit_type=model.visit_type,
            start_date=timezone.localdate(),
            location=model.location,
            summary=f"Recorded while the site was under load ({marker}).",
        )
        with records.change(user=self.request.user):
            record.full_clean()
            record.save()
            DelegationCitation.objects.create(delegation=record, source=citation.source)
        return record


def strip(title):
    """The title without the marker of an earlier edit."""
    return title.split(" [bench", 1)[0]


def entry(kind, record, marker, status, n):
    return {
        "n": n,
        "kind": kind,
        "model": type(record).__name__,
        "id": record.pk,
        "slug": record.slug,
        "marker": marker,
        "status": str(status),
        "title": f"{strip(record.title)} [{marker}]" if kind != "create" else record.title,
        "url": record.get_absolute_url(),
    }


def edit(plan_file, log_file):
    pools = json.loads(Path(plan_file).read_text())["pools"]
    servers = AppServers(APP_URLS)
    editor = Editor(pools, run=os.environ.get("BENCH_EDIT_RUN", "x"), servers=servers)
    print("ready", flush=True)
    stop_at = float(sys.stdin.readline())
    edits, error = [], None
    try:
        while time.time() < stop_at:
            kind = KINDS[len(edits) % len(KINDS)]
            validators = fetch_validators(PROBE)
            validators_on = servers.each(lambda url: fetch_validators(PROBE, base=url))
            start = time.perf_counter()
            made = editor.edit(kind)
            made["write_ms"] = round((time.perf_counter() - start) * 1000, 1)
            made["at"] = time.time()
            # Read-your-write: the first anonymous requests after the commit.
            made["check"] = public_state(made)
            made["revalidation"] = revalidate(PROBE, *validators)
            if APP_URLS:
                # Every app server directly, each with its own validators: problems, or DOWN.
                made["on_app_servers"] = servers.each(
                    lambda url, made=made, before=validators_on: state_on(made, url, before[url])
                )
                made["app_servers_down_at"] = servers.newly_down()
                made["on_app_servers"].update(dict.fromkeys(made["app_servers_down_at"], DOWN))
            edits.append(made)
            time.sleep(INTERVAL)
    except Exception:
        error = traceback.format_exc()
        print(error, file=sys.stderr)
    Path(log_file).write_text(
        json.dumps({"base": BASE, "app_urls": APP_URLS, "edits": edits, "error": error}, indent=1)
    )
    return 1 if error else 0


# --- checks -------------------------------------------------------------------------------


def fetch(path, headers=None, base=None):
    """(status, body, headers) of an anonymous GET through BASE, or directly on the app
    server `base`; status 0 when it failed. An app server that refuses the connection
    raises ServerDown (BASE never does: it must answer)."""
    request = urllib.request.Request((base or BASE) + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), error.headers
    except urllib.error.URLError as error:
        if base and isinstance(error.reason, ConnectionRefusedError):
            raise ServerDown(base) from error
        return 0, str(error), {}
    except OSError as error:
        return 0, str(error), {}


def fetch_validators(path, base=None):
    status, _, headers = fetch(path, base=base)
    return headers.get("ETag"), headers.get("Last-Modified")


def revalidate(path, etag, last_modified, base=None):
    """How the page cached before an edit revalidates after it: every edit changes every
    page's validators, so each kind of conditional request must now get 200, not 304."""
    result = {}
    for header, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
        if value:
            result[header] = fetch(path, {header: value}, base=base)[0]
    return result


def state_on(made, base, validators):
    """The problems of an edit on one app server asked directly, right after the edit: its
    page and search (public_state), and PROBE revalidated with the validators that server
    gave before the edit (a 304 is a stale page). Raises ServerDown when the server refuses
    the connection, also after a failed request (killed while it answered)."""
    problems = [f"{base}: {problem}" for problem in public_state(made, base)]
    for header, status in revalidate(PROBE, *validators, base=base).items():
        if status != 200:
            problems.append(
                f"{base}: {PROBE} with {header} from before {made['marker']} answered "
                f"{status}{' (stale)' if status == 304 else ''}, not 200"
            )
    if problems:
        fetch("/healthz", base=base)
    return problems


def public_state(made, base=None):
    """What the public sees of an edit: its page, and a search for its marker (through
    BASE, or directly on the app server `base`)."""
    problems = []
    status, body, _ = fetch(made["url"], base=base)
    if status >= 500 or status == 0:
        problems.append(f"{made['url']} answered {status or body}")
    elif made["status"] == Status.PUBLISHED:
        if status != 200:
            problems.append(f"{made['url']} answered {status}, not 200")
        elif made["marker"] not in body:
            problems.append(f"{made['url']} does not show {made['marker']} (stale)")
    elif status != 404:
        problems.append(f"{made['url']} answered {status} for a draft, not 404")
    search = f"/events/?q={made['marker']}"
    status, body, _ = fetch(search, base=base)
    if status != 200:
        problems.append(f"{search} answered {status or body}")
    else:
        listed = f'href="/events/{made["slug"]}/"' in body
        if made["model"] == "CooperationProgram":
            # A programme's title is found through its published visits' search text.
            slugs = Delegation.objects.published().filter(program_id=made["id"])
            wanted = any(
                f'href="/events/{slug}/"' in body for slug in slugs.values_list("slug", flat=True)
            )
            listed = wanted or not slugs.exists()
        elif made["status"] != Status.PUBLISHED:
            listed = not listed
        if not listed:
            problems.append(f"{search} is wrong about {made['slug']} (stale search)")
    return problems


def stored_state(made):
    """What the database holds of an edit."""
    model = CooperationProgram if made["model"] == "CooperationProgram" else Delegation
    record = model.objects.filter(pk=made["id"]).first()
    if record is None:
        return [f"{made['model']} {made['id']} is gone"]
    problems = []
    if record.title != made["title"]:
        problems.append(f"{made['model']} {made['id']} has title {record.title!r}")
    if record.status != made["status"]:
        problems.append(f"{made['model']} {made['id']} is {record.status}, not {made['status']}")
    if model is Delegation:
        terms = EventTerm.objects.filter(delegation_id=record.pk).exists()
        found = Delegation.objects.published().search(made["marker"]).filter(pk=record.pk)
        if made["status"] == Status.PUBLISHED and not (terms and found.exists()):
            problems.append(f"visit {record.pk} lacks its event index rows or search text")
        if made["status"] != Status.PUBLISHED and terms:
            problems.append(f"draft visit {record.pk} still has event index rows")
    return problems


def right_after_edit(log):
    """Per server asked right after each edit (BASE as it was then, and each app server
    directly): how many edits it was checked after, after how many it showed a stale or
    wrong state, and the edit at which it was found down (then no longer asked)."""
    servers = {log.get("base", BASE): {"checked": 0, "stale": 0, "problems": []}}
    for url in log.get("app_urls", []):
        servers[url] = {"checked": 0, "stale": 0, "problems": [], "down_from_edit": None}
    for made in log["edits"]:
        answers = {log.get("base", BASE): made["check"] + revalidation_problems(made)}
        answers.update(made.get("on_app_servers", {}))
        for url, problems in answers.items():
            counts = servers[url]
            if problems == DOWN:
                counts["down_from_edit"] = made["n"]
                counts["down_at"] = made["app_servers_down_at"][url]
                continue
            counts["checked"] += 1
            counts["stale"] += bool(problems)
            counts["problems"] += problems
    return servers


def revalidation_problems(made):
    return [
        f"{PROBE} with {header} from before {made['marker']} answered 304 (stale)"
        for header, status in made["revalidation"].items()
        if status == 304
    ]


def verify(plan_file, log_file, output):
    log = json.loads(Path(log_file).read_text())
    edits = log["edits"]
    # A record edited twice (a pool used up and begun again) must show its last edit.
    last = {}
    for made in edits:
        last[(made["model"], made["id"])] = made
    lost, stale, verified = [], [], 0
    for key, made in last.items():
        problems = stored_state(made)
        lost += problems
        if not problems:
            verified += sum(1 for earlier in edits if (earlier["model"], earlier["id"]) == key)
        stale += public_state(made)
    by_kind = {kind: sum(1 for made in edits if made["kind"] == kind) for kind in KINDS}
    during = [problem for made in edits for problem in made["check"]]
    write_ms = sorted(made["write_ms"] for made in edits) or [0]
    revalidated = {}
    for made in edits:
        for header, status in made["revalidation"].items():
            counts = revalidated.setdefault(header, {})
            counts[str(status)] = counts.get(str(status), 0) + 1
    result = {
        "made": len(edits),
        "records": len(last),
        "by_kind": by_kind,
        "verified": verified,
        "lost": lost,
        "stale_after": stale,
        "stale_right_after_edit": during,
        # Statuses of PROBE requested with its validators from before each edit.
        "revalidated_after_edit": revalidated,
        # Edits after which some server asked right after it showed a stale or wrong
        # state, and the checks per server.
        "stale_edits_on_any_server": sum(
            1
            for made in edits
            if made["check"]
            or revalidation_problems(made)
            or any(answer not in ([], DOWN) for answer in made.get("on_app_servers", {}).values())
        ),
        "right_after_edit": right_after_edit(log),
        "editor_error": log["error"],
        "write_ms_p50": write_ms[len(write_ms) // 2],
        "write_ms_max": write_ms[-1],
    }
    Path(output).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "plan":
        plan(*arguments)
    elif command == "edit":
        sys.exit(edit(*arguments))
    elif command == "verify":
        verify(*arguments)
    else:
        sys.exit(f"unknown command {command!r}")
