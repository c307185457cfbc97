"""Django admin, where staff keep the records.

Every link to a reference record (organization, person, place, topic, source, programme,
delegation) is an autocomplete, so the pages stay usable with thousands of rows; every
changelist selects what its columns show, so a page costs the same queries at any length.

The forms turn the rules the database holds (an end never before its start, a programme
between two or more parties, an activity within its visit's dates) into field errors a
records officer can act on, instead of a constraint name or a server error.
"""

import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.db import models
from django.db.models import Max, Min, Prefetch, Q
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django_countries import countries
from django_countries.filters import CountryFilter

from .models import (
    SEARCH_FIELDS,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Status,
    Topic,
    Workshop,
    WorkshopCitation,
)
from .pagination import EstimatingPaginator

admin.site.site_header = "Cooperation Registry administration"
admin.site.site_title = "Cooperation Registry admin"
admin.site.index_title = "Records of international legal cooperation"

TIMESTAMPS = ("created_at", "updated_at")
# A web address typed without a scheme is meant as https (Django 6 makes this the default).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


# --- Forms --------------------------------------------------------------------------------


def check_end_not_before_start(form, start_field, end_field, message):
    start = form.cleaned_data.get(start_field)
    end = form.cleaned_data.get(end_field)
    if start is not None and end is not None and end < start:
        form.add_error(end_field, message)


def check_not_own_ancestor(form, field="parent"):
    """A record cannot sit inside itself, directly or further up the chain."""
    parent = form.cleaned_data.get(field)
    instance = form.instance
    if parent is None or instance.pk is None:
        return
    seen = set()
    while parent is not None and parent.pk not in seen:
        if parent.pk == instance.pk:
            form.add_error(field, f"{instance} cannot be inside itself.")
            return
        seen.add(parent.pk)
        parent = parent.parent


class NestedRecordForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        check_not_own_ancestor(self)
        return cleaned_data


class PublishableForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        # A published record must say when it was published (a database constraint); staff
        # who publish without giving the moment mean "now".
        if cleaned_data.get("status") == Status.PUBLISHED and not cleaned_data.get("published_at"):
            cleaned_data["published_at"] = timezone.now()
        return cleaned_data


class DelegationForm(PublishableForm):
    def clean(self):
        cleaned_data = super().clean()
        check_end_not_before_start(
            self, "start_date", "end_date", "The visit cannot end before it starts."
        )
        sending = cleaned_data.get("sending_organization")
        host = cleaned_data.get("host_organization")
        if sending is not None and sending == host:
            self.add_error(
                "host_organization", "The host must be another body than the sending one."
            )
        return cleaned_data


class CooperationProgramForm(PublishableForm):
    def clean(self):
        cleaned_data = super().clean()
        start_year = cleaned_data.get("start_year")
        if start_year is not None and not 1900 <= start_year <= 2200:
            self.add_error("start_year", "Enter a year between 1900 and 2200.")
        check_end_not_before_start(
            self, "start_year", "end_year", "The programme cannot end before the year it starts."
        )
        # Parties are a many-to-many relation, saved after the programme itself, so the rule
        # is checked here rather than on the model.
        parties = cleaned_data.get("parties")
        if parties is not None and len(parties) < 2:
            self.add_error("parties", "A programme is agreed between two or more parties.")
        return cleaned_data


class PositionForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        check_end_not_before_start(
            self, "start_date", "end_date", "The post cannot end before it starts."
        )
        return cleaned_data


class ActivityForm(forms.ModelForm):
    """An activity takes place during its visit; an unknown date is left unknown."""

    def clean(self):
        cleaned_data = super().clean()
        date = cleaned_data.get("date")
        # On the delegation page this is the visit being edited, with the dates just entered.
        delegation = cleaned_data.get("delegation")
        if date is None or delegation is None or delegation.start_date is None:
            return cleaned_data
        if date < delegation.start_date:
            self.add_error(
                "date",
                f"The visit starts on {format_date(delegation.start_date, 'j F Y')}; "
                "an activity cannot be dated before it.",
            )
        elif delegation.end_date is not None and date > delegation.end_date:
            self.add_error(
                "date",
                f"The visit ends on {format_date(delegation.end_date, 'j F Y')}; "
                "an activity cannot be dated after it.",
            )
        return cleaned_data


class DelegationMemberFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # The one-head rule is a conditional unique constraint, which neither the forms nor
        # the formset check on their own; every member is on this page, so count here.
        heads = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_head") and not form.cleaned_data.get("DELETE")
        ]
        if len(heads) > 1:
            raise forms.ValidationError("A delegation has one head; tick one member only.")


class NumberedInlineFormSet(forms.BaseInlineFormSet):
    """Offers each new row the next free `order`, where the order must be unique per owner.

    Rows added with the "Add another" button start from the model default and may need
    renumbering; a clash is then a form error, never a database error.
    """

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index >= self.initial_form_count():
            existing = (row.order for row in self.get_queryset())
            next_order = max(existing, default=-1) + 1
            kwargs["initial"] = {"order": next_order + index - self.initial_form_count()}
        return kwargs


# --- Reference records --------------------------------------------------------------------


class PositionInline(admin.TabularInline):
    model = Position
    form = PositionForm
    fields = ("title", "organization", "start_date", "end_date")
    autocomplete_fields = ("organization",)
    extra = 1


class PersonNameInline(admin.TabularInline):
    model = PersonName
    fields = ("name", "language", "script")
    extra = 1


class RecordAdmin(admin.ModelAdmin):
    """Every record's admin: after a save or delete, the search text of the visits that name
    the record is rebuilt, explicitly, once the inlines are saved too."""

    # A large archive has millions of activities and a million visits, where every
    # whole-table count is a full scan: no total, a capped or estimated count for the
    # filtered list ("about 160,000"), and no facet counts.
    show_full_result_count = False
    paginator = EstimatingPaginator
    show_facets = ShowFacets.NEVER

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        Delegation.objects.affected_by(form.instance).refresh_search()

    def delete_model(self, request, obj):
        affected = list(Delegation.objects.affected_by(obj).values_list("pk", flat=True))
        super().delete_model(request, obj)
        Delegation.objects.filter(pk__in=affected).refresh_search()

    def delete_queryset(self, request, queryset):
        affected = set()
        for obj in queryset:
            affected.update(Delegation.objects.affected_by(obj).values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        Delegation.objects.filter(pk__in=affected).refresh_search()


class PublicEntityAdmin(RecordAdmin):
    def view_on_site(self, obj):
        # An entity's page exists only while it takes part in a published record.
        is_public = type(obj).objects.public().filter(pk=obj.pk).exists()
        return obj.get_absolute_url() if is_public else None


@admin.register(Organization)
class OrganizationAdmin(PublicEntityAdmin):
    form = NestedRecordForm
    list_display = ("name", "short_name", "kind", "country", "parent")
    list_filter = ("kind", ("country", CountryFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


@admin.register(Person)
class PersonAdmin(PublicEntityAdmin):
    list_display = ("name", "slug", "updated_at")
    search_fields = ("name", "slug", "other_names__name")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS
    inlines = (PersonNameInline, PositionInline)


class CurrentPositionFilter(admin.SimpleListFilter):
    title = "held"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return (("now", "Held now"), ("past", "Held in the past"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "now":
            return queryset.exclude(end_date__lt=today)
        if self.value() == "past":
            return queryset.filter(end_date__lt=today)
        return queryset


@admin.register(Position)
class PositionAdmin(RecordAdmin):
    form = PositionForm
    list_display = ("person", "title", "organization", "start_date", "end_date")
    list_filter = (CurrentPositionFilter, "organization__kind")
    list_select_related = ("person", "organization")
    search_fields = ("person__name", "title", "organization__name", "organization__short_name")
    autocomplete_fields = ("person", "organization")
    readonly_fields = TIMESTAMPS


@admin.register(Place)
class PlaceAdmin(PublicEntityAdmin):
    form = NestedRecordForm
    list_display = ("name", "kind", "country", "parent")
    list_filter = ("kind", ("country", CountryFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "address")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS


@admin.register(Topic)
class TopicAdmin(PublicEntityAdmin):
    form = NestedRecordForm
    list_display = ("name", "parent")
    list_select_related = ("parent",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS


@admin.register(Source)
class SourceAdmin(RecordAdmin):
    list_display = ("title", "publisher", "published_on", "language", "supplied_by")
    list_filter = ("language", "publisher")
    list_select_related = ("supplied_by",)
    search_fields = ("title", "publisher", "url")
    date_hierarchy = "published_on"
    autocomplete_fields = ("supplied_by",)
    readonly_fields = TIMESTAMPS
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


# --- Programmes ---------------------------------------------------------------------------


class ProgramSignatoryInline(admin.TabularInline):
    model = ProgramSignatory
    fields = ("person", "organization", "title", "order")
    autocomplete_fields = ("person", "organization")
    extra = 0


class CitationInline(admin.TabularInline):
    """The sources a record cites, with an optional quotation each."""

    fields = ("source", "quotation", "order")
    autocomplete_fields = ("source",)
    extra = 0


class ProgramCitationInline(CitationInline):
    model = ProgramCitation


class PublishableAdmin(RecordAdmin):
    def view_on_site(self, obj):
        # A draft has no public page: offering the link would only lead to a 404.
        return obj.get_absolute_url() if obj.is_published else None


@admin.register(CooperationProgram)
class CooperationProgramAdmin(PublishableAdmin):
    form = CooperationProgramForm
    list_display = ("title", "period", "party_names", "signed_on", "status")
    list_filter = ("status",)
    list_select_related = ("signed_at",)
    search_fields = ("title", "slug", "parties__name", "parties__short_name")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("parties", "signed_at")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("title", "slug", "parties", ("start_year", "end_year"), "summary")}),
        ("Signing", {"fields": ("signed_on", "signed_at")}),
        ("Publication", {"fields": ("status", "published_at", *TIMESTAMPS)}),
    )
    inlines = (ProgramSignatoryInline, ProgramCitationInline)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    @admin.display(description="period", ordering="start_year")
    def period(self, obj):
        return obj.period

    @admin.display(description="parties")
    def party_names(self, obj):
        return "; ".join(str(party) for party in obj.parties.all())


# --- Delegations --------------------------------------------------------------------------


class DelegationMemberInline(admin.TabularInline):
    model = DelegationMember
    formset = DelegationMemberFormSet
    fields = ("person", "role", "is_head", "order")
    autocomplete_fields = ("person",)
    extra = 1


class DelegationCitationInline(CitationInline):
    model = DelegationCitation


class ActivityInline(admin.StackedInline):
    form = ActivityForm
    prepopulated_fields = {"slug": ("title",)}
    extra = 0


class MeetingInline(ActivityInline):
    model = Meeting
    fields = (("title", "slug"), ("date", "order"), ("place", "host_organization"), "summary")
    autocomplete_fields = ("place", "host_organization")
    # Participants cannot nest inside this inline; they are edited on the meeting's page.
    show_change_link = True


class WorkshopInline(ActivityInline):
    model = Workshop
    fields = (("title", "slug"), ("date", "order"), "place", "topics", "summary")
    autocomplete_fields = ("place", "topics")
    show_change_link = True


class SiteVisitInline(ActivityInline):
    model = SiteVisit
    fields = (("title", "slug"), ("date", "order"), "place", "summary")
    autocomplete_fields = ("place",)
    show_change_link = True


def year_span(queryset, field):
    """The first and last year of `field` among `queryset`'s rows, or None when empty.

    Two index lookups (MIN and MAX), where listing the distinct years would read every row.
    """
    span = queryset.order_by().aggregate(first=Min(field), last=Max(field))
    if span["first"] is None:
        return None
    return span["first"].year, span["last"].year


class YearListFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        span = year_span(model_admin.get_queryset(request), "start_date")
        if span is None:
            return []
        return [(str(year), str(year)) for year in range(span[1], span[0] - 1, -1)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            year = int(value)
            start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        except (TypeError, ValueError, OverflowError):
            return queryset.none()
        # A date range, not __year, so the start-date index answers it.
        return queryset.filter(start_date__gte=start, start_date__lt=end)


class VisitCountryFilter(admin.SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = (
            Organization.objects.exclude(country="")
            .order_by()
            .values_list("country", flat=True)
            .distinct()
        )
        return sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.in_country(value) if value else queryset


@admin.register(Delegation)
class DelegationAdmin(PublishableAdmin):
    form = DelegationForm
    list_display = (
        "title",
        "start_date",
        "end_date",
        "sending_organization",
        "host_organization",
        "head",
        "visit_type",
        "status",
    )
    list_filter = ("status", "visit_type", "program", VisitCountryFilter, YearListFilter)
    list_select_related = ("sending_organization", "host_organization", "location", "program")
    # Searched through the visits' maintained search text (see get_search_results), which
    # holds every name a visit involves: members, participants, organizations, places,
    # topics, its programme.
    search_fields = ("title",)
    search_help_text = (
        "Finds a visit by any word of its title or summary, or by the name of a person, "
        "organization, place, topic or programme it involves; or by its exact slug."
    )
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("sending_organization", "host_organization", "program", "location")
    readonly_fields = TIMESTAMPS
    save_on_top = True
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    ("sending_organization", "host_organization"),
                    "program",
                    "visit_type",
                    ("start_date", "end_date"),
                    "date_basis",
                    "location",
                    "purpose",
                    "summary",
                )
            },
        ),
        ("Publication", {"fields": ("status", "published_at", *TIMESTAMPS)}),
    )
    inlines = (
        DelegationMemberInline,
        DelegationCitationInline,
        MeetingInline,
        WorkshopInline,
        SiteVisitInline,
    )

    def get_queryset(self, request):
        heads = DelegationMember.objects.filter(is_head=True).select_related("person")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
            .defer(*SEARCH_FIELDS)
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # The programme ids are read first (programmes are few), so that the condition below
        # is one bitmap OR of three indexes: a subquery here made PostgreSQL walk every visit.
        programs = list(
            CooperationProgram.objects.filter(title__icontains=term).values_list("pk", flat=True)
        )
        found = queryset.filter(
            queryset.matching_text(term) | Q(program__in=programs) | Q(slug=term)
        )
        return found, False

    @admin.display(description="head of delegation")
    def head(self, obj):
        return ", ".join(str(member.person) for member in obj.heads) or None


# --- Activities ---------------------------------------------------------------------------


class MeetingParticipantInline(admin.TabularInline):
    model = MeetingParticipant
    formset = NumberedInlineFormSet
    fields = ("person", "organization", "side", "role", "order")
    autocomplete_fields = ("person", "organization")
    extra = 3


class MeetingCitationInline(CitationInline):
    model = MeetingCitation


class WorkshopCitationInline(CitationInline):
    model = WorkshopCitation


class SiteVisitCitationInline(CitationInline):
    model = SiteVisitCitation


class ActivityAdmin(RecordAdmin):
    form = ActivityForm
    list_display = ("title", "delegation", "date", "place")
    list_filter = (("date", admin.EmptyFieldListFilter), "delegation__status")
    list_select_related = ("delegation", "place")
    search_fields = ("title", "slug", "delegation__title", "place__name")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = TIMESTAMPS

    def view_on_site(self, obj):
        # An activity is shown on its visit's page, which exists only once it is published.
        return obj.get_absolute_url() if obj.delegation.is_published else None


@admin.register(Meeting)
class MeetingAdmin(ActivityAdmin):
    list_display = ("title", "delegation", "date", "place", "host_organization")
    list_select_related = ("delegation", "place", "host_organization")
    search_fields = (*ActivityAdmin.search_fields, "host_organization__name")
    autocomplete_fields = ("delegation", "place", "host_organization")
    fields = (
        "delegation",
        ("title", "slug"),
        ("date", "order"),
        ("place", "host_organization"),
        "summary",
        TIMESTAMPS,
    )
    inlines = (MeetingParticipantInline, MeetingCitationInline)


@admin.register(Workshop)
class WorkshopAdmin(ActivityAdmin):
    search_fields = (*ActivityAdmin.search_fields, "topics__name")
    autocomplete_fields = ("delegation", "place", "topics")
    fields = (
        "delegation",
        ("title", "slug"),
        ("date", "order"),
        "place",
        "topics",
        "summary",
        TIMESTAMPS,
    )
    inlines = (WorkshopCitationInline,)


@admin.register(SiteVisit)
class SiteVisitAdmin(ActivityAdmin):
    autocomplete_fields = ("delegation", "place")
    fields = ("delegation", ("title", "slug"), ("date", "order"), "place", "summary", TIMESTAMPS)
    inlines = (SiteVisitCitationInline,)
