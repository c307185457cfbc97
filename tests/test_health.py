"""/healthz: 200 while the database answers, 503 when it does not; never cached."""

import pytest
from django.db import connection
from django.test import override_settings


def _refuse(name=None):
    raise connection.Database.OperationalError(
        "connection to server at db.internal (10.0.0.5) failed: server closed the connection"
    )


@pytest.fixture
def database_down(db):
    """The driver refuses every new cursor, as it does when the server has gone away.

    The driver's own exception is raised, so Django's error wrapping turns it into
    django.db.OperationalError on the way to the view, as in production. The patch is
    undone before the test database is rolled back (which needs a cursor).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "create_cursor", _refuse)
        yield


def test_healthz_is_ok_when_the_database_answers(client, db, django_assert_num_queries):
    # 1. SELECT 1; no session, no user, no page-cache version read.
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(client, database_down, caplog):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert b"10.0.0.5" not in response.content
    assert b"server closed" not in response.content
    # The reason is for the operator's log, not for whoever asked.
    assert any(
        r.name == "cooperation.health" and "10.0.0.5" in (r.exc_text or "") for r in caplog.records
    )


@pytest.mark.parametrize("down", [False, True])
def test_healthz_is_never_stored(client, db, down):
    with pytest.MonkeyPatch.context() as patch:
        if down:
            patch.setattr(connection, "create_cursor", _refuse)
        response = client.get("/healthz")
    assert response.status_code == (503 if down else 200)
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert not response.has_header("ETag")


def test_healthz_reports_an_outage_right_after_an_ok(client, db):
    # The public page cache would hand back the first answer while no record changed.
    assert client.get("/healthz").status_code == 200
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "create_cursor", _refuse)
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz", HTTP_IF_NONE_MATCH="*").status_code == 503


def test_healthz_answers_head(client, db):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_healthz_refuses_other_methods(client, method):
    # Refused before the view runs: no database access is needed (or allowed) here.
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_healthz_needs_no_session(client, db):
    client.cookies["sessionid"] = "not-a-real-session"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")


def test_healthz_keeps_host_checking(client, caplog):
    client.raise_request_exception = False
    response = client.get("/healthz", HTTP_HOST="attacker.example")
    assert response.status_code != 200
    assert b"ok" not in response.content
    assert any(r.name == "django.security.DisallowedHost" for r in caplog.records)


@override_settings(SECURE_SSL_REDIRECT=True)
def test_healthz_answers_plain_http_where_pages_redirect(client, db):
    # A probe on the server's own port speaks HTTP, without the proxy's header.
    assert client.get("/healthz").status_code == 200
    assert client.get("/robots.txt").status_code == 301
