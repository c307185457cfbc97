"""How many published visits of a result set fall under each value of a facet: each
programme, organization, country, year… Exact, or visibly an estimate; never the count of a
sample shown as a total.

A result set (`Results`) is what the event list's filters select: terms of the event index
that every visit has (cooperation/eventindex.py), a date range, or, where the index cannot
answer (a full-text search), the ids of the visits themselves. A count reads the event index
rows of those visits:

- the whole archive: the index keeps each term's count (`EventTermCount`), read as it is;
- the years or months of a single term's visits, up to DATED_LIMIT of them: that term's
  own rows grouped by the date each carries;
- up to EXACT_LIMIT visits: every term of every visit, read from each visit's list of its
  terms (`EventTermList`) and counted here (one query for all the facets of a page);
- more: the terms of a sample spread evenly over the results (the visits whose sample slot,
  a number the event index derives from the id, is below a bound: whatever the order of the
  list), scaled to the whole and marked as an estimate, rounded as pagination rounds its
  estimates.

The values are what the index stores after the prefix: a record's id as text, a country
code, a visit type, "2023" for a year, "2023-12" for a month, "RU>AZ" for a direction (the
sending side's country, then the host side's).
"""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connections, router
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    Func,
    IntegerField,
    Lookup,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, ExtractMonth, ExtractYear

from . import eventindex, registry_version
from .models import Delegation, EventTerm, EventTermCount, EventTermList
from .pagination import ResultCount, _round, count_results

# The prefix of each kind of count in the event index.
PREFIXES = {**eventindex.PREFIXES, "year": "y", "month": "m", "direction": "d"}
KIND_OF = {prefix: kind for kind, prefix in PREFIXES.items()}

# Counted exactly up to this many visits: every index row of each (about twenty a visit).
# Exact counting costs in proportion to the visits, the sample about as much as 600 of
# them: at 2,000 visits the exact count took 13 ms more than the sample would have, a fifth
# of a list page at a million visits (a country's year there: 66 ms, 53 ms with the
# sample).
EXACT_LIMIT = 1_000
# Past it, about this many visits are read and the counts scaled.
SAMPLE = 600
# The sample is the results whose slot (eventindex.SLOT) is below a bound. Read from the
# event index, it is a range of the index on (term, slot). Results the index cannot answer
# (a full-text search) are the visits themselves: while there are at most this many ids up
# to the highest with a slot below the bound, they are looked up as keys (a probe each of
# the primary key); past it the results are few beside the archive, and are scanned for
# their slots.
PROBE_LIMIT = 5_000
# On PostgreSQL, the published visits of slots below this number have their search vectors
# in an index of their own, keyed by slot first (migration 0029, delegation_search_sample):
# a search with at least SAMPLE * SLOTS / SEARCH_SAMPLE_SLOTS matches (9,600) reads its
# sample's matches from it, a few hundred entries, instead of probing every visit of those
# slots and reading its vector, most of them kept out of line. At a million visits the
# sample of a word that 145,681 visits have (5 slots) took 44 ms by probes, 3.3 ms from the
# index.
SEARCH_SAMPLE_SLOTS = 64
# The kinds a visit's date decides. For the results of one term (an entity's timeline, the
# years of a programme), they are counted from that term's own index rows, each of which
# carries its visit's date: exact, and while there are at most DATED_LIMIT of them fewer
# rows than a sample's, about twenty for each of SAMPLE visits. At a million visits a
# programme's 2,348 rows took 1.3 ms, 5,000 rows 2.3 ms, the sample's count 5 ms.
DATED = {"year", "month"}
DATED_LIMIT = 5_000


@dataclass(frozen=True)
class Counts:
    """Every value of one kind with its number of visits (`values`), and whether the
    numbers are exact or estimated."""

    values: dict = field(default_factory=dict)
    exact: bool = True

    @cached_property
    def ranked(self):
        """(value, count) pairs, the most frequent first, ties in the order of their values."""
        return sorted(self.values.items(), key=lambda item: (-item[1], item[0]))

    def top(self, limit):
        return self.ranked[:limit]

    def derived(self, reading):
        """reading(values), worked out once for these counts: the whole archive's are kept
        per registry version (whole_archive), and what a picture reads of them with them."""
        return self.kept(reading, lambda: reading(self.values))

    def kept(self, key, make, limit=None):
        """make(), worked out once for these counts under `key` and kept with them (for the
        whole archive's, until the registry changes). With `limit`, at most that many
        things are kept this way under keys of the same kind (key[0]): past it, make() is
        called each time, so keys read from a request cannot grow the memory without end."""
        readings = self.__dict__.setdefault("_readings", {})
        if key in readings:
            return readings[key]
        made = make()
        kind = key[0] if isinstance(key, tuple) else key
        if (
            limit is None
            or sum(1 for k in readings if isinstance(k, tuple) and k[0] == kind) < limit
        ):
            readings[key] = made
        return made


