"""The production layout on a real local cluster (deploy/cluster.py): nginx in front of two
gunicorn instances, Redis, a PostgreSQL primary and its streaming replica.

What an operator would notice: both app servers answer through nginx, static files come
from nginx with the app's security headers, a staff sign-in and its CSRF token hold
whichever server answers, failed sign-ins count across servers, a publish shows on every
server at once, the replica streams, and the site keeps answering when an app server, the
replica and then Redis stop. The cluster starts once for the module (about 30 s); the
stopping tests come last, in that order.

It runs once per `make test`, in the SQLite run: the cluster brings its own PostgreSQL.
"""

import functools
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from deploy.cluster import ADMIN, DEPLOY, Cluster, free_port, missing_parts, nginx_binary
from tests import required
from tests.cluster_client import Visitor

BAKU = "russian-prosecutors-working-visit-baku-2023"
# A response through nginx names the app server in X-Upstream (the cluster's nginx only).
ROUNDS = 6


skip_or_fail = functools.partial(required.skip_or_fail, "the cluster tests")


@pytest.fixture(scope="module")
def cluster():
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip(
            "the cluster tests run once per make test, in its SQLite run: the cluster "
            "brings its own PostgreSQL"
        )
    missing = missing_parts()
    if missing:
        skip_or_fail("the cluster needs " + "; ".join(missing))
    with Cluster(app_servers=2, workers=1) as started:
        yield started


@pytest.fixture(scope="module")
def app_addresses(cluster):
    return {f"127.0.0.1:{port}" for port in cluster.app_ports}


def signed_in(cluster, username=ADMIN, password=None):
    visitor = Visitor(cluster.url)
    form = visitor.get("/admin/login/?next=/admin/")
    assert form.status == 200
    answer = visitor.post(
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": form.csrf_token(),
            "username": username,
            "password": password or cluster.admin_password,
            "next": "/admin/",
        },
    )
    assert answer.status == 302, answer.text[:500]
    assert answer.header("Location") == "/admin/"
    return visitor


def test_both_app_servers_answer_through_nginx(cluster, app_addresses):
    visitor = Visitor(cluster.url)
    answers = [visitor.get("/events/") for _ in range(ROUNDS)]
    assert [a.status for a in answers] == [200] * ROUNDS
    assert {a.upstream for a in answers} == app_addresses
    assert all(BAKU in a.text for a in answers)


def test_health_probe_answers_through_nginx(cluster):
    answer = Visitor(cluster.url).get("/healthz")
    assert answer.status == 200
    assert json.loads(answer.text) == {"status": "ok"}
    assert "no-cache" in answer.header("Cache-Control")


def directives(response):
    return {part.strip() for part in response.header("Content-Security-Policy").split(";")}


def test_nginx_serves_hashed_static_files_for_good_with_the_apps_headers(cluster):
    static = Path(cluster.env["DJANGO_STATIC_ROOT"])
    manifest = json.loads((static / "staticfiles.json").read_text())["paths"]
    hashed = "/static/" + manifest["cooperation/site.css"]
    from_nginx = Visitor(cluster.url).get(hashed)
    from_app = Visitor(cluster.app_url(0)).get(hashed)
    assert from_nginx.status == from_app.status == 200
    assert from_nginx.header("X-Upstream") == "nginx"
    assert from_nginx.text == from_app.text
    cache = from_nginx.header("Cache-Control")
    assert "max-age=315360000" in cache and "immutable" in cache
    # The same policy (django-csp writes its directives in no fixed order).
    assert directives(from_nginx) == directives(from_app)
    assert "default-src 'none'" in directives(from_nginx)
    for name in (
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    ):
        assert from_nginx.header(name) == from_app.header(name), name
    # The name without its hash is served too, but not kept for good.
    plain = Visitor(cluster.url).get("/static/cooperation/site.css")
    assert plain.status == 200
    assert "immutable" not in plain.header("Cache-Control")


def test_staff_sign_in_and_csrf_hold_on_every_app_server(cluster, app_addresses):
    visitor = signed_in(cluster)
    pages = [visitor.get("/admin/") for _ in range(ROUNDS)]
    assert [p.status for p in pages] == [200] * ROUNDS
    assert {p.upstream for p in pages} == app_addresses
    assert all("Log out" in p.text for p in pages)
    # A forged token is refused; a form's token from one server's page is accepted by the
    # other (asked directly, with the same cookies).
    refused = visitor.post("/admin/logout/", {"csrfmiddlewaretoken": "x" * 64})
    assert refused.status == 403
    assert visitor.get("/admin/").status == 200
    token = visitor.via(cluster.app_url(0)).get("/admin/").csrf_token()
    out = visitor.via(cluster.app_url(1)).post("/admin/logout/", {"csrfmiddlewaretoken": token})
    assert out.status == 200
    after = [visitor.get("/admin/") for _ in range(2)]
    assert [a.status for a in after] == [302, 302]
    assert all(a.header("Location").startswith("/admin/login/") for a in after)


