"""Public pages answer conditional requests and are cached until any record changes."""

import datetime as dt
import math
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperation import caching, records, registry_version
from cooperation.models import Delegation, Status


def test_page_carries_validators_and_revalidates(client, world):
    response = client.get("/events/")
    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert "Last-Modified" in response
    assert "no-cache" in response["Cache-Control"]


def test_matching_etag_answers_304_without_rendering(client, world):
    etag = client.get("/events/published-visit/")["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/events/published-visit/", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert len(queries) == 1  # the registry version, nothing else


def changed_at_micros(monkeypatch, seconds):
    monkeypatch.setattr(registry_version, "_now_micros", lambda: int(seconds * 1_000_000))
    registry_version.bump()


def test_if_modified_since_answers_304(client, world, monkeypatch):
    changed_at_micros(monkeypatch, time.time() - 10.4)
    last_modified = client.get("/programs/")["Last-Modified"]
    response = client.get("/programs/", headers={"if-modified-since": last_modified})
    assert response.status_code == 304


def test_a_second_change_within_the_same_second_is_never_hidden_by_a_304(
    client, world, monkeypatch
):
    # Two edits 0.5 s apart, within one whole second: a client that fetched the page between
    # them holds the first version, and its If-Modified-Since must not get a 304.
    # In a second yet to come, so that the page is served within it whatever the machine's
    # speed (a real second change always comes after the page was served).
    start = math.floor(time.time()) + 5.2
    changed_at_micros(monkeypatch, start)
    first = client.get("/programs/")
    Delegation.objects.filter(pk=world.published.pk).update(title="Second title")
    changed_at_micros(monkeypatch, start + 0.5)
    response = client.get("/programs/", headers={"if-modified-since": first["Last-Modified"]})
    assert response.status_code == 200


def test_changed_record_answers_200_to_an_old_etag(client, world):
    etag = client.get("/events/published-visit/")["ETag"]
    world.published.title = "Renamed working visit"
    world.published.save()
    response = client.get("/events/published-visit/", headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "Renamed working visit" in response.text
    assert response["ETag"] != etag


def test_repeated_anonymous_request_is_served_from_the_cache(client, world):
    client.get("/events/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/events/")
    assert response.status_code == 200
    assert "Published working visit" in response.text
    assert len(queries) == 1


def test_cached_list_forgets_an_unpublished_event_at_once(client, world):
    assert "Published working visit" in client.get("/events/").text
    world.published.status = Status.DRAFT
    world.published.save()
    assert "Published working visit" not in client.get("/events/").text
    assert client.get("/events/published-visit/").status_code == 404


def test_a_script_writing_through_the_write_path_invalidates_search_and_pages(client, world):
    assert "Published working visit" in client.get("/events/", {"q": "published"}).text
    world.published.title = "Quietly renamed"
    records.save(world.published)
    assert list(client.get("/events/", {"q": "published"}).context["events"]) == []
    found = client.get("/events/", {"q": "quietly"}).context["events"]
    assert [event.title for event in found] == ["Quietly renamed"]


def test_editing_a_draft_leaves_public_validators_alone(client, world):
    first = client.get("/events/")
    world.draft.title = "Draft renamed"
    records.save(world.draft)
    again = client.get("/events/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]


def test_loaddata_invalidates_cached_pages(client, db):
    assert "Baku" not in client.get("/events/").text
    call_command("loaddata", "baku_2023", verbosity=0)
    assert "Baku" in client.get("/events/").text


def test_signed_in_staff_get_fresh_private_pages(admin_client, world):
    admin_client.get("/events/")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/events/")
    assert response.status_code == 200
    assert len(queries) > 1
    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


def test_error_responses_are_not_cached_as_pages(client, world):
    assert client.get("/events/", {"year": "abc"}).status_code == 400
    assert client.get("/events/", {"year": "abc"}).status_code == 400
    assert client.get("/events/nope/").status_code == 404


def test_if_none_match_any_does_not_hide_a_missing_page(client, world):
    response = client.get("/events/draft-visit/", headers={"if-none-match": "*"})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_version_read_is_the_kept_connections_health_check(monkeypatch):
    """Under a server, each request begins by marking a kept connection's health check due
    (CONN_HEALTH_CHECKS, config/settings.py). The version read that begins a public request
    stands for it: no `SELECT 1` before it, and a connection that broke since the last
    request is replaced rather than answering with an error."""
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    registry_version.bump()
    expected = registry_version.current()

    def request_begins():
        # A connection kept between requests (CONN_MAX_AGE over 0 or None), checks on.
        connection.close_at = None
        connection.health_check_enabled = True
        connection.close_if_unusable_or_obsolete()  # what request_started runs
        assert connection.connection is not None and not connection.health_check_done

    request_begins()
    with CaptureQueriesContext(connection) as queries:
        assert registry_version.current() == expected
    assert len(queries) == 1 and not checks
    assert connection.health_check_done  # no check left for a later query to make

    if connection.vendor == "sqlite":
        return  # the test database lives in memory: closed, it would be gone, not reopened
    # The server closed the kept connection between two requests.
    request_begins()
    broken = connection.connection
    broken.close()
    assert registry_version.current() == expected
    assert connection.connection is not broken and not checks


def prepared_reads():
    """How many statements prepared on the connection are the version read."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s",
            [registry_version.READ],
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)
def test_the_version_read_is_prepared_on_each_connection():
    """The read that begins every public request, and is most of a 304, is parsed and
    planned once per connection rather than once per request
    (DATABASE_PREPARED_STATEMENTS, config/settings.py); a read whose queries are counted
    still goes through Django's cursor and is counted."""
    connection.ensure_connection()
    expected = registry_version.current()
    for _ in range(6):
        assert registry_version.current() == expected
    with CaptureQueriesContext(connection) as queries:
        assert registry_version.current() == expected
        assert prepared_reads() == 1
    assert [query["sql"] for query in queries][0] == registry_version.READ


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)
def test_the_version_read_is_prepared_again_when_the_server_forgot_it():
    """A pooler may hand the connection a fresh session, without the statement prepared on
    the last one: the read prepares it again rather than failing the request."""
    connection.ensure_connection()
    version, _ = registry_version.current()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert prepared_reads() == 0
    registry_version.bump()
    assert registry_version.current()[0] == version + 1
    assert prepared_reads() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)
def test_the_version_read_prepares_nothing_when_prepared_statements_are_off():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection.prepare_threshold = None  # DATABASE_PREPARED_STATEMENTS=false
    try:
        version, _ = registry_version.current()
        registry_version.bump()
        assert registry_version.current()[0] == version + 1
        assert prepared_reads() == 0
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_version_read_within_a_transaction_sees_its_writes():
    """Inside a transaction (a write path's), the read is the transaction's own: a change
    it has made and not yet committed is already the version."""
    version, _ = registry_version.current()
    with transaction.atomic():
        registry_version.bump()
        assert registry_version.current()[0] == version + 1
    assert registry_version.current()[0] == version + 1


@pytest.mark.parametrize("zone", ["UTC", "Asia/Baku"])
def test_the_day_a_page_is_read_turns_at_the_zones_midnight(monkeypatch, zone):
    """The day is kept for the second it was worked out in: the second after midnight, in
    the site's time zone, is the next day, and its pages have other validators."""
    with timezone.override(zone):
        midnight = dt.datetime(2026, 12, 7, tzinfo=timezone.get_current_timezone()).timestamp()
        monkeypatch.setattr(time, "time", lambda: midnight - 0.5)
        assert caching.today() == dt.date(2026, 12, 6)
        before = caching.validated(None, caching.today(), timezone.get_current_timezone())
        monkeypatch.setattr(time, "time", lambda: midnight)
        assert caching.today() == dt.date(2026, 12, 7)
        after = caching.validated(None, caching.today(), timezone.get_current_timezone())
    assert before[0] < after[0] and before[1] != after[1]
    assert after[0].timestamp() == pytest.approx(midnight - 1e-6)
