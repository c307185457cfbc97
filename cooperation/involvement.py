"""What a visit involves, defined once, as lookup paths from a visit (Delegation).

A visit involves the organizations, countries and people of its sending and host bodies,
its members, everyone who took part in its activities on any side, and the signatories of
the instruments signed during it; the places it and its activities happened at, with every
place holding them (up to the country: places are rooted in countries); the topics it, its
activities and the instruments signed during it concerned, with every broader topic; the
occasions it or its activities were part of. Direction is kept apart: `from_country` is the
sending side's country, `to_country` the host side's.

Everything that asks "which visits involve X" or "what does this visit involve" is built
from these paths, on every database:

- the event index's rows (cooperation/eventindex.py), which answer the public filters,
  facets, entity pages and exports;
- `Delegation.objects.involving()` and the `.public()` querysets of organizations, people,
  places and topics (cooperation/models.py);
- the names in a visit's search text, and the visits a changed record reaches
  (cooperation/records/derived.py).

To make a visit involve something new, add its path here; tests/test_involvement.py checks
each path against a real record through every one of those.

This module names models by their lookups only, so the models can import it.
"""

from django.db.models import Q

# How deep parent chains of places and topics are followed (country > region > city >
# building > room): a place is inside at most this many others (TreeNode.clean refuses a
# deeper one), so "a place and everything inside it" is a fixed set of joins, not a walk.
TREE_DEPTH = 4


def _up(paths):
    """`paths` to a place or topic, and to each record above it."""
    return tuple(path + "__parent" * depth for path in paths for depth in range(TREE_DEPTH + 1))


ORGANIZATIONS = (
    "sending_organization",
    "host_organization",
    "meetings__host_organization",
    "meetings__participants__organization",
    "signings__instrument__signatories__organization",
)
PEOPLE = (
    "members__person",
    "meetings__participants__person",
    "signings__instrument__signatories__person",
)
PLACES = ("location", "meetings__place", "workshops__place", "site_visits__place")
TOPICS = (
    "topics",
    "meetings__topics",
    "workshops__topics",
    "site_visits__topics",
    "signings__instrument__topics",
)
OCCASIONS = ("occasion", "meetings__occasion", "workshops__occasion", "site_visits__occasion")

# The filters of the event list, each with the prefix of its terms in the event index and
# the paths whose values are its terms.
KINDS = {
    "organization": ("o", ORGANIZATIONS),
    "person": ("p", PEOPLE),
    "country": ("c", tuple(path + "__country" for path in ORGANIZATIONS)),
    "from_country": ("f", ("sending_organization__country",)),
    "to_country": ("h", ("host_organization__country",)),
    "place": ("l", _up(PLACES)),
    "topic": ("t", _up(TOPICS)),
    "program": ("g", ("program",)),
    "instrument": ("i", ("signings__instrument",)),
    "occasion": ("k", OCCASIONS),
    "visit_type": ("v", ("visit_type",)),
}

# Paths to the records a visit's search text names (the names, not the ancestors: a visit
# in Baku is found by "Baku" and by "Azerbaijan" through its location's parent only).
NAMED = {
    "organization": ORGANIZATIONS,
    "person": PEOPLE,
    "place": (*PLACES, "location__parent"),
    "topic": TOPICS,
    "occasion": OCCASIONS,
}


def fields_along(model, path):
    """The fields `path` from `model` crosses, in order, ending at a column or a record."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        yield field
        if not field.is_relation:
            return
        model = field.related_model


def to_many(model, path):
    """Whether `path` from `model` crosses a one-to-many or many-to-many relation."""
    return any(field.one_to_many or field.many_to_many for field in fields_along(model, path))


def names_a_record(model, path):
    """Whether `path` from `model` ends at a record (its id) rather than at a value."""
    *_, last = fields_along(model, path)
    return last.is_relation


def condition(visits, kind, value):
    """Q for the visits of `visits` (a queryset) that involve `value` (a record, or a code
    for countries and visit types) as `kind`.

    A path through a to-many relation becomes a subquery of visit ids, so that a visit
    involving `value` twice is still one row."""
    model = visits.model
    found = Q()
    for path in KINDS[kind][1]:
        if to_many(model, path):
            inner = model._base_manager.using(visits.db).filter(**{path: value}).order_by()
            found |= Q(pk__in=inner.values("pk"))
        else:
            found |= Q(**{path: value})
    return found
