"""The filters of the public event list (/events/), as docs/architecture.md names them.

Every choice a filter offers or accepts comes from published records only: querysets are
callables evaluated per request, and reference records are looked up through their
`.public()` querysets, so a draft's organization, person, place or topic is "unknown" here
exactly as on its own page.
"""

import datetime as dt

import django_filters
from django import forms
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from . import eventindex
from .languages import order_by_shown
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


class SlugModelChoiceField(forms.ModelChoiceField):
    """A record named by its slug; anything that is not a slug is refused before any query.

    With `public` (a callable returning the records that may be named), the queryset is
    built only when a value is given: the public querysets are costly to build, and a
    text input never lists its choices.
    """

    default_error_messages = {
        "invalid_choice": _("No published record has the identifier “%(value)s”."),
    }

    def __init__(self, *args, public=None, **kwargs):
        self.public = public
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            validate_slug(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None
        if self.public is not None:
            self.queryset = self.public()
        return super().to_python(value)


class SlugFilter(django_filters.ModelChoiceFilter):
    field_class = SlugModelChoiceField

    def __init__(self, *args, public=None, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        if public is not None:
            kwargs.update(queryset=public.__self__.none(), public=public)
        super().__init__(*args, **kwargs)


class CountryField(forms.CharField):
    """An ISO 3166-1 alpha-2 code in any case; a code that is no country is an error."""

    def to_python(self, value):
        value = super().to_python(value).strip().upper()
        if value and value not in countries:
            raise forms.ValidationError(
                _("“%(value)s” is not an ISO 3166-1 country code (such as AZ or RU)."),
                code="invalid_country",
                params={"value": value[:10]},
            )
        return value


class YearField(forms.IntegerField):
    default_error_messages = {"invalid": _("Enter a year as a number, such as 2023.")}


class CountryFilter(django_filters.CharFilter):
    field_class = CountryField


class YearFilter(django_filters.NumberFilter):
    field_class = YearField


class EventFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


def public_topics(request):
    # Topic.objects.public() (topics of published visits and their activities, and the
    # topics above them) is exactly the topics with visits in the event index; asking the
    # index's counts is a probe per topic instead of a walk through every activity.
    return eventindex.having_visits(Topic.objects.all(), "topic")


def text_input(placeholder):
    return forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off"})


def country_filter(label, example):
    """A country code answered by the event index."""
    return CountryFilter(
        label=label, method="filter_indexed", max_length=10, widget=text_input(example)
    )


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=pgettext_lazy("filter", "Search"),
        method="filter_q",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Programmes, organizations, people and places grow with the archive, so they are
    # named by identifier (the facets, chips and entity pages link with it) rather than
    # listed in a select of thousands.
    program = SlugFilter(
        label=_("Programme"),
        public=CooperationProgram.objects.published,
        widget=text_input(_("programme identifier")),
    )
    organization = SlugFilter(
        label=_("Organization"),
        public=Organization.objects.public,
        method="filter_indexed",
        widget=text_input(_("organization identifier")),
    )
    # Any country that took part, on any side (involvement.py); the next two give the
    # direction: where the delegation came from, where it went.
    country = country_filter(_("Country"), _("e.g. AZ"))
    from_country = country_filter(_("Delegation from"), _("e.g. RU"))
    to_country = country_filter(_("Hosted in"), _("e.g. AZ"))
    person = SlugFilter(
        label=_("Person"),
        public=Person.objects.public,
        method="filter_indexed",
        widget=text_input(_("person identifier")),
    )
    topic = SlugFilter(
        label=_("Topic"),
        queryset=public_topics,
        method="filter_indexed",
        empty_label=_("Any topic"),
    )
    place = SlugFilter(
        label=_("Place"),
        public=Place.objects.public,
        method="filter_indexed",
        widget=text_input(_("place identifier")),
    )
    # The wider occasion (a council session, a forum) a visit or one of its activities was
    # part of; an instrument signed or adopted during the visit.
    occasion = SlugFilter(
        label=_("Occasion"),
        public=Occasion.objects.public,
        method="filter_indexed",
        widget=text_input(_("occasion identifier")),
    )
    instrument = SlugFilter(
        label=_("Instrument signed"),
        public=CooperationProgram.objects.published,
        method="filter_indexed",
        widget=text_input(_("instrument identifier")),
    )
    visit_type = django_filters.ChoiceFilter(
        label=_("Type of visit"),
        choices=Delegation.VisitType.choices,
        empty_label=_("Any type"),
    )
    year = YearFilter(
        label=_("Year"),
        field_name="start_date",
        lookup_expr="year",
        min_value=1900,
        max_value=2200,
    )
    date_from = django_filters.DateFilter(
        label=pgettext_lazy("date", "From"),
        field_name="start_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=pgettext_lazy("date", "To"),
        field_name="start_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = Delegation
        fields = ()
        form = EventFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.form.fields["sort"].required = False

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
        if not terms:
            return None
        date_from, date_to = data.get("date_from"), data.get("date_to")
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
