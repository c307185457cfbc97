"""The admin's date hierarchy, without reading a whole archive to list its years, or a
whole year to list its months; and a changelist's rows, written as Django writes them at
a fraction of the cost."""

import datetime as dt

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    date_hierarchy,
    result_headers,
    result_list,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Max, Min
from django.template.defaultfilters import iriencode
from django.urls import NoReverseMatch
from django.utils import formats
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cooperation.admin import year_span

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def archive_date_hierarchy(cl):
    """Django's drill-down, except its first two levels.

    Django lists the years that have rows with SELECT DISTINCT over every row (0.3 s at a
    million visits), and a year's months the same way over the year's rows (13 ms); here
    the years between the archive's first and last visit, and a year's months between its
    first and last, come from two index lookups each instead, so a year or a month may
    list no rows. Within a month, Django's own day level reads only that month.
    """
    field = cl.date_hierarchy
    year = cl.params.get(f"{field}__year")
    if year and not any(cl.params.get(f"{field}__{part}") for part in ("month", "day")):
        return _months(cl, field, year)
    if any(cl.params.get(f"{field}__{part}") for part in ("year", "month", "day")):
        return date_hierarchy(cl)
    # The archive's span, not the filtered list's: a search matching 100,000 visits would
    # make even MIN and MAX read them all.
    span = year_span(cl.root_queryset, field)
    if span is None or span[0] == span[1]:
        return date_hierarchy(cl)
    return {
        "show": True,
        "choices": [
            {
                "link": cl.get_query_string({f"{field}__year": year}, [f"{field}__"]),
                "title": str(year),
            }
            for year in range(span[0], span[1] + 1)
        ],
    }


def _months(cl, field, year):
    """The months of `year` from its first visit's to its last, among the whole archive's
    (as the years are), linked as Django links them."""
    try:
        first_day, next_year = dt.date(int(year), 1, 1), dt.date(int(year) + 1, 1, 1)
    except (TypeError, ValueError, OverflowError):
        # Not a year: Django's own level says nothing is there.
        return date_hierarchy(cl)
    span = (
        cl.root_queryset.order_by()
        .filter(**{f"{field}__gte": first_day, f"{field}__lt": next_year})
        .aggregate(first=Min(field), last=Max(field))
    )
    months = []
    if span["first"] is not None:
        months = [
            dt.date(first_day.year, month, 1)
            for month in range(span["first"].month, span["last"].month + 1)
        ]
    year_field, month_field = f"{field}__year", f"{field}__month"
    return {
        "show": True,
        "back": {"link": cl.get_query_string({}, [f"{field}__"]), "title": _("All dates")},
        "choices": [
            {
                "link": cl.get_query_string(
                    {year_field: year, month_field: month.month}, [f"{field}__"]
                ),
                "title": capfirst(formats.date_format(month, "YEAR_MONTH_FORMAT")),
            }
            for month in months
        ],
    }


# --- A changelist's rows ----------------------------------------------------------------


@register.tag(name="written_result_list")
def written_result_list_tag(parser, token):
    """{% written_result_list cl %}: Django's {% result_list cl %}, the same template and the
    same HTML, its rows written by `written_rows`."""
    return InclusionAdminNode(
        parser,
        token,
        func=written_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


def written_result_list(cl):
    if not _writable(cl):
        return result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": written_rows(cl),
    }


def _writable(cl):
    """Lists whose rows `written_rows` writes: not an editable list (its rows hold forms),
    nor a pop-up's (its links carry the chosen value)."""
    return isinstance(cl, ChangeList) and not (cl.formset or cl.is_popup or cl.to_field)


def written_rows(cl):
    """The rows of a changelist's page, each as one piece of HTML, the same as Django's
    `items_for_result` writes cell by cell (tests/test_admin.py compares them).

    Django works out each cell's column anew: its field or method, its classes, whether it
    links, its "empty" text (a translation each time), a choice field's table of labels
    (rebuilt twice a cell, each label then translated). For a page of 100 visits' ten
    columns that was 48 ms of the changelist's 110 at a million visits. Here each column
    is worked out once per page, and each cell only reads and writes its value."""
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        column = _Column(cl, index, name, first)
        first = first and not column.link
        columns.append(column)
    return [
        ResultList(None, [mark_safe("".join(column.cell(result) for column in columns))])
        for result in cl.result_list
    ]


