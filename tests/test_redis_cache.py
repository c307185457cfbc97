"""The page cache on a shared Redis (cooperation/redis_cache.py): every app server serves the
pages another cached, a publish is seen at once through every server, and a Redis that dies
or hangs costs pages their cache, never an error.

Against a real redis-server started here on a free port of 127.0.0.1 (never 6379, where a
system Redis may be running). Two app servers are two test clients, each with its own cache
object and so its own connections to Redis, as two processes would have.
"""

import functools
import logging
import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cooperation import records
from tests import required

BACKEND = "cooperation.redis_cache.RedisPageCache"
LOGGER = "cooperation.redis_cache"
# Generous: the machine may be slow and loaded. Nothing here waits this long when all is well.
DEADLINE = 30.0
# Pages of the shared world (tests/conftest.py) and a text each shows.
PAGES = [
    ("/events/", "Published working visit"),
    ("/events/published-visit/", "Published working visit"),
    ("/programs/", "Cooperation Program 2021-2023"),
]


skip_or_fail = functools.partial(required.skip_or_fail, "the Redis tests")


def free_port():
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port != 6379:
            return port


class RedisServer:
    """A redis-server of our own: no persistence, 127.0.0.1 only, stopped by whoever started
    it. stop() and start() keep the port, as a Redis restarted by its operator would."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.paused = False

    def start(self):
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 (the server writes it)
        try:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    *f"--port {self.port} --bind 127.0.0.1 --appendonly no --daemonize no".split(),
                    *("--save", "", "--dir", str(self.workdir)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + DEADLINE
        while True:
            if self.process.poll() is not None:
                output = (self.workdir / "redis.log").read_text(errors="replace")
                pytest.fail(f"redis-server exited with {self.process.returncode}:\n{output}")
            try:
                if self.ask(lambda client: client.ping()):
                    return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def stop(self):
        """Kill the server, as a crash would: no goodbye to its clients."""
        if self.process is None:
            return
        self.resume()
        self.process.kill()
        self.process.wait(timeout=DEADLINE)
        self.process = None

    def pause(self):
        """Freeze the server: connections are still accepted, nothing is ever answered."""
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused:
            self.process.send_signal(signal.SIGCONT)
            self.paused = False

    def ask(self, question):
        with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=DEADLINE) as client:
            return question(client)

    def page_keys(self):
        """How many pages Redis holds (cooperation/caching.py names their keys page:…)."""
        return len(self.ask(lambda client: client.keys(":*:page:*")))


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is missing (Debian: apt-get install redis-server)")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


class AppServer:
    """One app server: its own client and its own cache object, hence its own connections."""

    def __init__(self):
        self.cache = caches.create_connection("default")
        self.client = Client()

    @contextmanager
    def serving(self):
        previous = caches["default"]
        caches["default"] = self.cache
        try:
            yield
        finally:
            caches["default"] = previous

    def get(self, path, **extra):
        with self.serving():
            return self.client.get(path, **extra)

    def queries_for(self, path):
        """(response, number of database queries it took)."""
        with CaptureQueriesContext(connection) as queries:
            response = self.get(path)
        return response, len(queries)


@pytest.fixture
def app_servers(redis_server, settings):
    """Two app servers sharing the Redis; a test may pass a shorter pause after a failure."""

    def make(retry_after=0.2):
        settings.CACHES = {
            "default": {
                "BACKEND": BACKEND,
                "LOCATION": redis_server.url,
                "OPTIONS": {"retry_after": retry_after},
            }
        }
        return AppServer(), AppServer()

    if redis_server.process is None:  # an earlier test failed with it stopped
        redis_server.start()
    redis_server.ask(lambda client: client.flushall())
    try:
        yield make
    finally:
        redis_server.resume()
        if redis_server.process is None:
            redis_server.start()


def publish_draft(world):
    records.submit_for_review(world.draft)
    records.publish(world.draft)


def until(condition, what):
    """Ask `condition()` again until it holds; fail if it does not within DEADLINE."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE:g} s: {what}")
        time.sleep(0.1)


def caches_in_redis(server, redis_server):
    assert server.get("/events/").status_code == 200
    return redis_server.page_keys() > 0


def served_from_cache(server, path, text):
    response, queries = server.queries_for(path)
    assert response.status_code == 200
    assert text in response.text
    return queries == 1  # the registry version's read, and no rendering


def test_a_page_cached_by_one_server_is_served_by_the_other(app_servers, world, redis_server):
    a, b = app_servers()
    first, queries = a.queries_for("/events/published-visit/")
    assert first.status_code == 200 and queries > 1  # rendered from the database
    assert redis_server.page_keys() == 1

    second, queries = b.queries_for("/events/published-visit/")
    assert second.status_code == 200
    assert "Published working visit" in second.text
    assert queries == 1  # the registry version, then A's copy from Redis


def test_a_publish_through_one_server_is_seen_through_the_other_at_once(app_servers, world):
    a, b = app_servers()
    for server in (a, b):
        assert "Draft working visit" not in server.get("/events/").text
    assert b.get("/events/draft-visit/").status_code == 404
    assert served_from_cache(b, "/events/", "Published working visit")

    with a.serving():
        publish_draft(world)

    page = b.get("/events/")
    assert page.status_code == 200
    assert "Draft working visit" in page.text and "Published working visit" in page.text
    assert b.get("/events/draft-visit/").status_code == 200
    # The new page is shared in turn.
    assert served_from_cache(a, "/events/", "Draft working visit")


