"""Production security: headers, the Content-Security-Policy and its nonces, cookies,
sessions, the sign-in lockout, and error pages that reveal nothing.

The production values are read from config/settings.py itself, run with DJANGO_DEBUG=false
and nothing but the three values a production site must set, and applied to the test
settings; so the test checks what a server would send, not a copy of it.
"""

import datetime as dt
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from .observatory import assess

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-production-key-for-the-tests-" + "x7Qp" * 10
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": SECRET,
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DATABASE_URL": "sqlite:///:memory:",
}
# Every environment variable the settings read besides those: unset, so the defaults apply.
OPTIONAL_ENV = [
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_HSTS_SECONDS",
    "DJANGO_TRUSTED_PROXY_COUNT",
    "DJANGO_SESSION_HOURS",
    "DJANGO_LOGIN_FAILURE_LIMIT",
    "DJANGO_LOGIN_COOLOFF_MINUTES",
]
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_REDIRECT_EXEMPT",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_FAILURE_VIEW",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "TRUSTED_PROXY_COUNT",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "AXES_LOCKOUT_PARAMETERS",
]
HTTPS = "https://testserver"
PASSWORD = "a long and careful passphrase"


def production_settings(monkeypatch):
    for name in OPTIONAL_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(ROOT / "config" / "settings.py"))
    return {name: values[name] for name in SECURITY_SETTINGS}


@pytest.fixture
def production(settings, monkeypatch):
    """A test client for a site running the production settings."""
    for name, value in production_settings(monkeypatch).items():
        setattr(settings, name, value)
    return Client()


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("clerk", password=PASSWORD, is_staff=True)


def event_pages(world):
    return [
        "/",
        "/events/",
        "/events/?q=visit&year=2023",
        world.published.get_absolute_url(),
        "/programs/",
        world.program.get_absolute_url(),
        world.russia.get_absolute_url(),
        "/events/no-such-visit/",
        "/admin/login/",
    ]


def test_every_kind_of_page_scores_a_plus_on_the_observatory(production, world):
    for path in event_pages(world):
        response = production.get(path, secure=True)
        assert response.status_code in (200, 404), path
        report = assess(response, production.get(path), HTTPS)
        assert report.grade == "A+", (path, report.score, report.results)
        assert report.results["content-security-policy"][0] == (
            "csp-implemented-with-no-unsafe-default-src-none"
        ), path
        assert report.results["x-frame-options"][1] == 5, path
        assert report.results["referrer-policy"][1] == 5, path
    # The admin's sign-in page sets the CSRF cookie: Secure, HttpOnly and SameSite.
    assert report.results["cookies"] == ("cookies-secure-with-httponly-sessions-and-samesite", 5)
    assert report.score == 125


def test_the_observatory_scoring_fails_a_site_without_the_headers(client, world):
    # The scorer itself: the development settings (no HTTPS, no HSTS) do not earn an A+.
    path = world.published.get_absolute_url()
    report = assess(client.get(path), client.get(path), HTTPS)
    assert report.results["strict-transport-security"][0] == "hsts-not-implemented"
    assert report.results["redirection"][0] == "redirection-missing"
    assert report.grade != "A+"


def test_production_headers(production, world):
    response = production.get(world.published.get_absolute_url(), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_plain_http_is_redirected_to_the_same_address_over_https(production, world):
    response = production.get("/events/?year=2023")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/events/?year=2023"
    # The health probe speaks to the server's own port, without the TLS proxy.
    assert production.get("/healthz").status_code == 200


def inline_scripts(html):
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if not re.search(r"\bsrc=", tag)]


def header_nonce(response):
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return match.group(1) if match else None


def test_every_inline_script_carries_the_responses_own_nonce(production, world):
    path = world.published.get_absolute_url()
    nonces = []
    for _ in range(3):  # the first rendered, the others from the page cache
        response = production.get(path, secure=True)
        scripts = inline_scripts(response.text)
        assert scripts, "the event page has its JSON-LD"
        nonce = header_nonce(response)
        assert nonce, response["Content-Security-Policy"]
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag
        assert response["Content-Length"] == str(len(response.content))
        nonces.append(nonce)
    assert len(set(nonces)) == 3, "a nonce is never sent twice"


def test_pages_without_inline_scripts_name_no_nonce(production, world):
    response = production.get("/events/", secure=True)
    assert not inline_scripts(response.text)
    assert "nonce-" not in response["Content-Security-Policy"]


def test_a_plain_pages_policy_is_django_csps_own_and_follows_the_settings(
    production, world, settings
):
    """The policy of a page without a nonce is built once per process
    (cooperation/static_policy.py): it is the string django-csp builds, and a change of the
    settings is in the next response."""
    from csp.utils import build_policy

    assert production.get("/events/", secure=True)["Content-Security-Policy"] == build_policy()
    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'", "data:"]}
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    changed = production.get("/programs/", secure=True)["Content-Security-Policy"]
    assert "img-src 'self' data:" in changed
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    reported = production.get("/programs/?page=1", secure=True)
    assert reported["Content-Security-Policy-Report-Only"] == "default-src 'self'"


def test_admin_pages_have_no_inline_script_without_a_nonce(production, staff, world):
    staff.is_superuser = True
    staff.save()
    production.force_login(staff)
    for path in (
        "/admin/",
        "/admin/cooperation/delegation/",
        f"/admin/cooperation/delegation/{world.published.pk}/change/",
        "/admin/cooperation/delegation/add/",
    ):
        response = production.get(path, secure=True)
        assert response.status_code == 200, path
        nonce = header_nonce(response)
        for tag in inline_scripts(response.text):
            assert nonce and f'nonce="{nonce}"' in tag, (path, tag)