class _Column:
    def __init__(self, cl, index, name, first):
        self.cl = cl
        self.name = name
        self.model_admin = model_admin = cl.model_admin
        self.empty = model_admin.get_empty_value_display()
        self.classes = [f"field-{_coerce_field_name(name, index)}"]
        links = cl.list_display_links
        self.link = links is not None and ((first and not links) or name in links)
        self.tag = "th" if self.link and first else "td"
        self.field = self.attr = None
        self.labels = None
        self.memo, self.written = False, {}
        self.read = "django"
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if not callable(name) and hasattr(model_admin, name) and name != "__str__":
                self.read = "admin"
                self.attr = getattr(model_admin, name)
        else:
            self.read = "field"
            field = self.field
            dated = isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
            if dated and not field.auto_created:
                self.classes.append("nowrap")
            # A cell of an office or a date depends on its value alone, and a page repeats
            # them: each is written once per page.
            named = isinstance(field, models.ForeignKey) or (
                isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
            )
            self.memo = named and not self.link and not field.auto_created
            if getattr(field, "flatchoices", None):
                try:
                    self.labels = {
                        value: str(label) if isinstance(label, Promise) else label
                        for value, label in field.flatchoices
                    }
                except TypeError:
                    self.labels = None

    def lookup(self, result):
        if self.read == "field":
            return self.field, None, getattr(result, self.name)
        if self.read == "admin":
            return None, self.attr, self.attr(result)
        return lookup_field(self.name, result, self.model_admin)

    def cell(self, result):
        if not self.memo:
            return self.write(result)
        key = getattr(result, self.field.attname)
        if key not in self.written:
            self.written[key] = self.write(result)
        return self.written[key]

    def write(self, result):
        classes = self.classes
        try:
            field, attr, value = self.lookup(result)
        except ObjectDoesNotExist:
            shown = self.empty
        else:
            empty = getattr(attr, "empty_value_display", self.empty)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if field is None or field.auto_created:
                if self.name == "action_checkbox":
                    classes = ["action-checkbox"]
                boolean = getattr(attr, "boolean", False)
                if isinstance(attr, property) and hasattr(attr, "fget"):
                    boolean = getattr(attr.fget, "boolean", False)
                shown = display_for_value(value, empty, boolean)
                if isinstance(value, (dt.date, dt.time)):
                    classes = [*classes, "nowrap"]
            elif isinstance(field.remote_field, models.ManyToOneRel):
                # The related record itself, as `lookup` read it.
                shown = empty if value is None else value
            elif self.labels is not None and _hashable(value):
                shown = self.labels.get(value, empty)
            else:
                shown = display_for_field(value, field, empty, avoid_link=self.link)
        row_class = f' class="{" ".join(classes)}"'
        if not self.link:
            return f"<td{row_class}>{conditional_escape(shown)}</td>"
        try:
            url = self.cl.url_for_result(result)
        except NoReverseMatch:
            linked = conditional_escape(shown)
        else:
            # Without filters to preserve, Django's add_preserved_filters() only writes the
            # address again as it is (RecordChangeList's rows carry theirs already).
            if self.cl.preserved_filters:
                context = {"preserved_filters": self.cl.preserved_filters, "opts": self.cl.opts}
                url = add_preserved_filters(context, url)
            linked = f'<a href="{conditional_escape(url)}">{conditional_escape(shown)}</a>'
        return f"<{self.tag}{row_class}>{linked}</{self.tag}>"


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --- A long filter's choices --------------------------------------------------------------


@register.simple_tag
def written_choices(choices):
    """A list filter's choices, as Django's admin/filter.html writes them one by one
    (templates/admin/cooperation/written_filter.html, for the filters with many: a large
    archive's programme filter lists several hundred, 10 ms of a changelist through the
    template)."""
    return mark_safe("".join(_choice(choice) for choice in choices))


def _choice(choice):
    selected = ' class="selected"' if choice["selected"] else ""
    url = conditional_escape(iriencode(choice["query_string"]))
    shown = conditional_escape(choice["display"])
    return f'\n    <li{selected}>\n    <a href="{url}">{shown}</a></li>\n  '
