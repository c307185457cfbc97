"""make bench's cluster part (BENCH_ONLY=cluster runs it alone): the production layout on a
local cluster (deploy/cluster.py), with a synthetic archive of BENCH_CLUSTER_VISITS visits
(default 1,000) on the primary.

1. Requests per second through nginx with one app server behind it, then two (gunicorn,
   one worker each: the machine has two cores), BENCH_CLUSTER_SECONDS each (default 15).
2. The load under edits through nginx (bench/editload.lua, bench/editor.py, as
   bench/run.py's edit_load), BENCH_CLUSTER_LOAD_SECONDS (default and at most 60), while
   parts of the cluster fail in turn: one gunicorn is killed at a quarter of the run, the
   replica stopped at half, Redis at three quarters. A probe asks nginx for /events/
   every PROBE_INTERVAL seconds throughout: the requests that failed after each stop, and
   the time from the stop to the first good answer after the last failed one, are
   reported per failure. Right after each edit the editor asks for its public page, its
   search and the revalidation of a page from before it through nginx AND on each app
   server directly (BENCH_APP_URLS): every server must show the new state at once; a
   server that refuses the connection (the killed one) is counted down from that edit
   on, not stale. Afterwards every edit is checked in the database and on its public
   page, through nginx and on the app server left.

Any 5xx, lost edit or stale page is listed under "failures".
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RESULTS, edit_load_wrk, editor_ready, ensure_wrk, wrk  # noqa: E402
from deploy.cluster import Cluster  # noqa: E402

PYTHON = sys.executable
PROBE_INTERVAL = 0.1


def probe(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Prober(threading.Thread):
    """Asks one address again and again; keeps (time, status), status 0 for no answer."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.samples = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.samples.append((time.monotonic(), probe(self.url)))
            self.done.wait(PROBE_INTERVAL)


def throughput(cluster, seconds, event_path):
    rows = {}
    for label, servers in (("1 app server", [0]), ("2 app servers", [0, 1])):
        cluster.set_upstreams(servers)
        for name, path in (("/events/", "/events/"), ("event page", event_path)):
            rows[f"{label}: {name}"] = wrk(cluster.url + path, seconds)
    return rows


def recoveries(samples, stops, end):
    """Per stop: the probe's failed requests until the next stop, and the seconds from the
    stop to the first good answer after the last failure (0 when none failed)."""
    result = []
    for index, (name, at) in enumerate(stops):
        until = stops[index + 1][1] if index + 1 < len(stops) else end
        window = [(t, status) for t, status in samples if at <= t < until]
        failed = [(t, s) for t, s in window if s not in (200, 304)]
        recovered = 0.0
        if failed:
            last = failed[-1][0]
            good = next((t for t, s in window if t > last and s in (200, 304)), None)
            recovered = round((good - at), 2) if good is not None else None
        result.append(
            {
                "stopped": name,
                "at_s": round(at - samples[0][0], 1) if samples else 0,
                "probes": len(window),
                "failed": len(failed),
                "failed_statuses": sorted({s for _, s in failed}),
                "recovered_after_s": recovered,
            }
        )
    return result


