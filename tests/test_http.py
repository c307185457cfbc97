"""HTTP as a client program reads it: methods, conditional requests, links built from the
request's own path, and the security headers on every kind of response
(cooperation/request_line.py, cooperation/caching.py, config/settings.py's MIDDLEWARE)."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils.http import http_date

from cooperation import records
from cooperation.models import Status

from .test_caching import changed_at_micros
from .test_security import production_settings

LANGUAGES = ["", "/az", "/ru"]
FUTURE = "Thu, 01 Jan 2099 00:00:00 GMT"
PUBLIC_ALLOW = "GET, HEAD, OPTIONS"
ADMIN_ALLOW = "GET, HEAD, OPTIONS, POST"
REFUSED = ["TRACE", "PUT", "DELETE", "PATCH", "POST"]
SECURITY_HEADERS = [
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
]


def public_pages(world, prefix=""):
    return [
        f"{prefix}/",
        f"{prefix}/events/",
        f"{prefix}/events/?year=2023",
        f"{prefix}{world.published.get_absolute_url()}",
        f"{prefix}/programs/",
        f"{prefix}/feeds/events.atom",
        f"{prefix}/events/export.csv",
        f"{prefix}/events/{world.published.slug}/calendar.ics",
    ]


# --- links built from the request's path --------------------------------------------

# Each is an address a browser would never send but a hand-written request can: the path
# as the server hands it to Django (PATH_INFO, percent-decoding already done). Those that
# begin with more than one slash are redirected to the path begun with one; the others are
# unknown addresses.
HOSTILE_PATHS = {
    "//evil.example/events/": "/evil.example/events/",
    "///evil.example/": "/evil.example/",
    "/\\evil.example/": "/evil.example/",
    "/\\/evil.example/": "/evil.example/",
    "/az//evil.example/": None,
    "/ru//evil.example/events/": None,
    "/az/\\evil.example/": None,
    "/ru/\\\\evil.example/x": None,
    "/events//evil.example/": None,
}


def links(html):
    """Every address the page links to or loads: href, src and form actions."""
    return re.findall(r'\b(?:href|src|action)="([^"]*)"', html)


def assert_on_site(address):
    """A link a browser resolves to this site: a fragment, a path of a single leading
    slash, or an absolute address naming this host."""
    if address.startswith("#"):
        return
    if address.startswith(("http://", "https://")):
        assert urlsplit(address).netloc == "testserver", address
        return
    assert re.match(r"/(?![/\\])", address), address


def test_an_address_of_doubled_slashes_links_nowhere_off_the_site(client, world):
    for raw, redirected_to in HOSTILE_PATHS.items():
        response = client.get("/", PATH_INFO=raw)
        if redirected_to:
            assert response.status_code == 301, raw
            assert response["Location"] == redirected_to
            response = client.get(redirected_to)
        assert response.status_code == 404, raw
        html = response.content.decode()
        found = links(html)
        assert found, raw
        for address in found:
            assert_on_site(address)
        # The language switch names this address in every language, on this site.
        switch = dict(re.findall(r'<a href="([^"]*)" hreflang="(\w+)"', html))
        assert sorted(switch.values()) == ["az", "en", "ru"], raw
        for href in switch:
            assert "evil.example" in href, (raw, href)
    # Spelled out for the address of the report: English, Azerbaijani, Russian.
    html = client.get("/evil.example/events/").content.decode()
    for href in ("/evil.example/events/", "/az/evil.example/events/", "/ru/evil.example/events/"):
        assert f'<a href="{href}" hreflang=' in html


def test_a_percent_encoded_double_slash_is_read_as_a_double_slash(client, world):
    # The test client decodes %2F as a WSGI server does: PATH_INFO is ///evil.example/.
    response = client.get("/%2F%2Fevil.example/")
    assert response.status_code == 301
    assert response["Location"] == "/evil.example/"


def test_a_percent_sign_left_in_the_path_is_escaped_in_every_link(client, world):
    # A server that left %2F undecoded hands Django the characters themselves.
    response = client.get("/", PATH_INFO="/%2F%2Fevil.example/")
    assert response.status_code == 404
    for address in links(response.content.decode()):
        assert_on_site(address)
    assert 'href="/az/%252F%252Fevil.example/"' in response.content.decode()


def test_leading_slashes_lead_to_the_page_with_its_query_kept(client, world):
    response = client.get("/", PATH_INFO="//events/published-visit/", QUERY_STRING="a=1&b=é")
    assert response.status_code == 301
    assert response["Location"] == "/events/published-visit/?a=1&b=%C3%A9"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Published working visit" in page.content.decode()
    assert client.get("/", PATH_INFO="//az/events/").url == "/az/events/"
    # A doubled slash further in matches no page.
    assert client.get("/", PATH_INFO="/events//published-visit/").status_code == 404


# --- conditional requests -------------------------------------------------------------


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_if_modified_since_in_the_future_is_ignored(client, settled, prefix):
    since = {"if-modified-since": FUTURE}
    for path, status in [
        (f"{prefix}/events/no-such-visit/", 404),
        (f"{prefix}/events/draft-visit/", 404),
        (f"{prefix}/events/?year=abc", 400),
        (f"{prefix}/no-such-page/", 404),
        (f"{prefix}/events/", 200),
        (f"{prefix}/events/published-visit/", 200),
    ]:
        assert client.get(path, headers=since).status_code == status, path
        assert client.head(path, headers=since).status_code == status, path
    # Cached by now, a page answers in full all the same.
    page = client.get(f"{prefix}/events/", headers=since)
    assert page.status_code == 200
    assert "Published working visit" in page.content.decode()


@pytest.fixture
def settled(world, monkeypatch):
    """The records last changed ten seconds ago: a Last-Modified the site gives now is one
    that If-Modified-Since may be answered 304 for (cooperation/caching.py, last_modified)."""
    changed_at_micros(monkeypatch, time.time() - 10.4)
    return world


def test_a_current_date_turns_no_error_into_a_304(client, settled):
    # A date the site really gave (Last-Modified of a page that exists) names no address:
    # sent for one that answers 404 or 400 it changes nothing.
    last_modified = client.get("/events/")["Last-Modified"]
    now = http_date(time.time())
    for since in (last_modified, now):
        headers = {"if-modified-since": since}
        assert client.get("/events/draft-visit/", headers=headers).status_code == 404
        assert client.get("/events/no-such-visit/", headers=headers).status_code == 404
        assert client.get("/events/?year=abc", headers=headers).status_code == 400
        assert client.get("/ru/events/?year=abc", headers=headers).status_code == 400


def test_a_current_date_answers_304_for_a_page_cached_or_not(client, settled, settings):
    last_modified = client.get("/events/")["Last-Modified"]
    cached = client.get("/events/", headers={"if-modified-since": last_modified})
    assert cached.status_code == 304
    assert cached.content == b""
    # Never rendered before: rendered, found to be a page, then answered 304.
    fresh = client.get("/programs/", headers={"if-modified-since": last_modified})
    assert fresh.status_code == 304
    assert fresh["ETag"] == client.get("/programs/")["ETag"]
    # With no page cache at all the answer is the same.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    again = client.get("/az/programs/", headers={"if-modified-since": last_modified})
    assert again.status_code == 304


def test_an_unreadable_date_and_a_non_matching_etag_get_the_full_page(client, world):
    last_modified = client.get("/events/")["Last-Modified"]
    for headers in (
        {"if-modified-since": "yesterday"},
        {"if-modified-since": "Sun, 31 Feb 2023 25:61:00 GMT"},
        # An ETag that does not match: the date beside it is not read at all.
        {"if-none-match": '"stale"', "if-modified-since": last_modified},
    ):
        response = client.get("/events/", headers=headers)
        assert response.status_code == 200, headers
        assert "Published working visit" in response.content.decode()


def test_no_etag_turns_an_error_into_a_304(client, world):
    page = client.get("/events/published-visit/")
    etag = page["ETag"]
    errors = ["/events/draft-visit/", "/events/no-such-visit/", "/events/?year=abc"]
    for path in errors:
        response = client.get(path)
        assert "ETag" not in response and "Last-Modified" not in response, path
        for value in (etag, "*", f'W/{etag}, "other"'):
            answer = client.get(path, headers={"if-none-match": value})
            assert answer.status_code in (400, 404), (path, value)
    # A page taken off the site: its old ETag gets the 404, not a 304.
    world.published.status = Status.DRAFT
    records.save(world.published)
    response = client.get("/events/published-visit/", headers={"if-none-match": etag})
    assert response.status_code == 404


# --- methods --------------------------------------------------------------------------


@pytest.fixture
def strict():
    """A client whose unsafe requests meet the CSRF check, as a browser's would."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_options_names_the_methods_of_a_public_page_and_sends_nothing_else(strict, world, prefix):
    for path in public_pages(world, prefix):
        response = strict.options(path)
        assert response.status_code == 200, path
        assert response["Allow"] == PUBLIC_ALLOW, path
        assert response.content == b"", path
        assert response["Content-Length"] == "0", path


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_other_methods_on_a_public_page_answer_405_not_the_csrf_403(strict, world, prefix):
    for path in public_pages(world, prefix):
        for method in REFUSED:
            response = strict.generic(method, path, data="title=x")
            assert response.status_code == 405, (method, path)
            assert response["Allow"] == PUBLIC_ALLOW, (method, path)
    # Reading still works, and the record was not touched.
    assert strict.get(f"{prefix}/events/published-visit/").status_code == 200
    assert strict.head(f"{prefix}/events/").status_code == 200
    world.published.refresh_from_db()
    assert world.published.title == "Published working visit"


