"""Read replicas (DATABASE_REPLICA_URLS): which database each kind of request reads from.

A replica here is a second connection of its own to a database: the test database itself
(what a replica that has caught up holds), a database holding only an older registry
version (a replica behind the primary), or an address nothing answers at. The tests commit
their records (`transaction=True`), since a second connection sees only what is committed.
"""

import copy
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.db import connection, connections, router
from django.db.utils import load_backend
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from cooperation import registry_version, replicas
from cooperation.eventindex import EventTerm
from cooperation.models import Delegation

ROOT = Path(__file__).resolve().parent.parent
REPLICA_LOG = "cooperation.replicas"

pytestmark = pytest.mark.django_db(transaction=True)


# --- DATABASE_REPLICA_URLS, as a fresh process reads it ---------------------------------


def databases_under(**env):
    """(DATABASES, DATABASE_REPLICAS) as a fresh process builds them from `env`."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.DATABASES, settings.DATABASE_REPLICAS]))"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )
    return result


def parsed(**env):
    result = databases_under(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


PRIMARY = "postgres://registry:secret@10.0.0.1:5432/registry"


def test_one_replica_url_is_read_like_the_primary_url():
    databases, replica_aliases = parsed(
        DATABASE_URL=PRIMARY,
        DATABASE_REPLICA_URLS="postgres://reader:secret@10.0.0.2:5433/registry",
        DATABASE_CONN_MAX_AGE="30",
        DATABASE_STATEMENT_TIMEOUT="20",
    )
    assert replica_aliases == ["replica_1"]
    assert set(databases) == {"default", "replica_1"}
    replica = databases["replica_1"]
    assert (replica["HOST"], replica["PORT"], replica["USER"], replica["NAME"]) == (
        "10.0.0.2",
        5433,
        "reader",
        "registry",
    )
    assert replica["ENGINE"] == "django.db.backends.postgresql"
    assert replica["CONN_MAX_AGE"] == databases["default"]["CONN_MAX_AGE"] == 30
    assert replica["CONN_HEALTH_CHECKS"] is True
    assert replica["OPTIONS"] == {
        "connect_timeout": 2,
        "options": "-c statement_timeout=20000",
        "prepare_threshold": 5,
    }
    assert replica["TEST"] == {"MIRROR": "default"}
    # The primary waits on no connect timeout of the replicas' kind.
    assert databases["default"]["OPTIONS"] == {
        "options": "-c statement_timeout=20000",
        "prepare_threshold": 5,
    }


def test_two_replica_urls_separated_by_a_comma_or_spaces():
    for separated in (
        "postgres://r@10.0.0.2/registry,postgres://r@10.0.0.3/registry",
        " postgres://r@10.0.0.2/registry ,\n postgres://r@10.0.0.3/registry ",
    ):
        databases, replica_aliases = parsed(
            DATABASE_URL=PRIMARY,
            DATABASE_REPLICA_URLS=separated,
            DATABASE_REPLICA_CONNECT_TIMEOUT="5",
        )
        assert replica_aliases == ["replica_1", "replica_2"]
        assert databases["replica_1"]["HOST"] == "10.0.0.2"
        assert databases["replica_2"]["HOST"] == "10.0.0.3"
        assert databases["replica_2"]["OPTIONS"]["connect_timeout"] == 5


def test_no_replica_url_keeps_the_primary_alone():
    for unset in ({}, {"DATABASE_REPLICA_URLS": ""}, {"DATABASE_REPLICA_URLS": " , "}):
        databases, replica_aliases = parsed(DATABASE_URL=PRIMARY, **unset)
        assert replica_aliases == []
        assert set(databases) == {"default"}


def test_a_bad_replica_url_stops_start_up_without_showing_its_password():
    result = databases_under(
        DATABASE_URL=PRIMARY,
        DATABASE_REPLICA_URLS="postgres://r@10.0.0.2/registry postgres://r:hunter2@host:port/db",
    )
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: DATABASE_REPLICA_URLS: replica 2 cannot be understood"
        in result.stderr
    )
    assert "hunter2" not in result.stderr

    result = databases_under(DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS="mongodb://host/db")
    assert "DATABASE_REPLICA_URLS: replica 1 cannot be understood" in result.stderr


def test_a_replica_of_another_kind_of_database_stops_start_up():
    result = databases_under(DATABASE_URL=PRIMARY, DATABASE_REPLICA_URLS="sqlite:///replica.db")
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: DATABASE_REPLICA_URLS: replica 1 is "
        "django.db.backends.sqlite3, but DATABASE_URL is django.db.backends.postgresql"
    ) in result.stderr


# --- Replicas for the tests -------------------------------------------------------------


def mirror_of_the_test_database():
    """A replica that has caught up: its own connection to the test database."""
    return copy.deepcopy(connections["default"].settings_dict)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable(tmp_path):
    """A replica nothing answers at: a closed port, or a file in no directory."""
    settings_dict = mirror_of_the_test_database()
    if connection.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=free_port())
        settings_dict["OPTIONS"]["connect_timeout"] = 2
    else:
        settings_dict["NAME"] = str(tmp_path / "no such directory" / "replica.sqlite3")
    return settings_dict


LAGGING_SCHEMA = "lagging_replica"
VERSION_TABLE = """CREATE TABLE {}cooperation_registry_version (
    id integer PRIMARY KEY, version bigint NOT NULL, changed_at bigint NOT NULL
)"""


@pytest.fixture
def lagging(tmp_path, transactional_db):
    """A replica one write behind the primary: a database of its own whose registry version
    is the primary's less one (it holds nothing else: it must never be read past that)."""
    registry_version.bump()
    version, _ = registry_version.current()
    behind = (version - 1, 0)
    settings_dict = mirror_of_the_test_database()
    if connection.vendor == "postgresql":
        # A schema of its own, first on the replica connection's search path.
        options = settings_dict["OPTIONS"].get("options", "")
        settings_dict["OPTIONS"]["options"] = f"{options} -c search_path={LAGGING_SCHEMA}".strip()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA {LAGGING_SCHEMA}")
                cursor.execute(VERSION_TABLE.format(f"{LAGGING_SCHEMA}."))
                cursor.execute(
                    f"INSERT INTO {LAGGING_SCHEMA}.cooperation_registry_version VALUES (1, %s, %s)",
                    behind,
                )
            yield settings_dict
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {LAGGING_SCHEMA} CASCADE")
    else:
        settings_dict["NAME"] = str(tmp_path / "lagging.sqlite3")
        database = sqlite3.connect(settings_dict["NAME"])
        try:
            with database:
                database.execute(VERSION_TABLE.format(""))
                database.execute(
                    "INSERT INTO cooperation_registry_version VALUES (1, ?, ?)", behind
                )
        finally:
            database.close()
        yield settings_dict