def test_pages_are_served_while_redis_is_down_and_cached_again_once_it_is_back(
    app_servers, world, redis_server, caplog
):
    a, b = app_servers()
    assert a.get("/events/").status_code == 200
    assert served_from_cache(b, "/events/", "Published working visit")

    redis_server.stop()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(5):
            for server in (a, b):
                for path, text in PAGES:
                    response = server.get(path)
                    assert response.status_code == 200
                    assert text in response.text
        # A publish while Redis is down is on every page at once.
        with a.serving():
            publish_draft(world)
        assert "Draft working visit" in b.get("/events/").text
        assert b.get("/events/draft-visit/").status_code == 200

        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        # One line from each server when Redis went away, not one per request.
        assert len(warnings) == 2, [r.getMessage() for r in warnings]
        assert all("unreachable" in r.getMessage() for r in warnings)
        assert str(redis_server.port) in warnings[0].getMessage()

        redis_server.start()  # on the same port, empty
        # Each server tries Redis again after its pause and caches pages there once more.
        until(lambda: caches_in_redis(a, redis_server), "A caches in Redis again")
        until(
            lambda: served_from_cache(b, "/events/", "Draft working visit"),
            "B serves A's copy from Redis again",
        )
    back = [r.getMessage() for r in caplog.records if "answers again" in r.getMessage()]
    assert len(back) == 2, back


def test_a_hung_redis_costs_a_short_timeout_and_no_stale_page(app_servers, world, redis_server):
    a, b = app_servers(retry_after=0.5)
    assert a.get("/events/").status_code == 200
    assert served_from_cache(b, "/events/", "Published working visit")

    redis_server.pause()
    # A Redis that accepts connections and never answers: the cache gives up on its own
    # (its socket timeouts), rather than holding the request for as long as Redis hangs.
    answers = []
    asking = threading.Thread(target=lambda: answers.append(b.cache.has_key("x")), daemon=True)
    asking.start()
    asking.join(DEADLINE)
    assert not asking.is_alive(), "a frozen Redis held the cache call"
    assert answers == [False]

    with a.serving():
        publish_draft(world)
    for server in (a, b):
        page = server.get("/events/")
        assert page.status_code == 200
        assert "Draft working visit" in page.text

    # Redis comes back still holding the copies made before the publish: none is served.
    redis_server.resume()
    until(
        lambda: (
            served_from_cache(b, "/events/", "Draft working visit")
            or served_from_cache(a, "/events/", "Draft working visit")
        ),
        "the servers cache the new page in Redis again",
    )
    for server in (a, b):
        assert "Draft working visit" in server.get("/events/").text


def test_after_a_failure_a_server_leaves_redis_alone_for_a_while(app_servers, world, redis_server):
    # A long pause, so that the test never outlives it on a slow machine.
    a, b = app_servers(retry_after=300)
    redis_server.stop()
    assert a.get("/events/").status_code == 200  # fails to reach Redis: A pauses
    redis_server.start()

    # Redis is back, but A does not ask it until its pause is over: a Redis that is down
    # costs A's requests nothing meanwhile, not a timeout each.
    for _ in range(3):
        response, queries = a.queries_for("/events/")
        assert response.status_code == 200 and queries > 1
    assert redis_server.page_keys() == 0

    # B saw no failure and uses Redis at once.
    assert b.get("/events/").status_code == 200
    assert redis_server.page_keys() > 0
    assert served_from_cache(b, "/events/", "Published working visit")


def test_cache_operations_answer_as_an_empty_cache_while_redis_is_down(app_servers, redis_server):
    a, _ = app_servers(retry_after=0)
    cache = a.cache
    cache.set("greeting", "hello")
    assert cache.get("greeting") == "hello"

    redis_server.stop()
    assert cache.get("greeting", "default") == "default"
    assert cache.get_or_set("greeting", "computed") == "computed"
    assert cache.set("greeting", "bye") is None
    assert cache.add("other", 1) is False
    assert cache.has_key("greeting") is False
    assert cache.get_many(["greeting", "other"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.touch("greeting") is False
    assert cache.delete("greeting") is False
    assert cache.delete_many(["a", "b"]) is None
    assert cache.clear() is False
    with pytest.raises(ValueError):
        cache.incr("counter")
    with pytest.raises(ValueError):
        cache.decr("counter")

    redis_server.start()  # empty, as a restarted Redis without persistence is
    cache.set("greeting", "again")
    assert cache.get("greeting") == "again"
    cache.set("counter", 1)
    assert cache.incr("counter") == 2


def test_a_redis_cache_url_gives_the_backend_that_serves_pages_uncached_when_down(monkeypatch):
    """config/settings.py reads CACHE_URL=redis://… as this backend, not Django's own,
    whose errors would reach the page."""
    import runpy
    from pathlib import Path

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6390/2")
    read = runpy.run_path(str(Path(__file__).resolve().parent.parent / "config" / "settings.py"))
    assert read["CACHES"]["default"] == {
        "BACKEND": "cooperation.redis_cache.RedisPageCache",
        "LOCATION": "redis://127.0.0.1:6390/2",
    }