def load_with_failures(cluster, seconds):
    work = RESULTS / "cluster"
    work.mkdir(parents=True, exist_ok=True)
    plan, edits, targets = work / "plan.json", work / "edits.json", work / "targets.txt"
    app_urls = [cluster.app_url(index) for index in range(cluster.app_servers)]
    env = {
        **cluster.env,
        "BENCH_BASE_URL": cluster.url,
        "BENCH_APP_URLS": " ".join(app_urls),
        "BENCH_EDIT_RUN": secrets.token_hex(3),
    }
    editor = [PYTHON, "bench/editor.py"]
    subprocess.run([*editor, "plan", plan], cwd=ROOT, env=env, check=True)
    mix = json.loads(plan.read_text())["targets"]
    targets.write_text("".join(f"{kind} {path}\n" for kind, path in mix))
    prober = Prober(cluster.url + "/events/")
    with open(work / "editor.log", "w") as said:
        editing = subprocess.Popen(
            [*editor, "edit", plan, edits],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        load = None
        try:
            drain = editor_ready(editing, said)
            load = edit_load_wrk(cluster.url, targets, seconds, connections=4)
            started, started_at = time.monotonic(), time.time()
            prober.start()
            editing.stdin.write(f"{time.time() + seconds - 1}\n")
            editing.stdin.close()
            stops = []
            for fraction, name, stop in (
                (0.25, "one gunicorn (killed)", lambda: cluster.stop_app(0, hard=True)),
                (0.5, "the replica", cluster.stop_replica),
                (0.75, "Redis", cluster.stop_redis),
            ):
                time.sleep(max(0.0, started + seconds * fraction - time.monotonic()))
                stops.append((name, time.monotonic()))
                stop()
            out, _ = load.communicate(timeout=seconds + 60)
            ended = time.monotonic()
            prober.done.set()
            prober.join(timeout=30)
            editor_status = editing.wait(timeout=120)
            drain.join(timeout=60)
        finally:
            prober.done.set()
            for process in (editing, load):
                if process and process.poll() is None:
                    process.kill()
                    process.wait()
    checked = {}
    for where, base in (("nginx", cluster.url), ("app server left", cluster.app_url(1))):
        output = work / f"verified-{where.split()[0]}.json"
        subprocess.run(
            [*editor, "verify", plan, edits, output],
            cwd=ROOT,
            env={**env, "BENCH_BASE_URL": base},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        checked[where] = json.loads(output.read_text())
    line = next(line for line in out.splitlines() if line.startswith("EDITLOAD "))
    figures = json.loads(line.removeprefix("EDITLOAD "))
    statuses = dict(sorted(figures["statuses"].items()))
    errors = {k: v for k, v in figures["errors"].items() if k != "status"}
    result = {
        "seconds": seconds,
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "latency_ms": {k: v / 1000 for k, v in figures["latency_us"].items()},
        "statuses": statuses,
        "5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "failed": errors,
        "stops": recoveries(prober.samples, stops, ended),
        "edits": checked["nginx"],
        "edits_on_app_server_left": checked["app server left"],
        "right_after_edit": right_after_edit(checked["nginx"], cluster, app_urls, started_at),
        "editor_exit_status": editor_status,
    }
    failures = []
    if result["5xx"]:
        failures.append(f"{result['5xx']} responses with a 5xx status: {statuses}")
    for where, verified in checked.items():
        if verified["lost"]:
            failures.append(f"lost edits ({where}): {verified['lost']}")
        stale = verified["stale_after"]
        if stale:
            failures.append(
                f"stale or wrong pages afterwards ({where}): {stale[:5]} ({len(stale)} in all)"
            )
    for server in result["right_after_edit"]:
        problems = server["problems"]
        if problems:
            failures.append(
                f"stale or wrong right after {server['stale']} edits ({server['server']}): "
                f"{problems[:5]} ({len(problems)} in all)"
            )
        if not server["checked"]:
            failures.append(f"{server['server']} was checked right after no edit")
        if server.get("down_from_edit") and not server["stopped"]:
            failures.append(
                f"{server['server']} refused connections from edit {server['down_from_edit']} "
                "on, but was not stopped"
            )
    if checked["nginx"]["editor_error"] or editor_status:
        failures.append(f"the editor failed: {checked['nginx']['editor_error']}")
    result["failures"] = failures
    return result


def right_after_edit(verified, cluster, app_urls, started_at):
    """The editor's checks right after each edit, one row per server (nginx first), from
    editor.py verify's `right_after_edit`."""
    names = {cluster.url: "nginx"}
    for index, url in enumerate(app_urls):
        names[url] = f"app server {index + 1} ({url.removeprefix('http://')})"
    rows = []
    for url, counts in verified["right_after_edit"].items():
        row = {"server": names.get(url, url), **counts}
        if url in app_urls:
            # bench/cluster.py kills the first one (load_with_failures).
            row["stopped"] = url == app_urls[0]
        if counts.get("down_at"):
            row["down_at_s"] = round(counts["down_at"] - started_at, 1)
        rows.append(row)
    return rows


LOGS = RESULTS / "cluster" / "logs"


def keep_logs(cluster):
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    for log in [*(cluster.dir / "logs").glob("*.log"), cluster.dir / "nginx" / "error.log"]:
        if log.exists():
            shutil.copyfile(log, LOGS / f"{log.parent.name}-{log.name}")


def server_log_errors():
    """The lines of the app servers' kept logs that report an error (Django's JSON log and
    gunicorn's own); warnings, such as a replica passed over, are not errors."""
    marks = ('"level": "ERROR"', '"level": "CRITICAL"', "[ERROR]", "[CRITICAL]")
    return [
        f"{log.name}: {line}"
        for log in sorted(LOGS.glob("*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if any(mark in line for mark in marks)
    ]


def run():
    if not ensure_wrk():
        return {"failures": ["wrk is not installed (apt-get install wrk)"]}
    seconds = int(os.environ.get("BENCH_CLUSTER_SECONDS", "15"))
    load_seconds = min(int(os.environ.get("BENCH_CLUSTER_LOAD_SECONDS", "60")), 60)
    visits = int(os.environ.get("BENCH_CLUSTER_VISITS", "1000"))
    print(f"Cluster: starting, with {visits:,} synthetic visits", file=sys.stderr)
    with Cluster(app_servers=2, workers=1, fixtures=(), synthetic=visits) as cluster:
        event = json.loads(
            cluster.manage(
                "shell",
                "-c",
                "import json; from cooperation.models import Delegation; "
                "print(json.dumps(Delegation.objects.published()"
                ".order_by('-start_date').first().get_absolute_url()))",
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        print(f"Cluster: wrk through nginx, {seconds} s per row", file=sys.stderr)
        rows = throughput(cluster, seconds, event)
        print(f"Cluster: {load_seconds} s under edits, with failures", file=sys.stderr)
        try:
            under_load = load_with_failures(cluster, load_seconds)
        finally:
            # The cluster's folder goes with it: keep its logs, where a 5xx has its cause.
            keep_logs(cluster)
        under_load["server_log_errors"] = server_log_errors()
    return {
        "visits": visits,
        "throughput": rows,
        "under_load": under_load,
        "failures": under_load["failures"],
    }


def report(result):
    if "throughput" not in result:
        return "\n".join(f"- FAILED: {failure}" for failure in result["failures"])
    lines = [
        f"nginx in front of gunicorn (1 worker per server), Redis page cache, PostgreSQL "
        f"primary and streaming replica; {result['visits']:,} synthetic visits. "
        "wrk -t2 -c16.",
        "",
        "| through nginx | requests/s | p99 | non-2xx/3xx |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, row in result["throughput"].items():
        lines.append(f"| {name} | {row['rps']:.0f} | {row['p99']} | {row['non_2xx_3xx']} |")
    load = result["under_load"]
    latency, edits = load["latency_ms"], load["edits"]
    lines += [
        "",
        f"Under edits for {load['seconds']} s (bench/editload.lua, 4 connections, through "
        "nginx), while one gunicorn is killed, then the replica and Redis are stopped:",
        "",
        "| requests | requests/s | p50 | p99 | max | 5xx | failed | statuses |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| {load['requests']} | {load['rps']:.0f} | {latency['p50']:.1f} ms "
        f"| {latency['p99']:.1f} ms | {latency['max']:.1f} ms | {load['5xx']} "
        f"| {sum(load['failed'].values())} | "
        + ", ".join(f"{s}: {n}" for s, n in load["statuses"].items())
        + " |",
        "",
        "| stopped | at | probes of /events/ | failed | statuses of the failed | recovered after |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for stop in load["stops"]:
        recovered = stop["recovered_after_s"]
        lines.append(
            f"| {stop['stopped']} | {stop['at_s']} s | {stop['probes']} | {stop['failed']} "
            f"| {', '.join(map(str, stop['failed_statuses'])) or '-'} "
            f"| {'not recovered' if recovered is None else f'{recovered} s'} |"
        )
    lines += [
        "",
        "Right after each edit (its page, its search, /events/ revalidated with validators "
        "from before it), on every server:",
        "",
        "| asked | edits checked | stale or wrong | down |",
        "| --- | ---: | ---: | --- |",
    ]
    for row in load.get("right_after_edit", []):
        down = "-"
        if row.get("down_from_edit"):
            down = f"from edit {row['down_from_edit']} ({row['down_at_s']} s)"
        lines.append(f"| {row['server']} | {row['checked']} | {row['stale']} | {down} |")
    left = load["edits_on_app_server_left"]
    lines += [
        "",
        f"- edits: {edits['made']} made on {edits['records']} records; "
        f"{len(edits['lost'])} lost; stale right after an edit on any server: "
        f"{edits.get('stale_edits_on_any_server', 0)}; stale afterwards through nginx: "
        f"{len(edits['stale_after'])}, on the app server left: {len(left['stale_after'])}",
    ]
    errors = load.get("server_log_errors", [])
    if errors:
        lines.append(
            f"- errors in the servers' logs ({LOGS.relative_to(ROOT)}/): {len(errors)}, "
            f"the first: {errors[0][:300]}"
        )
    lines += [f"- FAILED: {failure}" for failure in result["failures"]]
    return "\n".join(lines)


def main():
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = run()
    text = report(result)
    print(text)
    (RESULTS / "cluster.md").write_text(text + "\n")
    (RESULTS / "cluster.json").write_text(json.dumps(result, indent=1))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
