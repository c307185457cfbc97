"""make bench: build the benchmark databases, measure every page, load-test gunicorn.

Runs inside tests/with_postgres.sh with WITH_POSTGRES_KEEP=bench/.pgdata (see the
Makefile), so the PostgreSQL cluster and its databases survive between runs: a database
is rebuilt only when the code that shapes its data (models, migrations, generator)
changed. Writes bench/results/results.json and results.md (ignored by git).

Every size is measured in the same run, interleaved page by page, so that a noisy machine
weighs on every size alike. Settings are read once per process, so each database has a
worker of its own, bench/measure.py in serve mode, all started at the beginning: this
coordinator sends it one JSON request a line and reads one JSON answer a line (see
measure.py). Each worker picks its own database's records to open; then, for each page
row (the public pages, then the admin's), the smallest size's worker measures it, then
the next size's, and so on, before the next row. The static floor (a hashed static file
served by whitenoise through the same test client) is measured the same way in every
worker at the start, every FLOOR_EVERY rows and at the end; each page's p50 is given as a
multiple of its size's floor around it (the mean of the floor measured before and after
its stretch of rows), and every table of pages is printed with the floor's p50 and p95
and how far it drifted. Last, the largest size's worker makes one full CSV export. A
worker's stderr (Django's log too) goes to bench/results/worker-LABEL.log; a worker that
dies or answers anything but a JSON line fails the run, with that stderr shown.

Environment: BENCH_SIZES="1k:1000,1M:1000000" (label:delegations, smallest first),
BENCH_REQUESTS (per page, default 50), BENCH_PAGE_SECONDS (per page, default 30),
BENCH_LOAD_SECONDS (per target, default 15), BENCH_SKIP_LOAD=1 to skip the gunicorn part.

Last, the load test under edits (edit_load, with bench/editor.py and bench/editload.lua)
runs on a copy of the smallest database; BENCH_EDITLOAD_SECONDS (default 30, at most 60),
BENCH_EDITLOAD_CONNECTIONS (default 4), BENCH_EDIT_INTERVAL (seconds between two edits,
default 0.1). BENCH_ONLY=editload runs that part alone and keeps the other figures of
results.json. Any 5xx, failed request, lost edit or stale page makes the run fail.

Then the cluster part (bench/cluster.py; BENCH_SKIP_CLUSTER=1 skips it, BENCH_ONLY=cluster
runs it alone): requests per second through nginx for one and two app servers, and the
load under edits while an app server, the replica and Redis stop in turn.
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
SEED = 1
# What decides a benchmark database's rows: the generator with its data files, and the one
# definition of a visit's derived data (search text, vector, event index) it has built.
# Migrations are applied to a built database before each run instead (new indexes need no
# new data).
GENERATOR = ROOT / "bench" / "synthetic"
SHAPING_FILES = [
    *sorted(p for p in GENERATOR.rglob("*") if p.suffix in {".py", ".json", ".csv"}),
    ROOT / "cooperation" / "records" / "derived.py",
]


def sizes():
    spec = os.environ.get("BENCH_SIZES", "1k:1000,1M:1000000")
    return [(label, int(n)) for label, n in (item.split(":") for item in spec.split(","))]


def shape_hash():
    digest = hashlib.sha256()
    for path in SHAPING_FILES:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def database_url(name):
    base = os.environ["DATABASE_URL"]
    return base.rsplit("/", 1)[0] + "/" + name


def conninfo(name):
    return database_url(name).replace("postgres://", "postgresql://", 1)


def manage(url, *args, extra_env=None):
    env = {**os.environ, "DATABASE_URL": url, **(extra_env or {})}
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def is_built(name, delegations):
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
    with psycopg.connect(conninfo(name)) as conn:
        try:
            row = conn.execute("SELECT delegations, shape FROM bench_built").fetchone()
        except psycopg.errors.UndefinedTable:
            return False
    return row == (delegations, shape_hash())


def build(name, delegations):
    print(f"Building {name}: {delegations:,} delegations (seed {SEED})", file=sys.stderr)
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    manage(url, "migrate", "--noinput", "-v0")
    start = time.perf_counter()
    # A development tool, installed only with DEBUG on (config/settings.py).
    manage(
        url,
        "generate_records",
        *("--delegations", str(delegations), "--seed", str(SEED)),
        extra_env={"DJANGO_DEBUG": "true"},
    )
    seconds = time.perf_counter() - start
    with psycopg.connect(conninfo(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # What the build and the vacuum wrote (13 GB at 1M) written out now, rather than
        # by the checkpointer and the kernel while the first pages are timed.
        conn.execute("CHECKPOINT")
        os.sync()
        conn.execute("CREATE TABLE bench_built (delegations bigint, shape text, seconds float)")
        conn.execute(
            "INSERT INTO bench_built VALUES (%s, %s, %s)", [delegations, shape_hash(), seconds]
        )
    print(f"Built {name} in {seconds:.0f} s", file=sys.stderr)


def production_env(url, cache="dummy://"):
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_CONN_MAX_AGE": "60",
        "CACHE_URL": cache,
    }


# Page rows between two measurements of the static floor.
FLOOR_EVERY = 10


class WorkerFailed(Exception):
    pass


class Worker:
    """bench/measure.py serving one database: one JSON request a line on its stdin, one
    JSON answer a line on its stdout. Its stderr, Django's log included, goes to
    bench/results/worker-LABEL.log. A worker that exits, or answers with anything but a
    JSON line, raises WorkerFailed with that stderr: the run fails, it never waits."""

    def __init__(self, label, name, full_export=False):
        self.label, self.name = label, name
        self.log_path = RESULTS / f"worker-{label}.log"
        env = production_env(database_url(name))
        if full_export:
            env["BENCH_FULL_EXPORT"] = "1"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [PYTHON, "bench/measure.py", "serve"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )

    def ask(self, op, **fields):
        try:
            self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except OSError:  # a broken pipe: the worker is gone
            line = ""
        if not line:
            self.fail(f"stopped while asked for {op}")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            self.fail(f"answered {line[:200]!r} when asked for {op}")

    def fail(self, what):
        status = self.stop(timeout=10)
        said = self.log_path.read_text(errors="replace").splitlines()
        shown = said[-100:]
        cut = f", its last {len(shown)} lines" if len(shown) < len(said) else ""
        how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
        raise WorkerFailed(
            f"the worker measuring {self.name} ({self.label}) {what} ({how}). "
            f"Its stderr ({self.log_path.relative_to(ROOT)}{cut}):\n"
            + ("\n".join(shown) or "(nothing)")
        )

    def stop(self, timeout=30):
        """Ends the worker (the end of its stdin, then a kill) and returns its status."""
        with contextlib.suppress(OSError):  # a broken pipe: it has gone already
            self.process.stdin.close()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def measure(databases):
    """Every page of every database [(label, name)], smallest first, interleaved: each
    row is measured at every size before the next row. Returns {label: results}."""
    labels = [label for label, _ in databases]
    print(
        "Measuring " + ", then ".join(name for _, name in databases) + ", page by page",
        file=sys.stderr,
    )
    # The full CSV export is made at the largest size alone (BENCH_FULL_EXPORT).
    workers = [Worker(label, name, full_export=label == labels[-1]) for label, name in databases]
    try:
        measured, rows = {}, None
        for worker in workers:
            plan = worker.ask("plan")
            measured[worker.label] = {
                "entities": plan["entities"],
                "floor": {"every": FLOOR_EVERY, "samples": []},
                "pages": {},
            }
            names = [(name, client) for name, _, client in plan["rows"]]
            if rows is not None and names != rows:
                raise WorkerFailed(f"{worker.name} has other page rows than {workers[0].name}")
            rows = names

        def floor(before_row):
            figures = []
            for worker in workers:
                sample = {"before_row": before_row, **worker.ask("floor")}
                measured[worker.label]["floor"]["samples"].append(sample)
                figures.append(f"{worker.label} {sample['p50']:7.2f} ms")
            print(f"  {'(static floor)':32} " + "  ".join(figures), file=sys.stderr)

        for index, (name, client) in enumerate(rows):
            if index % FLOOR_EVERY == 0:
                floor(index)
            figures = []
            for worker in workers:
                row = {**worker.ask("page", name=name), "client": client}
                measured[worker.label]["pages"][name] = row
                figures.append(f"{worker.label} {row['p50']:7.1f} ms")
            print(f"  {name:32} " + "  ".join(figures), file=sys.stderr)
        floor(len(rows))
        # At the largest size only, after every page, as before: its peak memory counts.
        measured[labels[-1]]["full_export"] = workers[-1].ask("full_export")
        for worker in workers:
            status = worker.stop()
            if status:
                worker.fail("failed on leaving")
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.stop()
    for result in measured.values():
        add_floor_figures(result)
    return measured


def add_floor_figures(result):
    """The floor's summary (the median of its measurements' p50 and p95, and the range of
    their p50), and each page's p50 as a multiple of the floor around it: the mean of the
    floor measured before its stretch of rows and after it."""
    floor = result["floor"]
    samples = sorted(floor["samples"], key=lambda sample: sample["before_row"])
    p50s = [sample["p50"] for sample in samples]
    floor.update(
        url=samples[0]["url"],
        p50=statistics.median(p50s),
        p95=statistics.median(sample["p95"] for sample in samples),
        p50_min=min(p50s),
        p50_max=max(p50s),
        measurements=len(samples),
    )
    for index, row in enumerate(result["pages"].values()):
        before = [s for s in samples if s["before_row"] <= index][-1]
        after = next(s for s in samples if s["before_row"] > index)
        row["floor_multiple"] = row["p50"] / ((before["p50"] + after["p50"]) / 2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk():
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL
        )
    return bool(shutil.which("wrk"))


def wrk(url, seconds, header=None):
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p99": f"{p99.group(1)}{p99.group(2)}" if p99 else "",
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
    }


def start_gunicorn(env, log=None):
    """gunicorn with 2 workers on a free port of 127.0.0.1, once it answers /events/.
    Returns the process, the base URL and that first page."""
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
    )
    for _ in range(100):
        try:
            return server, base, urllib.request.urlopen(f"{base}/events/", timeout=5)
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    stop_gunicorn(server)
    raise RuntimeError("gunicorn did not answer /events/")


def stop_gunicorn(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def load_test(name, event_slug):
    """gunicorn, 2 workers, production settings with the page cache on; a bounded load."""
    if not ensure_wrk():
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    seconds = int(os.environ.get("BENCH_LOAD_SECONDS", "15"))
    env = production_env(database_url(name), cache="locmem://")
    server, base, page = start_gunicorn(env)
    try:
        body = page.read()
        etag = page.headers["ETag"]
        # The floor: whitenoise serving a static file the size of the list page.
        floor = ROOT / "staticfiles" / "bench-floor.html"
        floor.write_bytes(b"x" * len(body))
        server.send_signal(signal.SIGHUP)  # workers restart and see the new file
        time.sleep(3)
        results = {
            "static file (floor)": wrk(f"{base}/static/bench-floor.html", seconds),
            "/events/": wrk(f"{base}/events/", seconds),
            "/events/ (If-None-Match, 304)": wrk(
                f"{base}/events/", seconds, header=f"If-None-Match: {etag}"
            ),
            "event page": wrk(f"{base}/events/{event_slug}/", seconds),
        }
    finally:
        stop_gunicorn(server)
    floor_rps = results["static file (floor)"]["rps"]
    for row in results.values():
        row["ratio_to_floor"] = row["rps"] / floor_rps
    return results


def editor_ready(editing, said):
    """Wait for bench/editor.py's "ready". Django's log shares the editor's stdout: what
    comes before it goes to `said`, and a thread keeps draining the pipe there afterwards,
    so that it never fills and blocks. Returns that thread."""
    for line in editing.stdout:
        if line.strip() == "ready":
            break
        said.write(line)
    else:
        raise RuntimeError("the editor did not start")
    drain = threading.Thread(target=said.writelines, args=(editing.stdout,))
    drain.start()
    return drain


def edit_load_wrk(base, targets, seconds, connections):
    """wrk running bench/editload.lua over the addresses in `targets` against `base`; each
    thread one connection, since the script matches responses to requests."""
    return subprocess.Popen(
        ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s"]
        + ["--timeout", "5s", "-s", "bench/editload.lua", base, "--", str(targets)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def edit_load(template):
    """The load test under edits: gunicorn (2 workers, page cache on) answers a bounded
    `wrk` load of public pages while bench/editor.py, a process of its own, edits and
    publishes records through the ORM and the admin's workflow actions. Runs on a copy of
    `template`, dropped afterwards. Afterwards every edit is checked in the database and,
    over HTTP, on its public page and in the search. Any 5xx, failed request, unexpected
    status, lost edit or stale page is listed under "failures"."""
    if not ensure_wrk():
        return {"failures": ["wrk is not installed (apt-get install wrk)"]}
    seconds = min(int(os.environ.get("BENCH_EDITLOAD_SECONDS", "30")), 60)
    # Two waiting per worker keeps both busy; more would only add queueing to the latency.
    connections = int(os.environ.get("BENCH_EDITLOAD_CONNECTIONS", "4"))
    name = "bench_editload"
    work = RESULTS / "editload"
    work.mkdir(parents=True, exist_ok=True)
    plan, edits, targets = work / "plan.json", work / "edits.json", work / "targets.txt"
    checked = work / "verified.json"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    env = production_env(database_url(name), cache="locmem://")
    env["BENCH_EDIT_RUN"] = secrets.token_hex(3)
    print(f"Load under edits: {seconds} s on a copy of {template}", file=sys.stderr)
    try:
        editor = [PYTHON, "bench/editor.py"]
        subprocess.run([*editor, "plan", plan], cwd=ROOT, env=env, check=True)
        mix = json.loads(plan.read_text())["targets"]
        targets.write_text("".join(f"{kind} {path}\n" for kind, path in mix))
        with open(work / "gunicorn.log", "w") as log, open(work / "editor.log", "w") as said:
            server, base, _ = start_gunicorn(env, log)
            editing = None
            try:
                env["BENCH_BASE_URL"] = base
                editing = subprocess.Popen(
                    [*editor, "edit", plan, edits],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                drain = editor_ready(editing, said)
                load = edit_load_wrk(base, targets, seconds, connections)
                # The editor stops a second before the load does: every edit is under load.
                editing.stdin.write(f"{time.time() + seconds - 1}\n")
                editing.stdin.close()
                out, _ = load.communicate(timeout=seconds + 60)
                editor_status = editing.wait(timeout=60)
                drain.join()
                subprocess.run(
                    [*editor, "verify", plan, edits, checked],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            finally:
                if editing and editing.poll() is None:
                    editing.kill()
                    editing.wait()
                stop_gunicorn(server)
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    wrk_line = next(line for line in out.splitlines() if line.startswith("EDITLOAD "))
    figures = json.loads(wrk_line.removeprefix("EDITLOAD "))
    verified = json.loads(checked.read_text())
    statuses = dict(sorted(figures["statuses"].items()))
    latency = {key: value / 1000 for key, value in figures["latency_us"].items()}
    errors = figures["errors"]
    failed = {kind: errors[kind] for kind in ("connect", "read", "write", "timeout")}
    server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
    unexpected = {s: n for s, n in statuses.items() if s not in ("200", "304") and s[0] != "5"}
    result = {
        "tool": f"wrk, {connections} threads of one connection each, bench/editload.lua",
        "database": f"a copy of {template}",
        "seconds": seconds,
        "targets": len(mix),
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "latency_ms": latency,
        "statuses": statuses,
        "5xx": server_errors,
        "failed": failed,
        "edits": verified,
        "editor_exit_status": editor_status,
    }
    failures = []
    if server_errors:
        failures.append(f"{server_errors} responses with a 5xx status: {statuses}")
    if sum(failed.values()):
        failures.append(f"{sum(failed.values())} failed requests: {failed}")
    if unexpected:
        failures.append(f"statuses other than 200 and 304 in the load: {unexpected}")
    if verified["editor_error"] or editor_status:
        failures.append(f"the editor failed: {verified['editor_error']}")
    if verified["lost"]:
        failures.append(f"lost edits: {verified['lost']}")
    stale = verified["stale_right_after_edit"] + verified["stale_after"]
    if stale:
        failures.append(f"stale or wrong public pages: {stale}")
    for header, answers in verified["revalidated_after_edit"].items():
        if answers.get("304"):
            failures.append(f"304 to an {header} from before an edit (stale page)")
    if not verified["made"]:
        failures.append("the editor made no edit")
    result["failures"] = failures
    result["warnings"] = []
    logged = (work / "gunicorn.log").read_text().splitlines()
    levels = ('"level": "ERROR"', '"level": "CRITICAL"', "[ERROR]", "[CRITICAL]")
    result["server_log_errors"] = [line for line in logged if any(x in line for x in levels)]
    return result


def is_admin(name, row):
    return row.get("client", "admin" if name.startswith("admin ") else "public") == "admin"


def multiple(row):
    value = row.get("floor_multiple")
    if value is None:
        return ""
    return f"{value:.0f}×" if value >= 10 else f"{value:.1f}×"


def floor_line(measured):
    """The static floor of every size, printed with each table of pages."""
    labels = [label for label, _ in sizes()]
    floors = {label: measured[label]["floor"] for label in labels if "floor" in measured[label]}
    if not floors:
        return "Static floor: not measured in this run."
    any_floor = next(iter(floors.values()))
    figures = "; ".join(
        f"@{label} p50 {floor['p50']:.2f} ms, p95 {floor['p95']:.2f} ms (p50 from "
        f"{floor['p50_min']:.2f} to {floor['p50_max']:.2f} ms)"
        for label, floor in floors.items()
    )
    return (
        f"Static floor, whitenoise serving `{any_floor['url']}` through the same test client, "
        f"measured {any_floor['measurements']} times per size (at the start, every "
        f"{any_floor['every']} page rows and at the end; the median of those): {figures}. "
        "× floor is a page's p50 over the floor measured around it at the same size."
    )


def markdown_row(cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table(measured, admin=False):
    """The pages at the smallest and the largest size, with their ratio. Sizes between
    them (BENCH_SIZES="1k:1000,100k:100000,1M:1000000") add their p50 and the largest's
    ratio to it: where a page's cost stops growing with the archive."""
    labels = [label for label, _ in sizes()]
    small, large, middle = labels[0], labels[-1], labels[1:-1]
    head = [
        "page",
        "queries",
        f"p50 @{small} (ms)",
        *(f"p50 @{label} (ms)" for label in middle),
        f"p50 @{large} (ms)",
        f"p95 @{large} (ms)",
        f"ratio {large}/{small}",
        *(f"ratio {large}/{label}" for label in middle),
        f"× floor @{small}",
        f"× floor @{large}",
        f"requests @{large}",
    ]
    lines = [markdown_row(head), markdown_row(["---"] + ["---:"] * (len(head) - 1))]
    for name, row in measured[large]["pages"].items():
        if is_admin(name, row) != admin:
            continue
        base = measured[small]["pages"][name]
        between = [measured[label]["pages"][name] for label in middle]
        lines.append(
            markdown_row(
                [
                    name,
                    row["queries"],
                    f"{base['p50']:.1f}",
                    *(f"{other['p50']:.1f}" for other in between),
                    f"{row['p50']:.1f}",
                    f"{row['p95']:.1f}",
                    f"{row['p50'] / base['p50']:.2f}",
                    *(f"{row['p50'] / other['p50']:.2f}" for other in between),
                    multiple(base),
                    multiple(row),
                    row.get("requests", ""),
                ]
            )
        )
    return "\n".join(lines)


