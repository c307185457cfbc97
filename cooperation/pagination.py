"""Paging through results without counting a whole archive.

Counting every match costs as much as reading it. Up to COUNT_CAP matches are counted
exactly (a COUNT over a LIMITed subquery); past that the count is PostgreSQL's planner
estimate, labelled "about", or "more than COUNT_CAP" where no estimate exists. Paging
stops at MAX_PAGES, which bounds the OFFSET any request can ask the database to skip;
narrower filters reach the rest.
"""

import json
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

COUNT_CAP = 10_000
MAX_PAGES = 1_000


@dataclass(frozen=True)
class ResultCount:
    value: int
    exact: bool
    estimated: bool = False

    def __bool__(self):
        return self.value > 0

    def __str__(self):
        # Grouped as the page's language groups digits: 10,000; 10 000.
        if self.exact:
            return number_format(self.value, force_grouping=True)
        if self.estimated:
            return _("about %(count)s") % {"count": number_format(self.value, force_grouping=True)}
        return _("more than %(count)s") % {"count": number_format(COUNT_CAP, force_grouping=True)}


def planner_estimate(queryset):
    """PostgreSQL's estimate of the rows a query returns, or None elsewhere."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = queryset.order_by().explain(format="json")
    return int(json.loads(plan)[0]["Plan"]["Plan Rows"])


# A planner estimate this far above the cap is trusted without counting (see count_results).
TRUSTED_ESTIMATE = 5 * COUNT_CAP


def count_results(queryset, estimate_first=False):
    """Count up to COUNT_CAP exactly, else estimate.

    `estimate_first` asks the planner before counting, for a full-text search: a common
    word's matches come from one GIN bitmap that is built whole whatever the LIMIT (44 ms
    for 145,000 matches at a million visits), while the planner's word statistics put it
    within a few percent. Only an estimate far above the cap is taken as it is.
    """
    if estimate_first:
        estimate = planner_estimate(queryset)
        if estimate is not None and estimate > TRUSTED_ESTIMATE:
            return ResultCount(_round(estimate), exact=False, estimated=True)
    counted = queryset.order_by()[: COUNT_CAP + 1].count()
    if counted <= COUNT_CAP:
        return ResultCount(counted, exact=True)
    estimate = planner_estimate(queryset)
    if estimate is not None and estimate > COUNT_CAP:
        return ResultCount(_round(estimate), exact=False, estimated=True)
    return ResultCount(COUNT_CAP + 1, exact=False)


def _round(number):
    """2 significant figures: an estimate should not look more precise than it is."""
    digits = max(len(str(number)) - 2, 0)
    return round(number, -digits)


class ResultPage:
    """One page of results, with what a template needs to link to its neighbours."""

    def __init__(self, object_list, number, num_pages, count, per_page):
        self.object_list = object_list
        self.number = number
        self.num_pages = num_pages
        self.count = count
        self.per_page = per_page
        self.paginator = self  # templates written for Django's Page read page.paginator.*

    def __len__(self):
        return len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    @property
    def pages_capped(self):
        return self.num_pages == MAX_PAGES and (
            not self.count.exact or self.count.value > MAX_PAGES * self.per_page
        )

    def has_next(self):
        return self.number < self.num_pages

    def has_previous(self):
        return self.number > 1

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1

    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0


def page_of(queryset, number, per_page=None, rows=None, count=None):
    """The page `number` of `queryset`; Http404 past the end.

    `rows`, when given, turns the page's slice of `queryset` (ids, say) into what is shown;
    `count`, when given, is the count_results() of `queryset`.
    """
    per_page = per_page or settings.EVENTS_PER_PAGE
    count = count or count_results(queryset)
    # An exact count may be past COUNT_CAP when it was kept rather than counted
    # (facets.kept_count): the pages stop at MAX_PAGES all the same.
    num_pages = (
        min(max(1, math.ceil(count.value / per_page)), MAX_PAGES) if count.exact else MAX_PAGES
    )
    if number > num_pages:
        raise Http404("There is no such page of results.")
    offset = (number - 1) * per_page
    found = list(queryset[offset : offset + per_page])
    if not found and number > 1:
        raise Http404("There is no such page of results.")
    if not count.exact and len(found) < per_page:
        # The last page of an estimated count: now the end is known.
        num_pages = number
    return ResultPage(rows(found) if rows else found, number, num_pages, count, per_page)


class EstimatingPaginator(Paginator):
    """Django's paginator, for the admin, counting the way the public lists do.

    The admin counts the rows of every filtered changelist it shows; at a million visits
    that is a full scan per page. This paginator counts up to COUNT_CAP rows exactly and
    past that takes the planner's estimate; `result_count` keeps the label ("about
    160,000") for the templates.
    """

    # Set for a search (see RecordAdmin.get_paginator): count_results' estimate_first.
    estimate_first = False

    @cached_property
    def result_count(self):
        return count_results(self.object_list, self.estimate_first)

    @cached_property
    def count(self):
        return self.result_count.value
