"""Read replicas for anonymous public pages (DATABASE_REPLICA_URLS).

The page cache (cooperation/caching.py) has already read the primary's registry version for
an anonymous public GET or HEAD that it must render: the page's ETag and cache key name
that version. `serve()` then renders the page from a replica whose own registry version is
at least that one (one primary-key read on the replica), so the page is exactly as new as
its ETag says, and the public never sees a record older than the primary had. A replica
behind by even one write is passed over: that is the lag bound. A replica that cannot be
reached is passed over too, and left alone for DATABASE_REPLICA_RETRY_SECONDS, so that
requests do not each wait on its connect timeout. With no replica fit to serve, the primary
does.

Every other request reads the primary (cooperation/routers.py): the admin, any request
with a session cookie (perhaps staff, who must see what they have just saved), writes,
/healthz. Writes always go to the primary, wherever the request reads.
"""

import contextvars
import itertools
import logging
import threading
import time

from django.conf import settings
from django.db import Error, connections
from django.http import HttpResponse

from . import registry_version

logger = logging.getLogger(__name__)

# The replica this request's reads go to, or None for the primary.
_replica = contextvars.ContextVar("replica", default=None)
# Each request starts its search one replica further on, so that the reads are spread.
_turns = itertools.count()
# alias -> time.monotonic() until which the replica is not tried again.
_down_until = {}
_down_lock = threading.Lock()


def reading():
    """The replica the current request reads from, or None (the primary)."""
    return _replica.get()


def down():
    """The replicas now passed over because they could not be reached."""
    now = time.monotonic()
    with _down_lock:
        return {alias for alias, until in _down_until.items() if until > now}


def _mark_down(alias):
    with _down_lock:
        _down_until[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS


def _forget_down(alias):
    with _down_lock:
        _down_until.pop(alias, None)


def choose(version):
    """A replica whose registry version is at least `version`, or None."""
    aliases = settings.DATABASE_REPLICAS
    if not aliases:
        return None
    unreachable = down()
    start = next(_turns) % len(aliases)
    for alias in aliases[start:] + aliases[:start]:
        if alias in unreachable:
            continue
        try:
            replica_version, _ = registry_version.current(using=alias)
        except Error:
            # Down, unreachable, timed out, or not yet holding the table. The next requests
            # go to the others until it has had time to come back.
            logger.warning(
                "Read replica %s cannot be read; the primary and any other replica serve for %s s.",
                alias,
                settings.REPLICA_RETRY_SECONDS,
                exc_info=True,
            )
            connections[alias].close()
            _mark_down(alias)
            continue
        _forget_down(alias)
        if replica_version >= version:
            return alias
        logger.debug("Read replica %s is behind: version %s < %s.", alias, replica_version, version)
    return None


class ReplicaFailed(HttpResponse):
    """What a view that failed on its replica hands back to serve(), which reads the page
    again from the primary: never sent to a visitor."""

    status_code = 503


def failed_read(exception):
    """A ReplicaFailed for `exception` when it is the replica's failure under a page read
    from it, else None: the page cache's `process_exception` (cooperation/caching.py).
    Handled there, before Django's handler turns it into a 500, the failure is logged once,
    as the warning serve() writes, not also as a server error the visitor never saw."""
    alias = _replica.get()
    if alias is None or not isinstance(exception, Error) or not connections[alias].errors_occurred:
        return None
    return ReplicaFailed()


def serve(request, version, get_response):
    """`get_response(request)` with its reads on a replica as new as `version`, if any.

    The choice holds for this request alone: it is undone however the response ends,
    before the thread serves another request.
    """
    alias = choose(version)
    if alias is None:
        return get_response(request)
    token = _replica.set(alias)
    try:
        response = get_response(request)
    finally:
        _replica.reset(token)
    if response.status_code >= 500 and connections[alias].errors_occurred:
        # The replica failed while the page was read from it (stopped, restarted, its
        # connection cut): the page is read again from the primary, as it would have been
        # had the replica been found down first, and the replica is left alone meanwhile.
        # A page only reads, so reading it twice changes nothing.
        logger.warning(
            "Read replica %s failed during %s; read again from the primary, which serves for %s s.",
            alias,
            request.path,
            settings.REPLICA_RETRY_SECONDS,
        )
        connections[alias].close()
        _mark_down(alias)
        return get_response(request)
    if response.streaming and not response.is_async:
        # A streamed body (an export) is read after this returns: each of its chunks is
        # read from the same replica, and the choice undone between them.
        response.streaming_content = _streamed_from(alias, response.streaming_content)
    return response


def _streamed_from(alias, chunks):
    chunks = iter(chunks)
    while True:
        token = _replica.set(alias)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _replica.reset(token)
        yield chunk