@dataclass(frozen=True)
class Results:
    """A set of published visits: those with every one of `terms`, between two dates; or,
    when `ids` is given, the visits it lists (any filter the index cannot answer)."""

    terms: tuple = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    ids: QuerySet | None = None
    using: str = "default"
    # What count_many() has counted of these results already, by kind: the list's facets
    # and its pictures read one counting.
    counted: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def whole_archive(self):
        return not self.terms and self.ids is None and not self.date_from and not self.date_to

    def visit_ids(self):
        """A queryset of the visits' ids (unordered)."""
        if self.ids is not None:
            return self.ids.order_by()
        if self.terms:
            return eventindex.matching(
                self.terms, using=self.using, date_from=self.date_from, date_to=self.date_to
            ).order_by()
        # Every published visit has the term of its year: the years of the range (the index
        # counts a few dozen, known from the whole archive's counts, kept per registry
        # version), each read between its dates from the index.
        years = [
            f"y:{year}"
            for year in whole_archive("y", self.using).values
            if (not self.date_from or int(year) >= self.date_from.year)
            and (not self.date_to or int(year) <= self.date_to.year)
        ]
        rows = EventTerm.objects.using(self.using).filter(term__in=years)
        if self.date_from:
            rows = rows.filter(start_date__gte=self.date_from)
        if self.date_to:
            rows = rows.filter(start_date__lte=self.date_to)
        return rows.values_list("delegation_id", flat=True)

    def within_year(self, year):
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return Results(
            terms=self.terms,
            date_from=max(self.date_from, first) if self.date_from else first,
            date_to=min(self.date_to, last) if self.date_to else last,
            ids=self.ids,
            using=self.using,
        )


def everything(using=None):
    # By default from the database the request reads: a replica for an anonymous page
    # (cooperation/routers.py).
    return Results(using=using or router.db_for_read(EventTerm))


def involving(name, value, year=None, using=None):
    """The published visits with `value` for the filter `name` (a record, or a code)."""
    using = using or router.db_for_read(EventTerm)
    results = Results(terms=(eventindex.term(name, value),), using=using)
    return results.within_year(year) if year else results


def for_filterset(filterset):
    """The results of a valid EventFilter (cooperation/filters.py)."""
    data = filterset.form.cleaned_data
    using = filterset.queryset.db
    if data.get("q"):
        return Results(ids=filterset.qs.values_list("pk", flat=True), using=using)
    terms = tuple(
        eventindex.term(name, data[name]) for name in eventindex.PREFIXES if data.get(name)
    )
    results = Results(
        terms=terms, date_from=data.get("date_from"), date_to=data.get("date_to"), using=using
    )
    return results.within_year(data["year"]) if data.get("year") else results


def count(results, kind, total=None):
    return count_many(results, [kind], total)[kind]


def count_many(results, kinds, total=None):
    """{kind: Counts} for each of `kinds` over `results`, in one reading of the index.

    `total`, the number of results where the caller knows it already (the list counts its
    results), spares counting them again when they are too many to count exactly.
    """
    if all(kind in results.counted for kind in kinds):
        return {kind: results.counted[kind] for kind in kinds}
    found = _count_many(results, kinds, total)
    results.counted.update(found)
    return found


def _count_many(results, kinds, total):
    prefixes = {PREFIXES[kind]: kind for kind in kinds}
    if results.whole_archive:
        version = registry_version.current(results.using)
        return {kind: whole_archive(PREFIXES[kind], results.using, version) for kind in kinds}
    ids = results.visit_ids()
    # Read as a list of ids first: up to EXACT_LIMIT keys, each then a probe of the index by
    # visit. Handed the results as a subquery, PostgreSQL may hash every row of the index.
    # Not read when the caller's total says there are too many to count exactly: the
    # list passes its count (exact up to pagination.COUNT_CAP, an estimate past it), and
    # at a million visits reading 2,001 matches of a search only to find there were more
    # took 41 ms. A single term's count is kept by the index, and read first for the same
    # reason (a programme's facet page at a million visits).
    if total is None:
        total = _kept_total(results)
    one_term = len(results.terms) == 1 and results.ids is None
    if set(kinds) <= DATED and one_term and total is not None and total <= DATED_LIMIT:
        return _count_dated(ids, kinds)
    known_large = total is not None and total > EXACT_LIMIT
    chosen = [] if known_large else list(ids[: EXACT_LIMIT + 1])
    scale = 1.0
    sampled = known_large or len(chosen) > EXACT_LIMIT
    if sampled:
        total = total if known_large else _total(results, ids)
        chosen = _sample(ids, _slots_for(total), results.using)
    found, visits = terms_of(chosen, prefixes, results.using)
    if sampled:
        if not visits:
            return {kind: Counts(exact=False) for kind in kinds}
        scale = total / visits
    values = {kind: {} for kind in kinds}
    for term, number in found.items():
        prefix, value = term.split(":", 1)
        if prefix in prefixes:
            values[prefixes[prefix]][value] = number
    if scale == 1.0:
        return {kind: Counts(values[kind]) for kind in kinds}
    # A sample's numbers are small: each is scaled and rounded once, not once per value.
    scaled = {}
    for number in {n for found in values.values() for n in found.values()}:
        scaled[number] = max(_round(round(number * scale)), 1)
    return {kind: Counts({v: scaled[n] for v, n in values[kind].items()}, False) for kind in kinds}