def test_machine_addresses_answer_the_same(strict, world):
    for path in ("/sitemap.xml", "/robots.txt", "/no-such-page/"):
        options = strict.options(path)
        assert (options.status_code, options["Allow"], options.content) == (
            200,
            PUBLIC_ALLOW,
            b"",
        ), path
        for method in REFUSED:
            response = strict.generic(method, path)
            assert (response.status_code, response["Allow"]) == (405, PUBLIC_ALLOW), path
    # The health probe answers only GET and HEAD, OPTIONS included in its refusals.
    for method in ["OPTIONS", *REFUSED]:
        response = strict.generic(method, "/healthz")
        assert (response.status_code, response["Allow"]) == (405, "GET, HEAD"), method


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_the_admin_lists_post_and_its_forms_still_work(client, strict, prefix, django_user_model):
    django_user_model.objects.create_user("clerk", password="a careful passphrase", is_staff=True)
    sign_in = f"{prefix}/admin/login/"
    options = strict.options(sign_in)
    assert (options.status_code, options["Allow"], options.content) == (200, ADMIN_ALLOW, b"")
    for method in ("TRACE", "PUT", "DELETE", "PATCH"):
        response = strict.generic(method, sign_in)
        assert (response.status_code, response["Allow"]) == (405, ADMIN_ALLOW), method
    # A post without the form's token still meets the CSRF check...
    assert strict.post(sign_in, {"username": "clerk", "password": "x"}).status_code == 403
    # ...and the form, posted, signs in and out.
    response = client.post(
        f"{sign_in}?next={prefix}/admin/",
        {"username": "clerk", "password": "a careful passphrase"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{prefix}/admin/"
    assert client.get(f"{prefix}/admin/").status_code == 200
    assert client.post(f"{prefix}/admin/logout/").status_code == 200


# --- security headers on every kind of response ---------------------------------------


@pytest.fixture
def static_files(settings):
    """Whitenoise serving the apps' static files as it serves collected ones."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def page_headers(client):
    page = client.get("/events/")
    assert page.status_code == 200
    return {name: page[name] for name in SECURITY_HEADERS}


def assert_security_headers(response, expected):
    for name, value in expected.items():
        assert response.get(name) == value, (name, response.status_code)


def test_static_files_and_their_304s_carry_the_pages_security_headers(client, world, static_files):
    expected = page_headers(client)
    assert expected["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in expected["Content-Security-Policy"]
    for path in ("/static/cooperation/site.css", "/static/cooperation/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content), path
        assert_security_headers(response, expected)
        unchanged = client.get(path, headers={"if-none-match": response["ETag"]})
        assert unchanged.status_code == 304, path
        assert_security_headers(unchanged, expected)
        # Whitenoise refuses other methods itself, with the policies all the same.
        refused = client.generic("TRACE", path)
        assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD")
        assert_security_headers(refused, expected)


def test_static_files_get_hsts_and_the_policies_in_production(
    settings, monkeypatch, world, static_files
):
    for name, value in production_settings(monkeypatch).items():
        setattr(settings, name, value)
    production = Client()
    response = production.get("/static/cooperation/site.css", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    unchanged = production.get(
        "/static/cooperation/site.css",
        secure=True,
        headers={"if-none-match": response["ETag"]},
    )
    assert unchanged.status_code == 304
    assert unchanged["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" in unchanged


def test_every_early_answer_carries_the_security_headers(client, settled):
    expected = page_headers(client)
    etag = client.get("/events/")["ETag"]
    answers = {
        "304 by ETag": client.get("/events/", headers={"if-none-match": etag}),
        "304 by date": client.get(
            "/events/", headers={"if-modified-since": client.get("/events/")["Last-Modified"]}
        ),
        "cached copy": client.get("/events/"),
        "OPTIONS": client.options("/events/"),
        "405": client.delete("/events/"),
        "redirect": client.get("/", PATH_INFO="//events/"),
        "404": client.get("/events/no-such-visit/"),
        "400": client.get("/events/?year=abc"),
    }
    assert [response.status_code for response in answers.values()] == [
        304,
        304,
        200,
        200,
        405,
        301,
        404,
        400,
    ]
    for name, response in answers.items():
        for header, value in expected.items():
            assert response.get(header) == value, (name, header)
