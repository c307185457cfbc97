"""make bench: build the benchmark databases, measure every page, load-test gunicorn.

Runs inside tests/with_postgres.sh with WITH_POSTGRES_KEEP=bench/.pgdata (see the
Makefile), so the PostgreSQL cluster and its databases survive between runs: a database
is rebuilt only when the code that shapes its data (models, migrations, generator)
changed. Writes bench/results/results.json and results.md (ignored by git).

Environment: BENCH_SIZES="1k:1000,1M:1000000" (label:delegations, smallest first),
BENCH_REQUESTS (per page, default 50), BENCH_LOAD_SECONDS (per target, default 15),
BENCH_SKIP_LOAD=1 to skip the gunicorn part.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
SEED = 1
# What decides a benchmark database's rows. Migrations are applied to a built database
# before each run instead (new indexes need no new data).
SHAPING_FILES = [ROOT / "cooperation" / "management" / "commands" / "generate_records.py"]


def sizes():
    spec = os.environ.get("BENCH_SIZES", "1k:1000,1M:1000000")
    return [(label, int(n)) for label, n in (item.split(":") for item in spec.split(","))]


def shape_hash():
    digest = hashlib.sha256()
    for path in SHAPING_FILES:
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
    manage(url, "generate_records", "--delegations", str(delegations), "--seed", str(SEED))
    seconds = time.perf_counter() - start
    with psycopg.connect(conninfo(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
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


def measure(name, label):
    output = RESULTS / f"pages-{label}.json"
    print(f"Measuring {name}", file=sys.stderr)
    env = production_env(database_url(name))
    if label == sizes()[-1][0]:
        env["BENCH_FULL_EXPORT"] = "1"
    subprocess.run([PYTHON, "bench/measure.py", str(output)], cwd=ROOT, env=env, check=True)
    return json.loads(output.read_text())


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


def load_test(name, event_slug):
    """gunicorn, 2 workers, production settings with the page cache on; a bounded load."""
    if not ensure_wrk():
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    seconds = int(os.environ.get("BENCH_LOAD_SECONDS", "15"))
    env = production_env(database_url(name), cache="locmem://")
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
    )
    try:
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"{base}/events/", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
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
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    floor_rps = results["static file (floor)"]["rps"]
    for row in results.values():
        row["ratio_to_floor"] = row["rps"] / floor_rps
    return results


def table(measured):
    labels = [label for label, _ in sizes()]
    small, large = labels[0], labels[-1]
    lines = [
        f"| page | queries | p50 @{small} (ms) | p50 @{large} (ms) | p95 @{large} (ms) "
        f"| ratio {large}/{small} | requests @{large} |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in measured[large]["pages"].items():
        base = measured[small]["pages"][name]
        lines.append(
            f"| {name} | {row['queries']} | {base['p50']:.1f} | {row['p50']:.1f} | "
            f"{row['p95']:.1f} | {row['p50'] / base['p50']:.2f} | {row.get('requests', '')} |"
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


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Production settings serve hashed static names from the collected manifest.
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env(database_url("postgres")),
        check=True,
    )
    measured, built = {}, {}
    for label, delegations in sizes():
        name = f"bench_{delegations}"
        if not is_built(name, delegations):
            build(name, delegations)
        manage(database_url(name), "migrate", "--noinput", "-v0")
        with psycopg.connect(conninfo(name)) as conn:
            built[label] = conn.execute("SELECT seconds FROM bench_built").fetchone()[0]
        measured[label] = measure(name, label)
    largest_label, largest = sizes()[-1]
    load = {"skipped": "BENCH_SKIP_LOAD=1"}
    if os.environ.get("BENCH_SKIP_LOAD") != "1":
        load = load_test(f"bench_{largest}", measured[largest_label]["entities"]["event"])
    report = "\n\n".join(
        [
            "## Server time per page (in-process, page cache off, 2 cores)",
            table(measured),
            f"## gunicorn, 2 workers, {largest_label} delegations, page cache on",
            load_table(load),
            "## Build and export",
            "\n".join(
                f"- generate_records for {label}: {seconds:.0f} s"
                for label, seconds in built.items()
            ),
            f"- full CSV export at {largest_label}: "
            + json.dumps(measured[largest_label].get("full_export", {})),
        ]
    )
    print(report)
    (RESULTS / "results.md").write_text(report + "\n")
    (RESULTS / "results.json").write_text(
        json.dumps({"pages": measured, "load": load, "build_seconds": built}, indent=1)
    )


if __name__ == "__main__":
    main()
