"""The app server's heap, kept out of the way of Python's cycle collector.

A full collection walks every container object the process holds. After start-up that is
about 110,000 of them (modules, classes, functions, settings), and after the first pages
about 145,000 (compiled templates, URL patterns, translations, the kept counts of
cooperation/facets.py). One full collection then takes 75-95 ms on two cores, and it
falls inside whichever request happens to allocate past the threshold: at a million
visits one admin changelist in ten took 180-250 ms instead of 90.

`settle()` collects once and then freezes what is left (`gc.freeze()`): the objects
alive at that moment move to a generation no collection walks, and the collector only
ever looks at what requests allocate. It runs twice in an app server's process, from
config/wsgi.py:
- when the application is loaded, before the first request;
- once more after the process has served `WARM_AFTER` requests, when the lazily built
  state (templates, URL resolvers, the kept counts) is in place. The receiver then
  disconnects itself: it settles once, not on every request.

Freezing leaves the collector's oldest generation small, and CPython starts a full
collection once that generation has grown by a quarter since the last: with 20,000 objects
left after the freeze, the objects a page of the admin has in hand at some moment of its
rendering are enough, and one changelist in eight still paid 25-30 ms. The oldest
generation is therefore collected after `FULL_EVERY` collections of the middle one rather
than CPython's 10: at a million visits the admin's tail fell from 30 ms to 3 ms of
collection. The youngest generations keep CPython's thresholds: reference cycles made
and dropped within a request are still freed within it.

What is frozen is never collected as cyclic garbage. Only objects alive at one of the two
moments are frozen, so at most that state can outlive its use (a database connection
replaced later, counts of an older registry version), once per process, and gunicorn
replaces a worker after `max_requests` (deploy/gunicorn.conf.py) anyway. The test suite
does not load config/wsgi.py and keeps the collector's defaults.
"""

import gc

from django.core.signals import request_finished

WARM_AFTER = 100
FULL_EVERY = 1000


def settle():
    """Collect the cyclic garbage there is now, then freeze every object still alive."""
    gc.collect()
    gc.freeze()


class SettleWhenWarm:
    """A request_finished receiver that settles the heap once, after `after` requests."""

    def __init__(self, after=WARM_AFTER):
        self.after = after
        self.served = 0

    def __call__(self, **kwargs):
        self.served += 1
        if self.served >= self.after:
            request_finished.disconnect(self)
            settle()


def settle_app_server():
    """Collect the oldest generation rarely, settle now, and settle again once the process
    is warm: config/wsgi.py calls it after the application is loaded."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)
    settle()
    request_finished.connect(SettleWhenWarm(), weak=False)