@pytest.fixture
def use_replicas(settings, transactional_db):
    """use_replicas(settings_dict, …): the replicas replica_1, replica_2, … for this test,
    as DATABASE_REPLICA_URLS would configure them; all removed again afterwards."""
    added = []

    def use(*settings_dicts):
        for number, settings_dict in enumerate(settings_dicts, 1):
            alias = f"replica_{number}"
            # A connection made here rather than named in DATABASES: the test database was
            # set up without it, and the test case allows it as made for the test.
            backend = load_backend(settings_dict["ENGINE"])
            connections[alias] = backend.DatabaseWrapper(settings_dict, alias)
            added.append(alias)
        settings.DATABASE_REPLICAS = list(added)
        return added

    try:
        yield use
    finally:
        for alias in added:
            connections[alias].close()
            del connections[alias]
        # Replicas marked down stay so for the process; these aliases mean others next time.
        replicas._down_until.clear()


class Reads:
    """The queries each database answered within the block, by alias."""

    def __init__(self, *aliases):
        self.aliases = ("default", *aliases)
        self.stack = ExitStack()

    def __enter__(self):
        self.captured = {
            alias: self.stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in self.aliases
        }
        return self

    def __exit__(self, *exc):
        return self.stack.__exit__(*exc)

    def count(self, alias):
        return len(self.captured[alias])

    def sql(self, alias):
        return [query["sql"] for query in self.captured[alias].captured_queries]


