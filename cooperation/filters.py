"""The filters of the public event list (/events/), as docs/architecture.md names them.

Every choice a filter offers or accepts comes from published records only: querysets are
callables evaluated per request, and reference records are looked up through their
`.public()` querysets, so a draft's organization, person, place or topic is "unknown" here
exactly as on its own page.
"""

import copy
import datetime as dt

import django_filters
from django import forms
from django.core.validators import validate_slug
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from . import eventindex, suggest
from .addresses import address
from .languages import order_by_shown, person_name, shown
from .models import (
    CooperationProgram,
    Delegation,
    Occasion,
    Organization,
    Person,
    Place,
    Topic,
)

SORTS = {
    # Each ordering ends with the primary key, so pages never repeat or skip a row.
    "date": lambda: ("start_date", "id"),
    "-date": lambda: ("-start_date", "-id"),
    # The titles as the page's language shows them (English where there is no translation).
    "title": lambda: (order_by_shown("title"), "id"),
}
SORT_CHOICES = (
    ("-date", _("Newest first")),
    ("date", _("Oldest first")),
    ("title", _("Title (A–Z)")),
    ("relevance", _("Best match first (with a search)")),
)
DEFAULT_SORT = "-date"
# A name typed in a box is no longer than the names records hold.
MAX_NAME = suggest.MAX_QUERY


class WrittenInput:
    """An input written directly, as Django's own template for it writes it
    (django/forms/widgets/input.html with attrs.html): the filter form draws a dozen on
    every list page, and each template cost about 0.35 ms of it."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"'
        if widget["value"] is not None:
            html += f' value="{escaped(widget["value"])}"'
        return mark_safe(html + written_attrs(widget["attrs"]) + ">")


# Each value as a template's {{ }} (and format_html) writes it.
escaped = conditional_escape


def written_attrs(attrs):
    """An element's attributes as django/forms/widgets/attrs.html writes them."""
    html = ""
    for attr, attr_value in attrs.items():
        if attr_value is True:
            html += f" {escaped(attr)}"
        elif attr_value is not False:
            html += f' {escaped(attr)}="{escaped(attr_value)}"'
    return html


class WrittenSelect(forms.Select):
    """A select written directly, as Django's templates write it (select.html, with
    select_option.html for each option): the form's two selects and their twelve options
    took 1.16 ms of every list page through the templates, 0.37 ms written."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = f'<select name="{escaped(widget["name"])}"' + written_attrs(widget["attrs"])
        html += ">"
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html += f'\n  <optgroup label="{escaped(group_name)}">'
            for option in options:
                html += f'\n  <option value="{escaped(option["value"])}"'
                html += written_attrs(option["attrs"])
                html += f">{escaped(option['label'])}</option>\n"
            if group_name:
                html += "\n  </optgroup>"
        return mark_safe(html + "\n</select>")


class TextInput(WrittenInput, forms.TextInput):
    pass


class DateInput(WrittenInput, forms.DateInput):
    pass


class NumberInput(WrittenInput, forms.NumberInput):
    pass


class NameInput(TextInput):
    """A box where a record is chosen by its name: it shows the chosen record's name, and
    carries what the address needs (its slug, or a country code) in `data-value`, with the
    address of its suggestions (cooperation/suggest.py) for the autocomplete
    (cooperation/static/cooperation/combobox.js). Without the script the name itself is
    submitted, and the list resolves it (`suggest.resolve_names`)."""

    def __init__(self, filter_name):
        super().__init__({"autocomplete": "off", "spellcheck": "false", "class": "name-input"})
        self.filter_name = filter_name

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Reversed when drawn, so the suggestions follow the page's language.
        suggest_url = address("cooperation:event-suggest", self.filter_name)
        context["widget"]["attrs"]["data-suggest"] = suggest_url
        return context


class NamedChoice:
    """What a name box's field shares: the chosen value's name shown in the box."""

    chosen = None  # (value as the address carries it, name shown)

    def choose(self, value, label):
        self.chosen = (value, label)
        self.widget.attrs["data-value"] = value

    def prepare_value(self, value):
        if (
            self.chosen
            and value is not None
            and str(value).strip()
            in (
                self.chosen[0],
                self.chosen[0].lower(),
            )
        ):
            return self.chosen[1]
        return super().prepare_value(value)


class SlugModelChoiceField(NamedChoice, forms.ModelChoiceField):
    """A record named by its slug; anything that is not a slug is refused before any query.

    `public` (a callable returning the records that may be named) is called only when a
    value is given: the public querysets are costly to build, and the box never lists its
    choices.
    """

    default_error_messages = {
        "invalid_choice": _("No published record has the identifier “%(value)s”."),
    }

    def __init__(self, *args, public=None, **kwargs):
        self.public = public
        self.known = None  # the record, when the list has read it already
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = value.strip()
        try:
            validate_slug(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value[:100]},
            ) from None
        if self.known is not None and self.known.slug == value:
            record = self.known
        else:
            self.queryset = self.public()
            record = super().to_python(value)
        self.choose(record.slug, record_name(record))
        return record


def record_name(record):
    """A record's name as the page's language and script show it: a person's spelling in
    that language where one is kept (PersonName), other records' translated name."""
    if isinstance(record, Person):
        return person_name(record)
    if isinstance(record, CooperationProgram):
        return shown(record, "title")[0]
    return shown(record, "name")[0]


