"""HTTP as a client program reads it: conditional requests (cooperation/caching.py)."""

import time

import pytest
from django.utils.http import http_date

from cooperation import records
from cooperation.models import Status

from .test_caching import changed_at_micros

LANGUAGES = ["", "/az", "/ru"]
FUTURE = "Thu, 01 Jan 2099 00:00:00 GMT"


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