def test_failed_sign_ins_lock_out_across_app_servers(cluster, app_addresses):
    username, password = "lockout-probe", "a-Correct-horse-battery-staple"
    cluster.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({username!r}, password={password!r}, "
        "is_staff=True)",
        capture_output=True,
    )
    limit = int(cluster.env.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
    visitor = Visitor(cluster.url)
    # One POST after another, so that nginx sends them to the servers in turn; each
    # refused sign-in's form carries the token for the next.
    page = visitor.get("/admin/login/")
    failures = []
    for _ in range(limit):
        page = visitor.post(
            "/admin/login/",
            {"csrfmiddlewaretoken": page.csrf_token(), "username": username, "password": "wrong"},
        )
        failures.append(page)
    assert {f.upstream for f in failures} == app_addresses
    assert [f.status for f in failures[:-1]] == [200] * (limit - 1)
    assert failures[-1].status == 429
    # Locked out on every server, with the right password too, and whatever address the
    # client writes into X-Forwarded-For itself.
    token = visitor.get("/admin/login/").csrf_token()
    answers = [
        visitor.post(
            "/admin/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"X-Forwarded-For": spoofed} if spoofed else None,
        )
        for spoofed in (None, None, "203.0.113.9", "198.51.100.7")
    ]
    assert [a.status for a in answers] == [429] * 4
    assert {a.upstream for a in answers} == app_addresses


def baku_primary_key(cluster):
    out = cluster.manage(
        "shell",
        "-c",
        "from cooperation.models import Delegation; "
        f"print(Delegation.objects.get(slug={BAKU!r}).pk)",
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def act(visitor, action, pk):
    changelist = "/admin/cooperation/delegation/"
    page = visitor.get(changelist)
    assert page.status == 200
    answer = visitor.post(
        changelist,
        {
            "csrfmiddlewaretoken": page.csrf_token(),
            "action": action,
            "_selected_action": pk,
            "index": "0",
            "select_across": "0",
        },
    )
    assert answer.status == 302, answer.text[:500]


def statuses_on_every_server(cluster, path):
    return [Visitor(cluster.app_url(i)).get(path).status for i in range(cluster.app_servers)] + [
        Visitor(cluster.url).get(path).status for _ in range(2)
    ]


def test_publish_through_the_admin_shows_on_every_app_server(cluster):
    page = f"/events/{BAKU}/"
    # Cached by each server first (anonymous pages go to Redis).
    assert statuses_on_every_server(cluster, page) == [200] * 4
    assert statuses_on_every_server(cluster, page) == [200] * 4
    visitor = signed_in(cluster)
    pk = baku_primary_key(cluster)
    act(visitor, "return_to_draft", pk)
    assert statuses_on_every_server(cluster, page) == [404] * 4
    assert BAKU not in Visitor(cluster.url).get("/events/").text
    act(visitor, "submit_for_review", pk)
    act(visitor, "publish", pk)
    assert statuses_on_every_server(cluster, page) == [200] * 4
    for i in range(cluster.app_servers):
        assert BAKU in Visitor(cluster.app_url(i)).get("/events/").text


def test_the_replica_streams_from_the_primary(cluster):
    with cluster.superuser("primary") as primary:
        streaming = primary.execute("SELECT usename, state FROM pg_stat_replication").fetchall()
        version = primary.execute(
            "SELECT version FROM cooperation_registry_version WHERE id = 1"
        ).fetchone()[0]
    assert streaming == [("replicator", "streaming")]
    # The publishes above reached the replica (bounded wait: replay is asynchronous).
    deadline = time.monotonic() + 60
    with cluster.superuser("replica") as replica:
        assert replica.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        while True:
            seen = replica.execute(
                "SELECT version FROM cooperation_registry_version WHERE id = 1"
            ).fetchone()[0]
            if seen == version or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert seen == version


def production_site(work, cluster, http_port, https_port):
    """deploy/nginx/registry.conf as an operator installs it, filled in for this machine: a
    self-signed certificate, the snippets from deploy/nginx/, loopback ports, the cluster's
    app server and static files. Returns the nginx.conf that includes it."""
    subprocess.run(
        [
            "openssl",
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
            *("-keyout", str(work / "privkey.pem"), "-out", str(work / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "registry.conf").read_text()
    for installed, here in (
        ("/etc/letsencrypt/live/registry.example", str(work)),
        ("snippets/", f"{DEPLOY}/nginx/"),
        ("/var/log/nginx", str(work)),
        ("/srv/registry/staticfiles", cluster.env["DJANGO_STATIC_ROOT"]),
        ("127.0.0.1:8000", f"127.0.0.1:{cluster.app_ports[1]}"),
        ("listen [::]:80;", ""),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        # A name the cluster's settings allow (DJANGO_ALLOWED_HOSTS).
        ("registry.example", "localhost"),
    ):
        assert installed in site, installed
        site = site.replace(installed, here)
    (work / "registry.conf").write_text(site)
    temp = "".join(f" {kind}_temp_path {work}/{kind};\n" for kind in TEMP_PATHS)
    for kind in TEMP_PATHS:
        (work / kind).mkdir()
    conf = work / "nginx.conf"
    conf.write_text(
        f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\ndaemon off;\n"
        "worker_processes 1;\nevents {}\n"
        f"http {{\n include /etc/nginx/mime.types;\n{temp} include {work}/registry.conf;\n}}\n"
    )
    return conf


TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def https_get(port, path, alpn=("http/1.1",)):
    """GET over TLS to the site as `localhost`; returns the response and the protocol the
    server chose by ALPN."""

    def context(protocols):
        made = ssl.create_default_context()
        made.check_hostname = False
        made.verify_mode = ssl.CERT_NONE
        made.set_alpn_protocols(list(protocols))
        return made

    offered = context(alpn)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        offered.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        chosen = tls.selected_alpn_protocol()
    # http.client speaks HTTP/1.1 only.
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=60, context=context(["http/1.1"])
    )
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        response = connection.getresponse()
        response.read()
        return response, chosen
    finally:
        connection.close()


def test_the_production_site_terminates_tls_and_serves_the_app(cluster):
    """deploy/nginx/registry.conf, run as an operator installs it (a certificate of its
    own, in front of one of the cluster's app servers): `nginx -t` accepts it, plain HTTP
    redirects to HTTPS, HTTPS offers HTTP/2, pages come from the app (which trusts the
    proxy's X-Forwarded-Proto and so sends HSTS), static files from nginx."""
    if not shutil.which("openssl"):
        skip_or_fail("openssl is missing (apt-get install openssl)")
    http_port, https_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        work.chmod(0o755)
        conf = production_site(work, cluster, http_port, https_port)
        command = [nginx_binary(), "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        server = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and server.poll() is None:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", https_port)) == 0:
                        break
                time.sleep(0.2)
            assert server.poll() is None, server.stderr.read().decode()

            redirect = Visitor(f"http://127.0.0.1:{http_port}").get(
                "/events/?year=2023", headers={"Host": "localhost"}
            )
            assert redirect.status == 301
            assert redirect.header("Location") == "https://localhost/events/?year=2023"

            page, protocol = https_get(https_port, "/events/", alpn=("h2", "http/1.1"))
            assert protocol == "h2"
            assert page.status == 200
            assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
            health, _ = https_get(https_port, "/healthz")
            assert health.status == 200

            manifest = json.loads(
                (Path(cluster.env["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text()
            )["paths"]
            static, _ = https_get(https_port, "/static/" + manifest["cooperation/site.css"])
            assert static.status == 200
            # `expires max` and the immutable header: two Cache-Control lines, read as one.
            cache = ", ".join(static.headers.get_all("Cache-Control"))
            assert "max-age=315360000" in cache and "immutable" in cache
            assert "max-age=31536000" in static.headers["Strict-Transport-Security"]
            assert static.headers["X-Content-Type-Options"] == "nosniff"
        finally:
            os.killpg(server.pid, signal.SIGQUIT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)


PAGES = ("/", "/events/", f"/events/{BAKU}/", "/events/?year=2023", "/countries/", "/healthz")


def test_pages_answer_with_one_app_server_stopped(cluster):
    cluster.stop_app(0, hard=True)
    survivor = f"127.0.0.1:{cluster.app_ports[1]}"
    visitor = Visitor(cluster.url)
    answers = [visitor.get(path) for path in PAGES * 2]
    assert [a.status for a in answers] == [200] * len(answers)
    assert {a.upstream for a in answers} == {survivor}
    # A staff sign-in still works on the server left.
    assert signed_in(cluster).get("/admin/").status == 200


def test_pages_answer_with_the_replica_stopped(cluster):
    cluster.stop_replica()
    visitor = Visitor(cluster.url)
    answers = [visitor.get(path) for path in (*PAGES, "/events/?q=baku", "/events/?year=2022")]
    assert [a.status for a in answers] == [200] * len(answers)


def test_pages_answer_with_redis_stopped(cluster):
    cluster.stop_redis()
    visitor = Visitor(cluster.url)
    answers = [visitor.get(path) for path in (*PAGES, "/events/?q=prosecutor")]
    assert [a.status for a in answers] == [200] * len(answers)
    assert BAKU in answers[1].text
