"""Which database a query goes to.

`DerivedDataRouter` keeps derived tables out of what Django copies between databases.
`dumpdata` (and so every fixture this project exports or backs up) writes the models a
router allows to migrate. The event index (`EventTerm`, `EventTermCount`, `EventTermList`)
is derived from the records and rebuilt from them on load, so it must not travel with them.
Its tables are created by migrations' SQL (the models are unmanaged), which this router
does not affect.

`ReplicaRouter` sends the reads of an anonymous public page to the read replica chosen for
that request (cooperation/replicas.py), and everything else to the primary ("default"):
every write, and every read of a request for which no replica was chosen (the admin, a
request with a session cookie, a POST, /healthz, a page when no replica is as new as the
primary). A replica's tables are the primary's, copied by the database server: nothing is
ever migrated on one.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from . import replicas

DERIVED = {"eventterm", "eventtermcount", "eventtermlist"}


class DerivedDataRouter:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "cooperation" and model_name in DERIVED:
            return False
        return None


def _primary_or_replica(db):
    return db == DEFAULT_DB_ALIAS or db in settings.DATABASE_REPLICAS


def _hinted_elsewhere(hints):
    """Whether the query is about a record read from another database than the primary and
    its replicas (a backup being restored into a database of its own): that one is left to
    Django, which keeps it where its record came from."""
    instance = hints.get("instance")
    db = instance._state.db if instance is not None else None
    return db is not None and not _primary_or_replica(db)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _hinted_elsewhere(hints):
            return None
        return replicas.reading()

    def db_for_write(self, model, **hints):
        # A record read from a replica is saved to the primary, as every write is.
        if _hinted_elsewhere(hints):
            return None
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if _primary_or_replica(obj1._state.db) and _primary_or_replica(obj2._state.db):
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db in settings.DATABASE_REPLICAS:
            return False
        return None