def terms_of(visit_ids, prefixes, using):
    """({term: visits}, how many visits were read) over the visits `visit_ids` (a list of
    ids, or a queryset of them), of the terms with one of `prefixes` (and perhaps others:
    the caller keeps what it asked for).

    Several kinds (a list's facets and pictures ask for every kind, a country page for its
    pictures' three) are read from each visit's list of its terms (eventindex.LIST_TABLE), a
    row per visit, and counted here: joined and split once, Counter counts the terms of 600
    visits, about 15,000, in C. At a million visits a country's 693 sampled visits took
    2.5 ms to read and 1.2 ms to count, against 5.3-6.7 ms for their rows of the index. A
    sample's ids are then a subquery of the same statement, rather than a list read first
    and sent back (0.6 ms less for a person's 610).
    One kind (a facet page) is a range of each visit's rows in the (delegation, term) index
    on PostgreSQL (eventindex.POSTGRESQL), counted there: 2.8 ms for those visits, whose
    ids are read first."""
    one_kind = len(prefixes) == 1
    if one_kind or not isinstance(visit_ids, QuerySet):
        visit_ids = list(visit_ids)
        if not visit_ids:
            # No visit, no query (Django's SQL for `IN ()` is none at all: EmptyResultSet).
            return {}, 0
        among_visits = among("delegation_id", visit_ids, using)
    else:
        among_visits = Q(delegation_id__in=visit_ids)
    if one_kind:
        (prefix,) = prefixes
        rows = (
            EventTerm.objects.using(using)
            .filter(among_visits, term__startswith=f"{prefix}:")
            .values_list("term")
            .annotate(count=Count("*"))
        )
        return dict(_read(rows, using)), len(visit_ids)
    lists = EventTermList.objects.using(using).filter(among_visits).values_list("terms")
    texts = [text for (text,) in _read(lists, using)]
    return (Counter(" ".join(texts).split(" ")) if texts else {}), len(texts)


def _read(rows, using):
    """The rows of the values queryset `rows`, unordered, read with a cursor of their own:
    Django's reading of each row (its converters) cost 1 us a row."""
    with connections[using].cursor() as cursor:
        cursor.execute(*rows.order_by().query.get_compiler(using).as_sql())
        return cursor.fetchall()


def _count_dated(rows, kinds):
    """Years or months (DATED) of the results of a single term, exactly, from `rows`, that
    term's own index rows (Results.visit_ids): one for each of its visits, with the visit's
    date."""
    per_month = (
        rows.values(in_year=ExtractYear("start_date"), in_month=ExtractMonth("start_date"))
        .annotate(count=Count("*"))
        .values_list("in_year", "in_month", "count")
    )
    values = {kind: {} for kind in kinds}
    for year, month, number in per_month:
        # Keyed as the index keys them (eventindex.COUNTED): "2023", "2023-05".
        if "year" in values:
            values["year"][str(year)] = values["year"].get(str(year), 0) + number
        if "month" in values:
            values["month"][f"{year}-{month:02d}"] = number
    return {kind: Counts(values[kind]) for kind in kinds}


class SampleSlot(Func):
    """A visit's sample slot (eventindex.SLOT) from the column of its id, written as the
    index on (term, slot) has it so that PostgreSQL reads that index."""

    template = f"((%(expressions)s * {eventindex.SLOT_FACTOR}) %%%% {eventindex.SLOTS})"
    output_field = IntegerField()


def slot_of(visit_id):
    return visit_id * eventindex.SLOT_FACTOR % eventindex.SLOTS


def _slots_for(total):
    """How many of the lowest slots hold about SAMPLE of `total` results."""
    return min(max(math.ceil(SAMPLE * eventindex.SLOTS / total), 1), eventindex.SLOTS)