def test_deploy_check_is_clean_with_only_the_required_settings(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# --- cookies and sessions ------------------------------------------------------------


def sign_in(client, username="clerk", password=PASSWORD, **extra):
    """Post the admin's sign-in form; `extra` sets the request's address and headers."""
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        secure=True,
        **extra,
    )


def test_cookies_are_host_only_secure_and_out_of_scripts_reach(production, staff):
    csrf = production.get("/admin/login/", secure=True).cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    assert csrf["path"] == "/" and not csrf["domain"]

    response = sign_in(production)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    session = response.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session["path"] == "/" and not session["domain"]
    # Ends with the browser: no lasting expiry is given to the browser at all.
    assert not session["max-age"] and not session["expires"]


def test_a_staff_session_expires_within_eight_hours(production, staff):
    sign_in(production)
    stored = Session.objects.get()
    lifetime = stored.expire_date - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=7, minutes=59) < lifetime <= dt.timedelta(hours=8)


def test_signing_out_ends_the_session(production, staff):
    sign_in(production)
    assert production.get("/admin/", secure=True).status_code == 200
    key = production.cookies["__Host-sessionid"].value
    response = production.post("/admin/logout/", secure=True)
    assert response.status_code == 200
    assert not Session.objects.filter(session_key=key).exists()
    # The old cookie, sent again, opens nothing.
    replay = Client()
    replay.cookies["__Host-sessionid"] = key
    response = replay.get("/admin/", secure=True)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- the sign-in lockout -------------------------------------------------------------


def fail(client, times, username="clerk", address="203.0.113.5", **extra):
    for _ in range(times):
        response = sign_in(client, username, "wrong guess", REMOTE_ADDR=address, **extra)
    return response


def test_repeated_failures_lock_out_that_username_from_that_address_only(client, staff, db):
    other = get_user_model().objects.create_user(
        "archivist", password="another careful passphrase", is_staff=True
    )
    response = fail(client, 4)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text
    response = fail(client, 1)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "15 minutes" in response.text

    # Now even the right password is refused from there, and no session is made.
    response = sign_in(client, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert not Session.objects.exists()

    # The attacker cannot lock the real user out from elsewhere...
    elsewhere = Client()
    response = sign_in(elsewhere, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    # ...nor another user from the same address.
    response = sign_in(
        Client(), other.username, "another careful passphrase", REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, staff, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1)
    )
    response = sign_in(client, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302


def test_an_administrator_can_lift_a_lockout(client, staff, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset_username", "clerk", verbosity=0)
    response = sign_in(client, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, staff, settings):
    # No proxy (the default): the header is the client's own writing and is ignored.
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = fail(client, 1, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert response.status_code == 429


def test_behind_a_proxy_the_address_it_saw_is_the_one_counted(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; what the client wrote before it is ignored.
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = fail(
            client, 1, address="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.5"
        )
    assert response.status_code == 429
    # Another client behind the same proxy is not locked out.
    response = sign_in(Client(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302


# --- error pages ---------------------------------------------------------------------

LEAKS = ["Traceback", "SECRET", SECRET, str(ROOT), "site-packages", "SELECT", "settings.py"]


def assert_reveals_nothing(response):
    for leak in LEAKS:
        assert leak not in response.text, leak
    assert "Cooperation Registry" in response.text
    assert 'href="/static/cooperation/site.css"' in response.text or "site.css" in response.text


def test_a_server_error_shows_the_sites_page_and_nothing_else(production, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(f"SELECT secret FROM settings.py in {ROOT} with {SECRET}")

    monkeypatch.setattr("cooperation.views.result_ids", broken)
    production.raise_request_exception = False
    response = production.get("/events/", secure=True)
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert_reveals_nothing(response)
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_client_errors_show_the_sites_pages_and_nothing_else(production, world, settings):
    not_found = production.get("/events/no-such-visit/", secure=True)
    assert not_found.status_code == 404
    assert_reveals_nothing(not_found)

    settings.ALLOWED_HOSTS = ["registry.example"]
    production.raise_request_exception = False
    bad_host = production.get("/", secure=True, HTTP_HOST="attacker.example")
    assert bad_host.status_code == 400
    assert_reveals_nothing(bad_host)
    settings.ALLOWED_HOSTS = ["testserver"]

    forbidden = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "clerk", "password": "x"}, secure=True
    )
    assert forbidden.status_code == 403
    assert "security token" in forbidden.text
    assert_reveals_nothing(forbidden)


def test_static_files_are_collected_with_hashed_names_and_compressed(tmp_path):
    # Hashed names let whitenoise send them with a far-future expiry; the .gz and .br copies
    # are sent to browsers that accept them.
    env = {
        "PATH": os.environ["PATH"],
        **PRODUCTION_ENV,
        "DJANGO_STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    css = sorted(path.name for path in (tmp_path / "cooperation").glob("site.*.css*"))
    assert len(css) >= 2, css
    assert re.fullmatch(r"site\.[0-9a-f]{12}\.css", css[0])
    assert f"{css[0]}.gz" in css
    assert (tmp_path / "staticfiles.json").is_file()