def load_table(load):
    if "skipped" in load:
        return f"Load test skipped: {load['skipped']}"
    lines = [
        "| target | requests/s | p99 | non-2xx/3xx | ratio to floor |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in load.items():
        lines.append(
            f"| {name} | {row['rps']:.0f} | {row['p99']} | {row['non_2xx_3xx']} | "
            f"{row['ratio_to_floor']:.0%} |"
        )
    return "\n".join(lines)


def edit_load_report(result):
    if "requests" not in result:
        return "\n".join(f"- {failure}" for failure in result["failures"])
    latency, edits = result["latency_ms"], result["edits"]
    failed = sum(result["failed"].values())
    kinds = ", ".join(f"{n} {kind}" for kind, n in edits["by_kind"].items())
    lines = [
        f"{result['tool']}, {result['seconds']} s over {result['targets']} addresses (lists, "
        "filters, event and programme pages, conditional requests), against "
        f"{result['database']}, while bench/editor.py edits and publishes.",
        "",
        "| requests | requests/s | p50 | p90 | p99 | max | 5xx | failed | statuses |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| {result['requests']} | {result['rps']:.0f} | {latency['p50']:.1f} ms "
        f"| {latency['p90']:.1f} ms | {latency['p99']:.1f} ms | {latency['max']:.1f} ms "
        f"| {result['5xx']} | {failed} | "
        + ", ".join(f"{status}: {n}" for status, n in result["statuses"].items())
        + " |",
        "",
        f"- edits: {edits['made']} made ({kinds}) on {edits['records']} records, "
        f"{edits['verified']} verified in the database and "
        f"on their public pages; {len(edits['lost'])} lost; "
        f"{len(edits['stale_right_after_edit']) + len(edits['stale_after'])} stale pages",
        f"- an edit's save, p50 {edits['write_ms_p50']} ms, max {edits['write_ms_max']} ms",
        "- /events/ requested after each edit with the validators from before it: "
        + "; ".join(
            f"{header}: " + ", ".join(f"{n}× {status}" for status, n in counts.items())
            for header, counts in edits["revalidated_after_edit"].items()
        ),
    ]
    lines += [f"- WARNING: {warning}" for warning in result.get("warnings", [])]
    lines += [f"- FAILED: {failure}" for failure in result["failures"]]
    return "\n".join(lines)


def report(data):
    """results.md from results.json's data; a part not in `data` is left out."""
    labels = [label for label, _ in sizes()]
    sections = []
    measured = data.get("pages", {})
    if all(label in measured for label in labels):
        largest_label = labels[-1]
        order = ", then ".join(f"@{label}" for label in labels)
        interleaved = all("floor" in measured[label] for label in labels)
        sections += [
            "## Server time per page (in-process, page cache off, 2 cores)",
            *(
                [f"Every size in one run, interleaved page by page ({order}, for each page)."]
                if interleaved
                else []
            ),
            floor_line(measured),
            table(measured),
            "## Admin pages (in-process, signed in as a superuser, 2 cores)",
            floor_line(measured),
            table(measured, admin=True),
            f"## gunicorn, 2 workers, {largest_label} delegations, page cache on",
            load_table(data["load"]),
            "## Build and export",
            "\n".join(
                f"- generate_records for {label}: {seconds:.0f} s"
                for label, seconds in data["build_seconds"].items()
            ),
            f"- full CSV export at {largest_label}: "
            + json.dumps(measured[largest_label].get("full_export", {})),
        ]
    if "edit_load" in data:
        sections += [
            f"## Under edits: gunicorn, 2 workers, {data['edit_load'].get('size', '')} "
            "delegations, page cache on",
            edit_load_report(data["edit_load"]),
        ]
    if "cluster" in data:
        import cluster

        sections += [
            "## The cluster: nginx, two app servers, Redis, a replica",
            cluster.report(data["cluster"]),
        ]
    return "\n\n".join(sections)


def ready(delegations):
    """The benchmark database of that size, built if needed and migrated."""
    name = f"bench_{delegations}"
    if not is_built(name, delegations):
        build(name, delegations)
    manage(database_url(name), "migrate", "--noinput", "-v0")
    with psycopg.connect(conninfo(name)) as conn:
        return name, conn.execute("SELECT seconds FROM bench_built").fetchone()[0]


def main():
    only = os.environ.get("BENCH_ONLY", "")
    if only not in ("", "editload", "cluster"):
        sys.exit(f"BENCH_ONLY={only!r}: the parts that run alone are editload and cluster")
    if only == "cluster":
        # Its own cluster and archive (bench/cluster.py): nothing of the above is needed.
        import cluster

        sys.exit(cluster.main())
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Production settings serve hashed static names from the collected manifest.
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(database_url("postgres")),
        check=True,
    )
    data = {}
    if only == "editload":
        # The other parts' figures stay as the last full run left them.
        if (RESULTS / "results.json").exists():
            data = json.loads((RESULTS / "results.json").read_text())
    else:
        databases, built = [], {}
        for label, delegations in sizes():
            name, built[label] = ready(delegations)
            databases.append((label, name))
        try:
            measured = measure(databases)
        except WorkerFailed as failure:
            sys.exit(f"FAILED: {failure}")
        largest_label, largest = sizes()[-1]
        load = {"skipped": "BENCH_SKIP_LOAD=1"}
        if os.environ.get("BENCH_SKIP_LOAD") != "1":
            load = load_test(f"bench_{largest}", measured[largest_label]["entities"]["event"])
        data.update({"pages": measured, "load": load, "build_seconds": built})
    # Edits go to a copy of the smallest database; the others stay as built.
    smallest_label, smallest = sizes()[0]
    name, _ = ready(smallest)
    data["edit_load"] = {"size": smallest_label, **edit_load(name)}
    # In a full run only: BENCH_ONLY=editload keeps the cluster's figures of the last one.
    ran_cluster = only == "" and os.environ.get("BENCH_SKIP_CLUSTER") != "1"
    if ran_cluster:
        import cluster

        data["cluster"] = cluster.run()
    text = report(data)
    print(text)
    (RESULTS / "results.md").write_text(text + "\n")
    (RESULTS / "results.json").write_text(json.dumps(data, indent=1))
    for warning in data["edit_load"].get("warnings", []):
        print(f"WARNING (load under edits): {warning}", file=sys.stderr)
    failures = data["edit_load"]["failures"]
    cluster_failures = data["cluster"]["failures"] if ran_cluster else []
    for failure in cluster_failures:
        print(f"FAILED (cluster): {failure}", file=sys.stderr)
    if cluster_failures and not failures:
        sys.exit(1)
    if failures:
        for failure in failures:
            print(f"FAILED (load under edits): {failure}", file=sys.stderr)
        for line in data["edit_load"].get("server_log_errors", []):
            print(f"server log: {line}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