def _sample(ids, slots, using):
    """The results of `ids` whose sample slot is below `slots`: an even spread over them
    whatever their order. From the event index, a range of its (term, slot) index for the
    first term. Of the visits themselves (a search), asked by slot alone a common word read
    every one of its matches (half a million at a million visits: 3.5 s) to keep a few
    hundred; asked for the ids of those slots as keys, it reads those few. On PostgreSQL,
    within SEARCH_SAMPLE_SLOTS, the index of those slots' vectors gives just the matches."""
    if ids.model is EventTerm:
        return ids.alias(sample_slot=SampleSlot("delegation_id")).filter(sample_slot__lt=slots)
    indexed = slots <= SEARCH_SAMPLE_SLOTS and connections[using].vendor == "postgresql"
    keys = None if indexed else _probed_keys(slots, using)
    if keys is not None:
        return ids.filter(among("pk", keys, ids.db))
    # By slot. The bound as a bigint, the slot's type: the index's slot column (btree_gin)
    # has no operator comparing it with a smaller integer, and would not be read.
    bound = Cast(Value(slots), BigIntegerField())
    return ids.alias(sample_slot=SampleSlot("pk")).filter(sample_slot__lt=bound)


def _probed_keys(slots, using):
    """Every id of the archive's range whose slot is below `slots`, or None when there are
    more than PROBE_LIMIT of them."""
    highest = _highest_id(using)
    # A slot depends on the id modulo SLOTS alone: the ids of the chosen slots are these
    # remainders in every run of SLOTS numbers.
    remainders = [r for r in range(eventindex.SLOTS) if slot_of(r) < slots]
    runs = highest // eventindex.SLOTS + 1
    if runs * len(remainders) > PROBE_LIMIT:
        return None
    return [
        start + r
        for start in range(0, highest + 1, eventindex.SLOTS)
        for r in remainders
        if 0 < start + r <= highest
    ]


class _AnyOf(Lookup):
    """`column = ANY(%s)`, the keys one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, self.rhs]


def among(column, keys, using):
    """A condition: `column` is one of `keys` (integers). On PostgreSQL one array parameter
    rather than `IN` with a placeholder per key: psycopg reads a query for its placeholders
    on every execution, and a facet's few thousand keys cost a page at a million visits
    15-30 ms of it."""
    if connections[using].vendor == "postgresql":
        return _AnyOf(F(column), [int(key) for key in keys])
    return Q(**{f"{column}__in": keys})


def _highest_id(using):
    return Delegation.objects.using(using).aggregate(highest=Max("pk"))["highest"] or 0


def kept_count(results):
    """The exact number of `results` as a pagination.ResultCount where the index keeps it,
    else None: the whole archive, and a list filtered by one record, a country, a visit
    type or a year alone, are counted exactly, however many visits they have, without
    reading them."""
    if results.whole_archive:
        # Every published visit has exactly one year's term: the archive is their sum.
        total = sum(whole_archive("y", results.using).values.values())
    else:
        total = _kept_total(results)
    return None if total is None else ResultCount(total, exact=True)


def _kept_total(results):
    """The number of results when the index keeps it, else None: a single term without
    dates, or no term between the first and the last day of one year (the visits of that
    year, each of which has the year's term: eventindex.COUNTED)."""
    if results.ids is not None:
        return None
    if not results.terms and _one_whole_year(results.date_from, results.date_to):
        # The year's count is among the whole archive's, kept per registry version.
        return whole_archive("y", results.using).values.get(str(results.date_from.year), 0)
    if len(results.terms) != 1 or results.date_from or results.date_to:
        return None
    return (
        EventTermCount.objects.using(results.using)
        .filter(term=results.terms[0])
        .values_list("events", flat=True)
        .first()
    )


def _one_whole_year(first, last):
    return (
        first is not None
        and last is not None
        and first.year == last.year
        and (first.month, first.day) == (1, 1)
        and (last.month, last.day) == (12, 31)
    )


def _total(results, ids):
    """The number of results, when it is more than EXACT_LIMIT: counted as the list counts
    them (exactly up to a cap, past it PostgreSQL's estimate), or wholly where the database
    gives no estimate."""
    counted = count_results(ids)
    return counted.value if counted.exact or counted.estimated else ids.count()


# The whole archive's counts, every kind read in one query and kept per registry version
# (cooperation/registry_version.py).
_whole = registry_version.KeptPerVersion()


def _read_whole(using):
    values = {counted: {} for counted in PREFIXES.values()}
    for term, events in EventTermCount.objects.using(using).values_list("term", "events"):
        counted, value = term.split(":", 1)
        if counted in values:
            values[counted][value] = events
    return {counted: Counts(found) for counted, found in values.items()}


def whole_archive(prefix, using="default", version=None):
    """Counts over every published visit, from the counts the index keeps: exact, and read
    once per version of the registry, since they change only when it does."""
    return _whole.get(None, lambda: _read_whole(using), using=using, version=version)[prefix]
