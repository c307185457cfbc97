"""Keeps derived tables out of what Django copies between databases.

`dumpdata` (and so every fixture this project exports or backs up) writes the models a
router allows to migrate. The event index (`EventTerm`, `EventTermCount`) is derived from
the records and rebuilt from them on load, so it must not travel with them. Its tables are
created by migrations' SQL (the models are unmanaged), which this router does not affect.
"""

DERIVED = {"eventterm", "eventtermcount"}


class DerivedDataRouter:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "cooperation" and model_name in DERIVED:
            return False
        return None