def read_only_the_version(reads, alias):
    return reads.count(alias) == 1 and "cooperation_registry_version" in reads.sql(alias)[0]


# --- Anonymous public pages read a replica that has caught up ---------------------------


def test_an_anonymous_list_page_reads_the_replica(client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    with Reads("replica_1") as reads:
        response = client.get("/events/")
    assert response.status_code == 200
    assert "Published working visit" in response.content.decode()
    # The primary answered the page cache's version read; the page came from the replica.
    assert read_only_the_version(reads, "default")
    assert reads.count("replica_1") > 2
    assert "cooperation_registry_version" in reads.sql("replica_1")[0]
    assert replicas.reading() is None  # nothing left for the thread's next request


def test_an_anonymous_event_page_reads_the_replica(client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    with Reads("replica_1") as reads:
        response = client.get("/events/published-visit/")
        head = client.head("/az/events/published-visit/")
    assert response.status_code == head.status_code == 200
    assert "Published working visit" in response.content.decode()
    assert reads.count("default") == 2  # the version, once per request
    assert reads.count("replica_1") > 4
    # A draft is no more public on a replica.
    assert client.get("/events/draft-visit/").status_code == 404


ENTITY_PAGES = (
    "/",
    "/countries/",
    "/countries/az/",
    "/programs/program-2021-2023/",
    "/organizations/ru-pgo/",
    "/places/baku/",
    "/feeds/events.atom",
    "/sitemap.xml",
    "/events/facets/organization/",
)


def test_every_kind_of_public_page_reads_the_replica(client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    for path in ENTITY_PAGES:
        with Reads("replica_1") as reads:
            assert client.get(path).status_code == 200, path
        # Of the primary, at most the registry version (which pages name in their links).
        assert reads.count("default") >= 1, path
        assert all("cooperation_registry_version" in sql for sql in reads.sql("default")), path
        assert reads.count("replica_1") > 1, path


def test_an_export_streams_its_rows_from_the_replica(client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    with Reads("replica_1") as reads:
        response = client.get("/events/export.csv")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "Published working visit" in body and "Draft working visit" not in body
    assert read_only_the_version(reads, "default")
    assert any("cooperation_delegation" in sql for sql in reads.sql("replica_1"))


def test_several_replicas_share_the_pages(client, world, use_replicas):
    use_replicas(mirror_of_the_test_database(), mirror_of_the_test_database())
    served = []
    for path in (
        "/events/",
        "/programs/",
        "/events/published-visit/",
        "/programs/program-2021-2023/",
    ):
        with Reads("replica_1", "replica_2") as reads:
            assert client.get(path).status_code == 200
        served.append({alias for alias in ("replica_1", "replica_2") if reads.count(alias) > 1})
    # One replica a page, in turn.
    assert all(len(replica) == 1 for replica in served)
    assert set.union(*served) == {"replica_1", "replica_2"}


# --- Everything else reads the primary --------------------------------------------------


def test_the_admin_reads_the_primary(admin_client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    with Reads("replica_1") as reads:
        assert admin_client.get("/admin/").status_code == 200
        assert admin_client.get("/admin/cooperation/delegation/").status_code == 200
        change = f"/admin/cooperation/delegation/{world.published.pk}/change/"
        assert admin_client.get(change).status_code == 200
    assert reads.count("default") > 3
    assert reads.count("replica_1") == 0


def test_a_staff_member_reads_what_they_saved_from_the_primary(admin_client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    Delegation.objects.filter(pk=world.published.pk).update(title="Title just saved")
    registry_version.bump()
    with Reads("replica_1") as reads:
        page = admin_client.get("/events/published-visit/")
        preview = admin_client.get("/events/draft-visit/")
    assert "Title just saved" in page.content.decode()
    assert "Draft working visit" in preview.content.decode()  # staff preview a draft
    assert reads.count("default") > 2
    assert reads.count("replica_1") == 0


def test_a_request_with_a_session_cookie_reads_the_primary(client, world, use_replicas, settings):
    use_replicas(mirror_of_the_test_database())
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session-we-know"
    with Reads("replica_1") as reads:
        response = client.get("/events/")
    assert response.status_code == 200
    assert reads.count("default") > 2
    assert reads.count("replica_1") == 0


def test_a_304_and_a_cached_page_read_only_the_primarys_version(client, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    etag = client.get("/events/published-visit/")["ETag"]
    with Reads("replica_1") as reads:
        not_modified = client.get("/events/published-visit/", headers={"if-none-match": etag})
        cached = client.get("/events/published-visit/")
    assert not_modified.status_code == 304
    assert cached.status_code == 200 and cached["ETag"] == etag
    assert reads.count("default") == 2  # the version, once per request
    assert reads.count("replica_1") == 0


def test_the_health_probe_reads_the_primary(client, db, use_replicas):
    use_replicas(mirror_of_the_test_database())
    with Reads("replica_1") as reads:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert reads.sql("default") == ["SELECT 1"]
    assert reads.count("replica_1") == 0


def test_a_post_reads_and_writes_the_primary(client, db, use_replicas, django_user_model):
    use_replicas(mirror_of_the_test_database())
    django_user_model.objects.create_user("editor", password="a long pass phrase", is_staff=True)
    with Reads("replica_1") as reads:
        signed_in = client.post(
            "/admin/login/", {"username": "editor", "password": "a long pass phrase"}
        )
        refused = client.post("/events/")
    assert signed_in.status_code == 302  # signed in: the session was written
    assert refused.status_code == 405
    assert reads.count("default") > 2
    assert reads.count("replica_1") == 0


def test_a_write_while_reading_a_replica_goes_to_the_primary(rf, world, use_replicas):
    use_replicas(mirror_of_the_test_database())
    version, _ = registry_version.current()

    def view(request):
        visit = Delegation.objects.get(slug="published-visit")
        visit.title = "Renamed"
        visit.save(update_fields=["title"])
        return HttpResponse(visit.pk)

    with Reads("replica_1") as reads:
        response = replicas.serve(rf.get("/events/"), version, view)
    visit = Delegation.objects.get(pk=int(response.content))
    assert any(sql.startswith("UPDATE") for sql in reads.sql("default"))
    assert not any(sql.startswith("UPDATE") for sql in reads.sql("replica_1"))
    assert any("cooperation_delegation" in sql for sql in reads.sql("replica_1"))
    assert visit._state.db == "default" and visit.title == "Renamed"


def test_nothing_is_migrated_on_a_replica(use_replicas):
    use_replicas(mirror_of_the_test_database())
    assert router.allow_migrate_model("default", Delegation)
    assert not router.allow_migrate_model("replica_1", Delegation)
    # The event index stays out of dumps, as before.
    assert not router.allow_migrate_model("default", EventTerm)


# --- A replica that cannot serve: the primary does --------------------------------------


def test_a_replica_behind_the_primary_is_passed_over(client, world, use_replicas, lagging):
    use_replicas(lagging)
    with Reads("replica_1") as reads:
        response = client.get("/events/published-visit/")
    assert response.status_code == 200
    assert "Published working visit" in response.content.decode()
    assert read_only_the_version(reads, "replica_1")
    assert reads.count("default") > 2


def test_a_replica_behind_is_passed_over_for_one_that_has_caught_up(
    client, world, use_replicas, lagging
):
    use_replicas(lagging, mirror_of_the_test_database())
    for path in ("/events/", "/programs/", "/events/published-visit/"):
        with Reads("replica_1", "replica_2") as reads:
            assert client.get(path).status_code == 200
        assert read_only_the_version(reads, "default")
        assert reads.count("replica_1") <= 1  # at most its version
        assert reads.count("replica_2") > 1


def test_an_unreachable_replica_is_passed_over_without_an_error(
    client, world, use_replicas, tmp_path, caplog
):
    use_replicas(unreachable(tmp_path))
    with caplog.at_level(logging.WARNING, logger=REPLICA_LOG), Reads() as reads:
        first = client.get("/events/")
        second = client.get("/events/published-visit/")
    assert first.status_code == second.status_code == 200
    assert "Published working visit" in second.content.decode()
    assert reads.count("default") > 4
    # Tried once, then left alone for DATABASE_REPLICA_RETRY_SECONDS (5 s by default).
    warnings = [r for r in caplog.records if r.name == REPLICA_LOG]
    assert len(warnings) == 1
    assert "replica_1 cannot be read" in warnings[0].getMessage()
    assert replicas.down() == {"replica_1"}


def test_an_unreachable_replica_is_tried_again_after_its_retry_time(
    client, world, use_replicas, tmp_path, caplog, settings
):
    settings.REPLICA_RETRY_SECONDS = 0
    use_replicas(unreachable(tmp_path))
    with caplog.at_level(logging.WARNING, logger=REPLICA_LOG):
        assert client.get("/events/").status_code == 200
        assert client.get("/programs/").status_code == 200
    assert len([r for r in caplog.records if r.name == REPLICA_LOG]) == 2


def test_an_unreachable_replica_leaves_the_others_serving(
    client, world, use_replicas, tmp_path, caplog
):
    use_replicas(unreachable(tmp_path), mirror_of_the_test_database())
    for path in ("/events/", "/programs/", "/events/published-visit/"):
        with caplog.at_level(logging.WARNING, logger=REPLICA_LOG), Reads("replica_2") as reads:
            assert client.get(path).status_code == 200
        assert read_only_the_version(reads, "default")
        assert reads.count("replica_2") > 1
    assert replicas.down() == {"replica_1"}


def test_a_replica_that_fails_during_a_page_leaves_the_page_to_the_primary(
    world, use_replicas, caplog
):
    """A replica stopped while a page is read from it: the visitor gets the page, read
    again from the primary, not a 500; the replica is left alone for its retry time. The
    log says so once, and logs no server error the visitor never saw."""
    from django.test import Client

    use_replicas(mirror_of_the_test_database())

    def cut_off(execute, sql, params, many, context):
        # The version read succeeds (the replica was up when chosen); every read after it
        # fails as a stopped server's would.
        if "cooperation_registry_version" in sql:
            return execute(sql, params, many, context)
        return execute(
            "SELECT * FROM a_table_the_stopped_replica_cannot_answer", None, False, context
        )

    # A test client re-raises any exception that reached Django's handler: the replica's
    # failure must be handled before it does.
    visitor = Client()
    with (
        connections["replica_1"].execute_wrapper(cut_off),
        caplog.at_level(logging.WARNING, logger=REPLICA_LOG),
        Reads() as reads,
    ):
        response = visitor.get("/events/published-visit/")
        following = visitor.get("/events/")
    assert response.status_code == following.status_code == 200
    assert "Published working visit" in response.content.decode()
    assert reads.count("default") > 4  # both pages read from the primary
    assert replicas.down() == {"replica_1"}
    warnings = [r.getMessage() for r in caplog.records if r.name == REPLICA_LOG]
    assert warnings == [
        "Read replica replica_1 failed during /events/published-visit/; read again from "
        "the primary, which serves for 5 s."
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
