"""The page cache on Redis, shared by every app server, that never breaks a page.

With CACHE_URL=redis://… every app server keeps its copies of the public pages in one
Redis, so a page rendered by one is served by all. Invalidation needs nothing from Redis:
a page's key carries the registry version, read from the database on every request
(cooperation/caching.py), so a change seen by one server gives every server new keys.

The cache only saves work, so Redis failing must never fail a page. Django's own RedisCache
raises redis' errors into the request; this one answers as an empty cache instead (a miss,
a write that did not happen) and the page is rendered from the database and served
uncached. Three things keep a dead or hung Redis cheap:

- short socket timeouts (connect and read, SOCKET_TIMEOUT by default), so a Redis that does
  not answer costs a request at most that long rather than hanging it;
- after a failure to reach it, Redis is not asked again for RETRY_AFTER seconds: every
  request in between is served uncached at no cost, and the first one after that tries
  again, so a Redis that comes back is used again without a restart;
- one warning when Redis stops answering and at most one every WARN_EVERY seconds while it
  stays away (not one per request), and one line when it answers again.

OPTIONS: `socket_timeout` and `socket_connect_timeout` (seconds) replace the defaults, as
does the same parameter in the URL's query string (redis://host:6379/0?socket_timeout=1);
`retry_after` (seconds) sets the pause after a failure. Every other option goes to redis-py
as Django's RedisCache passes it.

The back-off is kept per cache object, and Django makes one per thread: a server with
several threads may pay one timeout per thread, not one per request.
"""

import logging
import time
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 0.25
RETRY_AFTER = 2.0
WARN_EVERY = 60.0

# Redis could not be reached or did not answer in time: not asked again for a while.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

_MISSING = object()


def describe(server):
    """A server's address for the log, without the password a URL may carry."""
    parts = urlsplit(server)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def why(error):
    # The error's own repr() says little (redis-py 8: "network:ConnectionError").
    return f"{type(error).__name__}: {error}"


class RedisPageCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", RETRY_AFTER))
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        self.address = ", ".join(describe(s) for s in self._servers)
        self._paused_until = 0.0  # time.monotonic() before which Redis is not asked
        self._down_since = None  # when Redis was first found unreachable, while it is
        self._warned_at = None

    def _guarded(self, fallback, operation, *args):
        """operation(*args), or `fallback` when Redis fails or is paused after a failure."""
        if time.monotonic() < self._paused_until:
            return fallback
        try:
            result = operation(*args)
        except UNREACHABLE as error:
            self._unreachable(error)
            return fallback
        except RedisError as error:
            # Redis answered, with an error (out of memory, read-only replica…): this
            # operation fails, the next one may not, so Redis is not paused.
            self._warn("Redis cache at %s failed (%s): the page is served uncached.", why(error))
            return fallback
        if self._down_since is not None:
            logger.info(
                "Redis cache at %s answers again after %.0f s: pages are cached again.",
                self.address,
                time.monotonic() - self._down_since,
            )
            self._down_since = None
            self._warned_at = None
        return result

    def _unreachable(self, error):
        now = time.monotonic()
        self._paused_until = now + self.retry_after
        if self._down_since is None:
            self._down_since = now
            self._warned_at = None
        self._warn(
            "Redis cache at %s unreachable (%s): pages are served uncached; "
            "trying again every %g s.",
            why(error),
            self.retry_after,
        )

    def _warn(self, message, *args):
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            logger.warning(message, self.address, *args)

    # Every operation of Django's cache API, each answering as an empty cache would when
    # Redis fails. A key Django itself refuses still raises: that is a programming error.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guarded(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guarded({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guarded(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # An empty cache has no value to increment: what every backend raises for a
        # missing key (decr() is incr() with -delta).
        value = self._guarded(_MISSING, super().incr, key, delta, version)
        if value is _MISSING:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # The keys that were not stored: all of them.
        return self._guarded(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        self._guarded(None, super().delete_many, keys, version)

    def clear(self):
        return self._guarded(False, super().clear)