class SharedDefinition:
    """A filter whose copy for each filter set shares its definition. django-filter copies
    every filter deeply for every filter set; a record filter's definition holds an empty
    queryset and a manager's method, and copying them (a query, a manager) for the form's
    eight record filters took about 1 ms of every list page. Nothing in a definition
    changes with a request: a copy gets its own `extra` and its own FilterMethod, which
    calls the copy's filter set."""

    def __deepcopy__(self, memo):
        copied = copy.copy(self)
        copied.extra = dict(self.extra)
        copied.__dict__.pop("_field", None)
        copied.method = self.method
        return copied


class SlugFilter(SharedDefinition, django_filters.ModelChoiceFilter):
    field_class = SlugModelChoiceField

    def __init__(self, *args, public, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.update(queryset=public().none(), public=public)
        super().__init__(*args, **kwargs)


class CountryField(NamedChoice, forms.CharField):
    """An ISO 3166-1 alpha-2 code in any case; a code that is no country is an error."""

    def to_python(self, value):
        value = super().to_python(value).strip().upper()
        if value and value not in countries:
            raise forms.ValidationError(
                _("“%(value)s” is not an ISO 3166-1 country code (such as AZ or RU)."),
                code="invalid_country",
                params={"value": value[:10]},
            )
        if value:
            self.choose(value, countries.name(value))
        return value


class YearField(forms.IntegerField):
    default_error_messages = {"invalid": _("Enter a year as a number, such as 2023.")}


class TextFilter(SharedDefinition, django_filters.CharFilter):
    pass


class ChoiceFilter(SharedDefinition, django_filters.ChoiceFilter):
    pass


class DateFilter(SharedDefinition, django_filters.DateFilter):
    pass


class CountryFilter(TextFilter):
    field_class = CountryField


class YearFilter(SharedDefinition, django_filters.NumberFilter):
    field_class = YearField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, widget=NumberInput(), **kwargs)


class EventFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


def public_topics():
    # Topic.objects.public() (topics of published visits and their activities, and the
    # topics above them) is exactly the topics with visits in the event index; asking the
    # index's counts is a probe per topic instead of a walk through every activity.
    return eventindex.having_visits(Topic.objects.all(), "topic")


def country_filter(name, label):
    """A country, by its code in the address, answered by the event index."""
    return CountryFilter(
        label=label, method="filter_indexed", max_length=MAX_NAME, widget=NameInput(name)
    )


def record_filter(name, label, public, **kwargs):
    return SlugFilter(label=label, public=public, widget=NameInput(name), **kwargs)


class EventFilter(django_filters.FilterSet):
    q = TextFilter(
        label=pgettext_lazy("filter", "Search"),
        method="filter_q",
        max_length=200,
        widget=TextInput(attrs={"type": "search"}),
    )
    # Records are chosen by name (the boxes suggest them as one types, and a name typed
    # without the script is resolved by cooperation/suggest.py); the address carries their
    # slugs, as the facets, chips and entity pages link with them.
    program = record_filter("program", _("Programme"), CooperationProgram.objects.published)
    organization = record_filter(
        "organization", _("Organization"), Organization.objects.public, method="filter_indexed"
    )
    # Any country that took part, on any side (involvement.py); the next two give the
    # direction: where the delegation came from, where it went.
    country = country_filter("country", _("Country"))
    from_country = country_filter("from_country", _("Delegation from"))
    to_country = country_filter("to_country", _("Hosted in"))
    person = record_filter("person", _("Person"), Person.objects.public, method="filter_indexed")
    topic = record_filter("topic", _("Topic"), public_topics, method="filter_indexed")
    place = record_filter("place", _("Place"), Place.objects.public, method="filter_indexed")
    # The wider occasion (a council session, a forum) a visit or one of its activities was
    # part of; an instrument signed or adopted during the visit.
    occasion = record_filter(
        "occasion", _("Occasion"), Occasion.objects.public, method="filter_indexed"
    )
    instrument = record_filter(
        "instrument",
        _("Instrument signed"),
        CooperationProgram.objects.published,
        method="filter_indexed",
    )
    visit_type = ChoiceFilter(
        label=_("Type of visit"),
        choices=Delegation.VisitType.choices,
        empty_label=_("Any type"),
        widget=WrittenSelect,
    )
    year = YearFilter(
        label=_("Year"),
        field_name="start_date",
        lookup_expr="year",
        min_value=1900,
        max_value=2200,
    )
    date_from = DateFilter(
        label=pgettext_lazy("date", "From"),
        field_name="start_date",
        lookup_expr="gte",
        widget=DateInput(attrs={"type": "date"}),
    )
    date_to = DateFilter(
        label=pgettext_lazy("date", "To"),
        field_name="start_date",
        lookup_expr="lte",
        widget=DateInput(attrs={"type": "date"}),
    )
    sort = ChoiceFilter(
        label=_("Sort"),
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
        null_label=None,
        widget=WrittenSelect,
    )

    class Meta:
        model = Delegation
        fields = ()
        form = EventFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.form.fields["sort"].required = False
        # Records the list read while settling names (suggest.resolve_names), by filter.
        for name, record in getattr(self.request, "named_records", {}).items():
            self.form.fields[name].known = record

    def get_form_class(self):
        """The form class, built once per process: django-filter builds it anew for each
        filter set, with a field (and a query) for each filter, 0.5 ms of every list page.
        Nothing in it depends on the request: a form copies its class's fields for itself
        (Django's Form does), and the changes made to them for one request (a chosen
        record's name, the sort's `required`) stay in that copy."""
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        words = self.form.cleaned_data.get("q")
        if sort == "relevance":
            return queryset.by_relevance(words) if words else queryset.order_by(*SORTS["-date"]())
        return queryset.order_by(*SORTS[sort]())

    def indexed_ids(self):
        """The results' ids read from the event index alone, newest (or oldest) first, when
        the index answers every filter in use; None when it does not (a search, a sort by
        title, no indexed filter at all: those go through `qs`).

        Call only on a valid filter set.
        """
        data = self.form.cleaned_data
        sort = data.get("sort") or DEFAULT_SORT
        if data.get("q") or sort == "title":
            return None
        terms = [
            eventindex.term(name, data[name]) for name in eventindex.PREFIXES if data.get(name)
        ]
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if not terms and data.get("year") and not date_from and not date_to:
            # Every visit has its year's term (eventindex.COUNTED): a year alone is a range
            # of the index in date order too, where the visits' own date index reads each
            # visit's row, and its count is kept (facets.kept_count). Not with dates inside
            # the year: PostgreSQL's estimate of a part of one term's rows is far worse than
            # of the visits' dates, and a list past the count's cap shows that estimate.
            terms = [f"y:{data['year']}"]
        if not terms:
            return None
        if data.get("year"):
            first, last = dt.date(data["year"], 1, 1), dt.date(data["year"], 12, 31)
            date_from = max(date_from, first) if date_from else first
            date_to = min(date_to, last) if date_to else last
        return eventindex.matching(
            terms,
            using=self.queryset.db,
            date_from=date_from,
            date_to=date_to,
            oldest_first=sort == "date",
        )

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    # The same filters through the index, for the queries `indexed_ids()` does not answer.

    def filter_indexed(self, queryset, name, value):
        return queryset.with_term(eventindex.term(name, value))

    def filter_sort(self, queryset, name, value):
        # Applied last, in filter_queryset, whatever order the parameters came in.
        return queryset
