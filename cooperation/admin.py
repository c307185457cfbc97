"""Django admin, where staff keep the records.

Every link to a reference record (organization, person, place, topic, source, programme,
delegation) is an autocomplete, so the pages stay usable with thousands of rows; every
changelist selects what its columns show, so a page costs the same queries at any length.

The forms turn the rules the database holds (an end never before its start, a programme
between two or more parties, an activity within its visit's dates) into field errors a
records officer can act on, instead of a constraint name or a server error.
"""

import datetime as dt
from functools import cached_property
from urllib.parse import parse_qsl, quote_plus

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import model_ngettext, unquote
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import (
    AdminSplitDateTime,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router
from django.db.models import BLANK_CHOICE_DASH, Max, Min, Q
from django.forms.formsets import TOTAL_FORM_COUNT
from django.forms.models import InlineForeignKeyField
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries
from django_countries.filters import CountryFilter
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)
from nested_admin import NestedModelAdminMixin, NestedStackedInlineMixin, NestedTabularInlineMixin
from nested_admin.formsets import NestedInlineFormSetMixin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME
from simple_history.template_utils import HistoricalRecordContextHelper

from . import records, registry_version
from .languages import in_every_language
from .models import (
    PUBLICATION_FIELDS,
    SEARCH_FIELDS,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    PublishableModel,
    Revision,
    Series,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Status,
    Topic,
    Workshop,
    WorkshopCitation,
    publication_time,
)
from .pagination import EstimatingPaginator
from .records import revisions
from .records.rules import FROM_REVIEW, NO_SOURCE, ONLY_PUBLISHERS
from .transfer import export_csv, export_fixture

admin.site.site_header = gettext_lazy("Cooperation Registry administration")
admin.site.site_title = gettext_lazy("Cooperation Registry admin")
admin.site.index_title = gettext_lazy("Records of international legal cooperation")
# Any changelist's selection downloads as CSV, with the columns the changelist shows.
admin.site.add_action(export_csv)

TIMESTAMPS = ("created_at", "updated_at")
# The fieldset of a programme's or visit's status.
PUBLICATION = gettext_lazy("Publication")
# A web address typed without a scheme is meant as https (Django 6 makes this the default).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


# --- Forms --------------------------------------------------------------------------------

# Line and page breaks as word processors paste them (U+000B, U+000C, and Unicode's own line
# and paragraph separators): a line break is meant. Any other control character is left for
# the model's text rule (models.text_problems) to refuse.
PASTED_BREAKS = str.maketrans({"\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n\n"})


class PastedBreaksForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        for name, value in cleaned_data.items():
            if isinstance(value, str):
                cleaned_data[name] = value.translate(PASTED_BREAKS)
        return cleaned_data


def with_pasted_breaks(form):
    """`form` taking pasted breaks as line breaks (PastedBreaksForm)."""
    if issubclass(form, PastedBreaksForm):
        return form
    return type(form.__name__, (PastedBreaksForm, form), {})


def check_end_not_before_start(form, start_field, end_field, message):
    start = form.cleaned_data.get(start_field)
    end = form.cleaned_data.get(end_field)
    if start is not None and end is not None and end < start:
        form.add_error(end_field, message)


class PublishableForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        # A published record must say when it was published (a database constraint); staff
        # who publish without giving the moment mean "now".
        if cleaned_data.get("status") == Status.PUBLISHED and not cleaned_data.get("published_at"):
            cleaned_data["published_at"] = publication_time()
        return cleaned_data


class DelegationForm(PublishableForm):
    def clean(self):
        cleaned_data = super().clean()
        check_end_not_before_start(
            self, "start_date", "end_date", _("The visit cannot end before it starts.")
        )
        sending = cleaned_data.get("sending_organization")
        host = cleaned_data.get("host_organization")
        if sending is not None and sending == host:
            self.add_error(
                "host_organization", _("The host must be another body than the sending one.")
            )
        return cleaned_data


class CooperationProgramForm(PublishableForm):
    def clean(self):
        cleaned_data = super().clean()
        start_year = cleaned_data.get("start_year")
        if start_year is not None and not 1900 <= start_year <= 2200:
            self.add_error("start_year", _("Enter a year between 1900 and 2200."))
        check_end_not_before_start(
            self,
            "start_year",
            "end_year",
            _("The programme cannot end before the year it starts."),
        )
        # Parties are a many-to-many relation, saved after the programme itself, so the rule
        # is checked here rather than on the model.
        parties = cleaned_data.get("parties")
        if parties is not None and len(parties) < 2:
            self.add_error("parties", _("A programme is agreed between two or more parties."))
        return cleaned_data


class PositionForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        check_end_not_before_start(
            self, "start_date", "end_date", _("The post cannot end before it starts.")
        )
        return cleaned_data


class ActivityForm(forms.ModelForm):
    """An activity's slug is free within its visit. That its date falls within the visit's
    is the model's rule (Activity.clean), checked against the visit as just entered on the
    visit's page."""

    def clean(self):
        cleaned_data = super().clean()
        delegation = cleaned_data.get("delegation")
        # On the visit's page its formset checks the slugs of all its rows together.
        if not isinstance(self.fields.get("delegation"), InlineForeignKeyField):
            self.check_slug_is_free(delegation, cleaned_data.get("slug"))
        return cleaned_data

    def check_slug_is_free(self, delegation, slug):
        # The slug is unique within the visit (a database constraint over two fields, which
        # Django reports above the form); say it on the field instead.
        if delegation is None or delegation.pk is None or not slug:
            return
        model = self._meta.model
        others = model._default_manager.filter(delegation=delegation, slug=slug)
        if others.exclude(pk=self.instance.pk).exists():
            self.add_error("slug", taken_message(model, "slug", slug, delegation))


def taken_message(model, field_name, value, owner):
    kind = model._meta.verbose_name
    label = model._meta.get_field(field_name).verbose_name
    return _("Another %(kind)s of this %(owner)s already has the %(field)s “%(value)s”.") % {
        "kind": kind,
        "owner": owner._meta.verbose_name,
        "field": label,
        "value": value,
    }


class NumberedRowForm(forms.ModelForm):
    """A row with an `order`: a new row that has nothing but its number is an empty row,
    whether the number was offered by the server or by the "Add another" script."""

    def has_changed(self):
        changed = self.changed_data
        if self.instance._state.adding:
            changed = [name for name in changed if name != "order"]
        return bool(changed)


def numbered(form):
    """`form` as a NumberedRowForm."""
    if issubclass(form, NumberedRowForm):
        return form
    return type(form.__name__, (NumberedRowForm, form), {})


class NumberedRowsFormSet(forms.BaseInlineFormSet):
    """Inline rows with an `order` number (members, participants, sources, activities,
    signatories…). A new row is offered the next free number, and a row whose number is
    left blank is given the next free one when it is saved: one more than the highest
    number of the owner's other rows (numbering starts at 1). So rows added one after
    another never all take the same default, with or without the admin's script
    (cooperation/static/cooperation/admin/numbering.js).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.numbered:
            self.form = numbered(self.form)

    @property
    def numbered(self):
        return any(field.name == "order" for field in self.model._meta.concrete_fields)

    def stored_orders(self):
        """{pk: order} of the owner's stored rows, read once."""
        if self.instance.pk is None:
            return {}
        if not hasattr(self, "_stored_orders"):
            rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
            self._stored_orders = dict(rows.order_by().values_list("pk", "order"))
        return self._stored_orders

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self.numbered and index is not None and index >= self.initial_form_count():
            offered = max(self.stored_orders().values(), default=0) + 1
            kwargs["initial"] = {"order": offered + index - self.initial_form_count()}
        return kwargs

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields.get("order")
        if self.numbered and field is not None and not field.disabled:
            field.required = False
            field.help_text = field.help_text or _("Left blank, the next free number.")
            if index is None:
                # The row "Add another" copies: numbered by the script, or when saved.
                field.initial = None

    def clean(self):
        if self.numbered:
            self.number_blank_rows()
        self.check_rows()
        super().clean()

    def check_rows(self):
        """Checks across the rows, made once every row has its number."""

    def number_blank_rows(self):
        kept = [
            form
            for form in self.forms
            if hasattr(form, "cleaned_data")
            and not (self.can_delete and self._should_delete_form(form))
            and (form.instance.pk is not None or form.has_changed())
        ]
        blank = [
            form
            for form in kept
            if "order" in form.fields
            and form.cleaned_data.get("order") is None
            and "order" not in form.errors
        ]
        if not blank:
            return
        on_page = {form.instance.pk for form in self.forms if form.instance.pk is not None}
        taken = [order for pk, order in self.stored_orders().items() if pk not in on_page]
        taken += [form.cleaned_data.get("order") for form in kept]
        taken = [order for order in taken if order is not None]
        next_order = max(taken, default=0) + 1
        for form in blank:
            form.cleaned_data["order"] = form.instance.order = next_order
            next_order += 1


class UniqueWithinOwnerFormSet(NumberedRowsFormSet):
    """Inline rows whose `unique_field` differs from row to row of one owner (a visit's
    activity slugs, a meeting's participant numbers), checked with the error on the field.

    Django compares the submitted rows with one another but saves them one at a time, so a
    row that takes a value another stored row gives up in the same save (two rows swapping
    slugs, or taking the slug of a row being deleted) would meet the database's constraint
    before the other row is saved: a server error. That row is refused until the other
    change is saved.
    """

    unique_field = None

    def check_rows(self):
        if self.unique_field:
            self.check_unique_field()

    def check_unique_field(self):
        name = self.unique_field
        field = self.model._meta.get_field(name)
        stored = {}
        if self.instance.pk is not None:
            rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
            stored = dict(rows.values_list(field.attname, "pk"))
        submitted = {}
        for form in self.forms:
            if form.instance.pk is not None:
                deleted = self.can_delete and self._should_delete_form(form)
                submitted[form.instance.pk] = None if deleted else self.key(form)
        seen = set()
        for form in self.forms:
            key = self.key(form)
            if key is None or (self.can_delete and self._should_delete_form(form)):
                continue
            value = form.cleaned_data[name]
            holder = stored.get(key, form.instance.pk)
            if key in seen or (holder != form.instance.pk and submitted.get(holder, key) == key):
                # Another row on this page has it, or a stored row keeps it.
                form.add_error(name, self.taken_message(value))
            elif holder != form.instance.pk:
                form.add_error(
                    name,
                    _(
                        "“%(value)s” is still the %(field)s of another row, which this save "
                        "changes or deletes: save that change on its own first, then this one."
                    )
                    % {"value": value, "field": field.verbose_name},
                )
            else:
                seen.add(key)

    def key(self, form):
        value = form.cleaned_data.get(self.unique_field)
        if value is None or value == "":
            return None
        return getattr(value, "pk", value)

    def taken_message(self, value):
        return taken_message(self.model, self.unique_field, value, self.instance)


class ActivityFormSet(UniqueWithinOwnerFormSet):
    unique_field = "slug"


class ProgramSignatoryFormSet(UniqueWithinOwnerFormSet):
    """A programme's signatories, each signing for one of its parties."""

    unique_field = "person"

    def taken_message(self, value):
        return _("%(person)s is already a signatory of this programme.") % {"person": value}

    def clean(self):
        parties = self.submitted_parties()
        if parties:
            names = "; ".join(sorted(str(party) for party in parties))
            for form in self.forms:
                organization = form.cleaned_data.get("organization")
                if self.can_delete and self._should_delete_form(form):
                    continue
                if organization is not None and organization not in parties:
                    form.add_error(
                        "organization",
                        _(
                            "%(organization)s is not a party to this programme; a signatory "
                            "signs for one of its parties: %(parties)s."
                        )
                        % {"organization": organization, "parties": names},
                    )
        super().clean()

    def submitted_parties(self):
        """The parties chosen on the same page, read as the programme's form reads them
        (they are saved after the programme, so the stored ones may be out of date), or
        None when they cannot be read: the programme's form then says what is wrong."""
        field = CooperationProgram._meta.get_field("parties").formfield()
        try:
            return set(field.clean(self.data.getlist("parties")))
        except forms.ValidationError:
            return None


class DelegationMemberFormSet(UniqueWithinOwnerFormSet):
    unique_field = "person"

    def taken_message(self, value):
        return _("%(person)s is already a member of this delegation.") % {"person": value}

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
            raise forms.ValidationError(_("A delegation has one head; tick one member only."))


class NumberedInlineFormSet(UniqueWithinOwnerFormSet):
    """Rows whose `order` is unique per owner (a meeting's participants): a clash is a form
    error, never a database error."""

    unique_field = "order"


# --- Autocomplete fields ------------------------------------------------------------------


class ValidLookupMixin:
    """An autocomplete widget that, when a form with errors is shown again, looks up only
    the submitted values that can name a record: Django's looks every one up, and a value
    that is no key (text in an id field) then fails the query, a 500 instead of the form's
    "Select a valid choice" error.

    A single choice starts with an empty option named as Django's other selects name it
    ("---------"), required or not: Django's is nameless, or missing where the field is
    required, both invalid HTML (a required <select> opens on an empty choice)."""

    def optgroups(self, name, value, attr=None):
        opts = self.field.remote_field.model._meta
        target = opts.get_field(getattr(self.field.remote_field, "field_name", opts.pk.attname))
        groups = super().optgroups(name, [v for v in value if is_lookup_value(target, v)], attr)
        if not self.allow_multiple_selected:
            options = groups[0][1]
            if options and options[0]["value"] == "":
                options[0]["label"] = BLANK_CHOICE_DASH[0][1]
            else:
                options.insert(0, self.create_option(name, "", BLANK_CHOICE_DASH[0][1], False, 0))
        return groups


def is_lookup_value(field, value):
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return "\x00" not in str(value)


class ValidLookupSelect(ValidLookupMixin, AutocompleteSelect):
    pass


class ValidLookupSelectMultiple(ValidLookupMixin, AutocompleteSelectMultiple):
    pass


class ValidLookupAutocomplete:
    """For admins and inlines with `autocomplete_fields`: their widgets are the above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidLookupSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidLookupSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class LabelledSplitDateTime(AdminSplitDateTime):
    """Django's date and time inputs, each with a label: Django writes "Date:" and "Time:" as
    text beside them, and the field's own label points at neither, so that a screen reader
    names them nothing. The labels name the field too ("Published at: Date:")."""

    def __init__(self, field_label, attrs=None):
        super().__init__(attrs)
        self.field_label = field_label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        subwidgets = context["widget"]["subwidgets"]
        for key, subwidget in zip(("date_label", "time_label"), subwidgets, strict=True):
            if subwidget["attrs"].get("id"):
                context[key] = format_html(
                    '<label for="{}"><span class="visually-hidden">{}: </span>{}</label>',
                    subwidget["attrs"]["id"],
                    self.field_label,
                    context[key],
                )
        return context


# --- Reference records --------------------------------------------------------------------


class PositionInline(ValidLookupAutocomplete, TranslationTabularInline):
    model = Position
    form = PositionForm
    fields = ("title", "organization", "start_date", "end_date")
    autocomplete_fields = ("organization",)
    extra = 1


class PersonNameInline(admin.TabularInline):
    model = PersonName
    fields = ("name", "language", "script")
    extra = 1


# A revert restores what a record says. Whether it is public stays as it is
# (PUBLICATION_FIELDS): that changes through the workflow, or on the form by a publisher.


def pk_or_404(field, value):
    """A key from an admin URL; what cannot be one names a page that does not exist."""
    try:
        return field.to_python(unquote(value))
    except ValidationError:
        raise Http404 from None


def keep_publication(version, using):
    """Give `version` (an earlier version of a record) the record's publication as stored."""
    fields = [version._meta.get_field(name).attname for name in PUBLICATION_FIELDS]
    stored = type(version)._base_manager.using(using).filter(pk=version.pk).values(*fields)
    for attname, value in stored.get().items():
        setattr(version, attname, value)


class RecordChangeHelper(HistoricalRecordContextHelper):
    """The history page's differences show a choice by its label ("In review")."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.choices and isinstance(value, str):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


def review_notice(request, owner, revision):
    """Tell staff that `owner` has a change waiting for review, and where to decide on it."""
    url = reverse(f"admin:{owner._meta.app_label}_{owner._meta.model_name}_review", args=[owner.pk])
    when = date_format(timezone.localtime(revision.updated_at), "DATETIME_FORMAT")
    who = revision.created_by or _("an unnamed account")
    if records.may_publish(request.user, type(owner)):
        text = _(
            "%(record)s has a change by %(who)s waiting for review (%(when)s): "
            '<a href="%(url)s">review it</a>. The form shows the published version.'
        )
    else:
        text = _(
            "%(record)s has a change by %(who)s waiting for review (%(when)s), shown in this "
            'form; the public site keeps the published version (<a href="%(url)s">'
            "the differences</a>)."
        )
    values = {"record": owner, "who": who, "when": when, "url": url}
    messages.info(request, format_html(text.replace("%(", "{").replace(")s", "}"), **values))


class RecordChangeList(ChangeList):
    """Django's changelist, each row's link carrying the list's filters as Django's would.

    Django adds them to each of the page's 100 links (`add_preserved_filters`), resolving
    every link's URL to learn that it is not the changelist's own: 9 ms of a filtered
    changelist at a million visits. A row links to its record's change page, so the filters
    it carries are the same for every row, and are worked out here once.
    """

    # Stands for a record's key in the change page's address, resolved once per page.
    KEY = "~key~"

    def __init__(self, *args, **kwargs):
        # (filter, names removed): the query's encoded parts before and after the filter.
        self._query_around = {}
        super().__init__(*args, **kwargs)
        filters = dict(parse_qsl(self.preserved_filters))
        self.row_query = urlencode(filters) if filters else ""
        # What Django's rows read to add the filters themselves: they are in url_for_result.
        self.preserved_filters = ""

    def get_query_string(self, new_params=None, remove=None):
        """Django's query string for a link of the list (a filter's choice, a date, a
        column's order): the list's filters, `remove`'s taken out, `new_params` set, in
        the order of their names. A page links several hundred filter choices, each with
        one value of one filter: for those the rest of the query is encoded once per filter
        and each choice adds its value (Django copies and encodes the whole query for each,
        4 ms of a changelist at a million visits)."""
        if not new_params or len(new_params) != 1:
            return super().get_query_string(new_params, remove)
        [(name, value)] = new_params.items()
        if value is None or not isinstance(value, (str, int)):
            return super().get_query_string(new_params, remove)
        key = (name, tuple(remove or ()))
        if key not in self._query_around:
            params = self.filter_params.copy()
            for prefix in remove or ():
                for other in [other for other in params if other.startswith(prefix)]:
                    del params[other]
            params.pop(name, None)
            rest = sorted(params.items())
            self._query_around[key] = (
                urlencode([item for item in rest if item[0] < name], doseq=True),
                urlencode([item for item in rest if item[0] > name], doseq=True),
            )
        before, after = self._query_around[key]
        # One name and one value, as urlencode() writes them.
        own = f"{quote_plus(name)}={quote_plus(str(value))}"
        return "?" + "&".join(part for part in (before, own, after) if part)

    def url_for_result(self, result):
        key = getattr(result, self.pk_attname)
        if isinstance(key, int):
            # The change page's address resolved once per page, each row's key put in it:
            # resolving it for each of 100 rows took 3 ms of a changelist. An integer is
            # written in an address as it is (Django's admin quote() leaves it so).
            before, after = self._change_url
            url = f"{before}{key}{after}"
        else:
            url = super().url_for_result(result)
        return f"{url}?{self.row_query}" if self.row_query else url

    @cached_property
    def _change_url(self):
        """The change page's address, in two parts: before and after a record's key."""
        opts = self.opts
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(self.KEY,),
            current_app=self.model_admin.admin_site.name,
        )
        return url.split(self.KEY, 1)

    def get_results(self, request):
        """The page's rows, read with only the fields the admin's `list_only` names where
        it names them: what its columns, its rows' links and selection boxes show. An
        action reads its selection anew, whole (Django's `get_queryset`)."""
        listed = getattr(self.model_admin, "list_only", None)
        if not listed:
            super().get_results(request)
        else:
            whole, self.queryset = self.queryset, self.queryset.only(*listed)
            try:
                super().get_results(request)
            finally:
                self.queryset = whole
        # What a column shows beside the rows' own fields, read for the whole page at once
        # by the admin's `attach_to_rows` (a list of records then, not a queryset: no admin
        # that has it edits its rows in the list).
        attach = getattr(self.model_admin, "attach_to_rows", None)
        if attach is not None:
            self.result_list = list(self.result_list)
            attach(self.result_list)


class RecordAdmin(ValidLookupAutocomplete, SimpleHistoryAdmin):
    """Every record's admin. Each view that writes (a save, a delete, an action, a revert)
    runs as one change of the write path (cooperation/records/), which checks the rules,
    keeps the history and the derived data in step, and keeps a change to a published
    record by someone who may not publish for review.

    Every change is kept in the history of the records it touches: who, when, and field by
    field what. A record's "History" page lists it, and reverts the record to an earlier
    version of its own fields (its inline records have histories of their own).
    """

    # A record's selection downloads as a fixture for another installation (transfer.py).
    actions = (export_fixture,)

    def get_changelist(self, request, **kwargs):
        return RecordChangeList

    def action_checkbox(self, obj):
        """The changelist's selection box, the input Django's own writes, written as text:
        Django renders a CheckboxInput's template for each of the page's 100 rows, which
        was 40 % of a changelist's rendering at a million visits, and building the widget
        for each row without its template still took 5 ms of the page."""
        # As format_html() writes it: the record's name escaped, the translation as it is.
        label = _("Select this object for an action - {}").format(conditional_escape(str(obj)))
        return mark_safe(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" '
            f'value="{conditional_escape(str(obj.pk))}" class="action-select" '
            f'aria-label="{label}">'
        )

    class Media:
        # The registry's slug rule replaces prepopulate.js's cut, so it comes after it;
        # "Add another" rows take the next free order number.
        js = (
            "admin/js/prepopulate.js",
            "cooperation/admin/slugs.js",
            "cooperation/admin/numbering.js",
            # The autocomplete boxes named after their fields' labels.
            "cooperation/admin/autocomplete_names.js",
        )

    # The versions list in the site's own markup, without the inline style the
    # Content-Security-Policy blocks.
    object_history_list_template = "admin/history_versions.html"

    # A large archive has millions of activities and a million visits, where every
    # whole-table count is a full scan: no total, a capped or estimated count for the
    # filtered list ("about 160,000"), and no facet counts.
    show_full_result_count = False
    paginator = EstimatingPaginator
    show_facets = ShowFacets.NEVER

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        # A common word's matches are estimated rather than counted (count_results).
        paginator.estimate_first = bool(request.GET.get(SEARCH_VAR))
        return paginator

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField) and "widget" not in kwargs:
            kwargs["widget"] = LabelledSplitDateTime(capfirst(db_field.verbose_name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # --- Writing through the write path ---------------------------------------------------

    def review_owner(self, request, object_id):
        """The published programme or visit whose page shows this record, if any."""
        return None

    def written(self, request, view, owner=None, reason=None):
        """Run `view` (a function returning a response) as one change of the records.

        A view that saved nothing (a form shown again with its errors, a page only shown)
        has its page rendered inside the change, and the change rolled back. A rule the change
        breaks rolls it back and is said above the page it came from. The view's messages
        wait until the change is decided: a change kept for review was not "changed
        successfully", and a refused one was not either.
        """
        user = request.user
        revision = revisions.pending_for(owner) if owner is not None else None
        # An editor continues from the change waiting for review; a publisher sees (and
        # edits) the published version, and is pointed to the review.
        may_publish = owner is None or records.may_publish(user, type(owner))
        starting_from = [owner] if revision is not None and not may_publish else []
        if request.method == "GET" and revision is not None:
            review_notice(request, owner, revision)
        request.held_messages = held = []
        try:
            return self.written_from(request, view, owner, reason, starting_from, held)
        except revisions.StaleRevision as error:
            del request.held_messages
            # The pending change cannot be shown or built on: the published version is,
            # and a change made on top of the stale one is refused rather than lost.
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            if request.method != "GET":
                return HttpResponseRedirect(request.get_full_path())
            request.held_messages = held = []
            return self.written_from(request, view, owner, reason, [], held)

    def written_from(self, request, view, owner, reason, starting_from, held):
        """`written()`, starting from the pending revisions of `starting_from`."""
        user = request.user
        try:
            with records.change(
                user=user,
                reason=reason,
                using=router.db_for_write(self.model),
                starting_from=starting_from,
            ) as block:
                writes = block.writes
                response = view()
                if block.writes == writes:
                    # Nothing saved (a page shown, a form with errors): shown as the change
                    # left it, then rolled back. A save answers with a redirect, or with a
                    # page of its own in a popup.
                    if hasattr(response, "render"):
                        response.render()
                    block.discard()
        except revisions.StaleRevision:
            raise
        except ValidationError as error:
            del request.held_messages
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        del request.held_messages
        for message, level, args, kwargs in held:
            if not (block.revisions and level == messages.SUCCESS):
                self.message_user(request, message, level, *args, **kwargs)
        if block.revisions:
            self.message_user(
                request,
                _(
                    "Your change is kept for review: the public site shows the published "
                    "version until a publisher approves it."
                ),
                messages.WARNING,
            )
        return response

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        held = getattr(request, "held_messages", None)
        if held is not None:
            held.append((message, level, args, kwargs))
            return
        super().message_user(request, message, level, *args, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        owner = self.review_owner(request, object_id) if object_id else None
        parent = super().changeform_view
        return self.written(
            request, lambda: parent(request, object_id, form_url, extra_context), owner
        )

    def delete_view(self, request, object_id, extra_context=None):
        owner = self.review_owner(request, object_id)
        parent = super().delete_view
        return self.written(request, lambda: parent(request, object_id, extra_context), owner)

    def changelist_view(self, request, extra_context=None):
        parent = super().changelist_view
        if request.method != "POST":
            return parent(request, extra_context)
        return self.written(request, lambda: parent(request, extra_context))

    def save_model(self, request, obj, form, change):
        version = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
        if version is not None:
            obj._change_reason = records.revert_reason(version)
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if isinstance(obj, PublishableModel) and hasattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME):
            # The revert page's form: built from an earlier version, publication as it is now.
            keep_publication(obj, router.db_for_write(self.model))
        # `change` by name: modeltranslation's get_form takes no third positional argument.
        form = super().get_form(request, obj, change=change, **kwargs)
        return with_pasted_breaks(form)

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = with_pasted_breaks(formset.form)
            yield formset, inline

    def get_historical_record_context_helper(self, request, historical_record):
        return RecordChangeHelper(self.model, historical_record)

    def history_view(self, request, object_id, extra_context=None):
        pk_or_404(self.opts.pk, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """An earlier version of a record, and reverting the record to it (POST), as one
        change of the write path: the rules hold, and a published record's revert by
        someone who may not publish waits for review. Only a record that still exists is
        reverted: a deleted one took its inline records with it."""
        pk_or_404(self.model.history.model._meta.pk, version_id)
        current = self.get_object(request, object_id)
        if current is None:
            raise Http404
        parent = super().history_form_view
        if request.method != "POST":
            return parent(request, object_id, version_id, extra_context)
        # simple-history hides the button from those who may only view, but takes their POST.
        if self.revert_disabled(request, current):
            raise PermissionDenied
        owner = self.review_owner(request, object_id)
        return self.written(
            request, lambda: parent(request, object_id, version_id, extra_context), owner
        )


class PublicEntityAdmin(RecordAdmin):
    def view_on_site(self, obj):
        # An entity's page exists only while it takes part in a published record.
        is_public = type(obj).objects.public().filter(pk=obj.pk).exists()
        return obj.get_absolute_url() if is_public else None


@admin.register(Organization)
class OrganizationAdmin(PublicEntityAdmin, TranslationAdmin):
    list_display = ("name", "short_name", "kind", "country", "parent")
    list_filter = ("kind", ("country", CountryFilter))
    list_select_related = ("parent",)
    search_fields = (*in_every_language("name", "short_name"), "slug")
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
    title = gettext_lazy("held")
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return (("now", _("Held now")), ("past", _("Held in the past")))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "now":
            return queryset.exclude(end_date__lt=today)
        if self.value() == "past":
            return queryset.filter(end_date__lt=today)
        return queryset


@admin.register(Position)
class PositionAdmin(RecordAdmin, TranslationAdmin):
    form = PositionForm
    list_display = ("person", "title", "organization", "start_date", "end_date")
    list_filter = (CurrentPositionFilter, "organization__kind")
    list_select_related = ("person", "organization")
    search_fields = (
        "person__name",
        *in_every_language("title", "organization__name", "organization__short_name"),
    )
    autocomplete_fields = ("person", "organization")
    readonly_fields = TIMESTAMPS


@admin.register(Place)
class PlaceAdmin(PublicEntityAdmin, TranslationAdmin):
    # The coordinates place a dot on the map of where visits took place (cooperation/pictures.py).
    list_display = ("name", "kind", "country", "parent", "latitude", "longitude")
    list_filter = ("kind", ("country", CountryFilter))
    list_select_related = ("parent",)
    search_fields = (*in_every_language("name"), "slug", "address")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS


@admin.register(Topic)
class TopicAdmin(PublicEntityAdmin, TranslationAdmin):
    list_display = ("name", "parent")
    list_select_related = ("parent",)
    search_fields = (*in_every_language("name", "description"), "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = TIMESTAMPS


@admin.register(Series)
class SeriesAdmin(RecordAdmin, TranslationAdmin):
    list_display = ("name", "slug")
    search_fields = (*in_every_language("name"), "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS


@admin.register(Occasion)
class OccasionAdmin(PublicEntityAdmin, TranslationAdmin):
    list_display = ("name", "kind", "series", "number", "start_date", "place")
    list_filter = ("kind", "series")
    list_select_related = ("series", "place")
    search_fields = (*in_every_language("name"), "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("series", "place")
    readonly_fields = TIMESTAMPS
    fields = (
        "name",
        "slug",
        "kind",
        ("series", "number"),
        ("start_date", "end_date"),
        ("place", "online"),
        "summary",
        *TIMESTAMPS,
    )


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


class ProgramSignatoryInline(ValidLookupAutocomplete, TranslationTabularInline):
    model = ProgramSignatory
    formset = ProgramSignatoryFormSet
    fields = ("person", "organization", "title", "order")
    autocomplete_fields = ("person", "organization")
    extra = 0


class CitationFormSet(UniqueWithinOwnerFormSet):
    """A record cites each source once."""

    unique_field = "source"

    def taken_message(self, value):
        return _("%(source)s is already cited here.") % {"source": value}


class CitationInline(ValidLookupAutocomplete, admin.TabularInline):
    """The sources a record cites, with an optional quotation each."""

    formset = CitationFormSet
    fields = ("source", "quotation", "order")
    autocomplete_fields = ("source",)
    extra = 0


class PublishedCitationFormSet(CitationFormSet):
    """The sources of a programme or visit, as submitted with it.

    A published record cites at least one source. The citations are saved after the record,
    from these rows, so the rule is checked here, on the rows being submitted (kept,
    added or deleted), against the status the record is being saved with.
    """

    def clean(self):
        super().clean()
        if self.instance.status == Status.PUBLISHED and not any(map(self.cites, self.forms)):
            raise forms.ValidationError(_(NO_SOURCE))

    def cites(self, form):
        if self.can_delete and self._should_delete_form(form):
            return False
        # A row the user may only view keeps its stored source.
        return bool(form.cleaned_data.get("source") or form.instance.source_id)


class PublishedCitationInline(CitationInline):
    formset = PublishedCitationFormSet


class ProgramCitationInline(PublishedCitationInline):
    model = ProgramCitation


# What the change log says of each step of the workflow, in English like the rest of the log.
LOGGED = {
    "submit_for_review": "Submitted for review.",
    "publish": "Published.",
    "return_to_draft": "Returned to draft.",
}


class PublishableAdmin(RecordAdmin):
    """Programmes and visits, which go from draft through review to the public site.

    Editors keep the records; only a publisher (the model's "publish" permission) puts one
    on the site or takes it off, sets when it was published, or deletes a published one.
    The forms offer an editor nothing else, and `save_model` holds the rule again against
    the stored record, so no other route through the admin gets past it.
    """

    actions = (*RecordAdmin.actions, "submit_for_review", "publish", "return_to_draft")

    def view_on_site(self, obj):
        # A draft's public address shows staff a preview; the public still gets a 404.
        return obj.get_absolute_url()

    def has_publish_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published and not self.has_publish_permission(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Who published is recorded by the workflow, never typed.
        readonly = [*super().get_readonly_fields(request, obj), "published_by"]
        if not self.has_publish_permission(request):
            readonly.append("published_at")
            if obj is not None and obj.is_published:
                readonly.append("status")
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status" and not self.has_publish_permission(request):
            kwargs["choices"] = [
                (value, label) for value, label in Status.choices if value != Status.PUBLISHED
            ]
            kwargs["error_messages"] = {"invalid_choice": _(ONLY_PUBLISHERS)}
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("status")
        stored = obj.status if obj is not None and obj.pk is not None else None
        if field is not None and stored != Status.IN_REVIEW and stored != Status.PUBLISHED:
            # The form offers the rule of the workflow (cooperation/records/rules.py): a
            # record goes public from review only.
            field.choices = [choice for choice in field.choices if choice[0] != Status.PUBLISHED]
            if self.has_publish_permission(request):
                field.error_messages["invalid_choice"] = _(FROM_REVIEW)
        return form

    def review_owner(self, request, object_id):
        return self.get_object(request, object_id) if object_id else None

    def save_model(self, request, obj, form, change):
        """A status chosen on the form is a step of the workflow: publishing stamps when and
        by whom, returning to draft clears both. Whether the step may be taken, by this
        user, is the write path's rule (cooperation/records/rules.py)."""
        stored = Status.DRAFT
        if change:
            # As stored, not as the form was loaded: the record may have moved on since.
            stored = type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)
        if obj.is_published and stored != Status.PUBLISHED:
            obj.publish(request.user, obj.published_at or publication_time())
        elif stored == Status.PUBLISHED and not obj.is_published:
            obj.return_to_draft()
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        if not self.has_publish_permission(request):
            published = queryset.filter(status=Status.PUBLISHED)
            if published.exists():
                self.message_user(
                    request,
                    _("Not deleted: %(records)s. Only a publisher can delete a published record.")
                    % {"records": self.named(published)},
                    messages.ERROR,
                )
                queryset = queryset.exclude(status=Status.PUBLISHED)
        super().delete_queryset(request, queryset)

    def get_urls(self):
        opts = self.opts
        review = self.admin_site.admin_view(self.review_view)
        return [
            path(
                "<path:object_id>/review/",
                review,
                name=f"{opts.app_label}_{opts.model_name}_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        """A change waiting for review beside the published version; a publisher approves
        or rejects it here."""
        pk_or_404(self.opts.pk, object_id)
        owner = self.get_object(request, object_id)
        if owner is None or not self.has_view_or_change_permission(request, owner):
            raise Http404
        revision = revisions.pending_for(owner)
        may_decide = self.has_publish_permission(request)
        if request.method == "POST" and revision is not None:
            if not may_decide:
                raise PermissionDenied
            decision = request.POST.get("decision")
            try:
                if decision == "approve":
                    records.approve(revision, request.user, router.db_for_write(self.model))
                    self.message_user(request, _("The change is approved and public."))
                elif decision == "reject":
                    records.reject(revision, request.user, router.db_for_write(self.model))
                    self.message_user(request, _("The change is rejected."))
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": owner,
            "title": _("Change waiting for review: %(record)s") % {"record": owner},
            "revision": revision,
            "differences": revisions.differences(owner, revision.content) if revision else [],
            "may_decide": may_decide,
        }
        return TemplateResponse(request, "admin/cooperation/review.html", context)

    # --- The workflow's actions. Each saves row by row (never `update()`), so every change
    # is saved, logged and recorded like an edit, then rebuilds the search and the event
    # index of the visits concerned, which list published records only.

    def counted(self, records):
        return f"{len(records)} {model_ngettext(self.opts, len(records))}"

    def named(self, records):
        return ", ".join(str(record) for record in records)

    def take_step(self, request, chosen, step, told, left=(), why="", level=messages.ERROR):
        """Take `step` (a function of the write path: records.publish…) for each of
        `chosen`, all in one change (a rule broken by one leaves every one as it was), log
        each, and tell the user what was done (`told`, with the records counted in
        "%(records)s") and which records were `left` as they were, and `why` (naming them
        in "%(names)s")."""
        with records.change(user=request.user, using=router.db_for_write(self.model)):
            for record in chosen:
                step(record, request.user)
                self.log_change(request, record, LOGGED[step.__name__])
        if chosen:
            self.message_user(request, told % {"records": self.counted(chosen)})
        if left:
            self.message_user(request, why % {"names": self.named(left)}, level)

    @admin.action(description=gettext_lazy("Submit for review"), permissions=("change",))
    def submit_for_review(self, request, queryset):
        drafts, others = [], []
        for record in queryset:
            (drafts if record.status == Status.DRAFT else others).append(record)
        self.take_step(
            request,
            drafts,
            records.submit_for_review,
            _("%(records)s submitted for review."),
            others,
            _("Left as they were: %(names)s. Only a draft is submitted for review."),
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Publish"), permissions=("publish",))
    def publish(self, request, queryset):
        ready, drafts, unsourced = [], [], []
        for record in queryset:
            if record.status == Status.DRAFT:
                drafts.append(record)
            elif record.status == Status.IN_REVIEW:
                (ready if record.has_sources() else unsourced).append(record)
        self.take_step(
            request,
            ready,
            records.publish,
            _("%(records)s published."),
            unsourced,
            _("Not published, because they cite no source yet: %(names)s."),
        )
        if drafts:
            self.message_user(
                request,
                _("Not published, because they are drafts not yet in review: %(names)s.")
                % {"names": self.named(drafts)},
                messages.ERROR,
            )

    @admin.action(description=gettext_lazy("Return to draft"), permissions=("change",))
    def return_to_draft(self, request, queryset):
        may_unpublish = self.has_publish_permission(request)
        returned, refused = [], []
        for record in queryset:
            if record.status != Status.DRAFT:
                (refused if record.is_published and not may_unpublish else returned).append(record)
        self.take_step(
            request,
            returned,
            records.return_to_draft,
            _("%(records)s returned to draft."),
            refused,
            " ".join((_("Left on the public site: %(names)s."), _(ONLY_PUBLISHERS))),
        )


@admin.register(CooperationProgram)
class CooperationProgramAdmin(PublishableAdmin, TranslationAdmin):
    form = CooperationProgramForm
    list_display = ("title", "kind", "period", "party_names", "signed_on", "status")
    list_filter = ("status", "kind")
    list_select_related = ("signed_at",)
    search_fields = (
        *in_every_language("title"),
        "slug",
        *in_every_language("parties__name", "parties__short_name"),
    )
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("parties", "signed_at", "topics")
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    ("title", "title_is_descriptive"),
                    "slug",
                    "parties",
                    ("start_year", "end_year"),
                    "topics",
                    "summary",
                )
            },
        ),
        (gettext_lazy("Signing"), {"fields": ("signed_on", "signed_at")}),
        (PUBLICATION, {"fields": (*PUBLICATION_FIELDS, *TIMESTAMPS)}),
    )
    inlines = (ProgramSignatoryInline, ProgramCitationInline)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    @admin.display(description=gettext_lazy("period"), ordering="start_year")
    def period(self, obj):
        return obj.period

    @admin.display(description=gettext_lazy("parties"))
    def party_names(self, obj):
        return "; ".join(str(party) for party in obj.parties.all())


# --- Delegations --------------------------------------------------------------------------


class DelegationMemberInline(ValidLookupAutocomplete, TranslationTabularInline):
    model = DelegationMember
    formset = DelegationMemberFormSet
    fields = ("person", "role", "is_head", "order")
    autocomplete_fields = ("person",)
    extra = 1


class DelegationCitationInline(PublishedCitationInline):
    model = DelegationCitation


class ActivityInline(ValidLookupAutocomplete, TranslationStackedInline):
    form = ActivityForm
    formset = ActivityFormSet
    prepopulated_fields = {"slug": ("title",)}
    extra = 0


class MeetingInline(ActivityInline):
    model = Meeting
    fields = (
        ("title", "slug"),
        ("date", "end_date", "order"),
        ("place", "online", "host_organization"),
        "topics",
        "occasion",
        "summary",
    )
    autocomplete_fields = ("place", "host_organization", "topics", "occasion")
    show_change_link = True


class WorkshopInline(ActivityInline):
    model = Workshop
    fields = (
        ("title", "slug"),
        ("date", "end_date", "order"),
        ("place", "online"),
        "topics",
        "occasion",
        "summary",
    )
    autocomplete_fields = ("place", "topics", "occasion")
    show_change_link = True


class SiteVisitInline(ActivityInline):
    model = SiteVisit
    fields = (
        ("title", "slug"),
        ("date", "end_date", "order"),
        "place",
        "topics",
        "occasion",
        "summary",
    )
    autocomplete_fields = ("place", "topics", "occasion")
    show_change_link = True


class SigningInline(ValidLookupAutocomplete, admin.TabularInline):
    """Instruments signed or adopted during the visit, at one of its saved meetings where
    the sources say which."""

    model = Signing
    fields = ("instrument", "meeting", "order")
    autocomplete_fields = ("instrument",)
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        meetings = formset.form.base_fields["meeting"]
        meetings.queryset = (
            Meeting.objects.filter(delegation=obj) if obj else Meeting.objects.none()
        )
        return formset


class MeetingParticipantInline(ValidLookupAutocomplete, TranslationTabularInline):
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


# --- Rows inside rows: the visit's page ---------------------------------------------------
#
# A visit's meetings, workshops and site visits are entered on the visit's page with their
# own rows inside them (a meeting's participants, each activity's sources), all saved by the
# one save of the page, as one change of the write path (RecordAdmin.written). The same
# inlines serve the activities' own pages, unnested.


class RowsLeftAsTheyAreMixin:
    """Rows inside a row that a request did not submit at all (no management form: a page
    rendered before these rows were on it, or a script posting the visit's own fields) are
    left as they are, instead of the whole save failing on a form nobody saw."""

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.submitted = data is None or self.add_prefix(TOTAL_FORM_COUNT) in data

    def total_form_count(self):
        return super().total_form_count() if self.submitted else 0

    def initial_form_count(self):
        return super().initial_form_count() if self.submitted else 0

    def full_clean(self):
        if self.submitted:
            return super().full_clean()
        self._errors = []
        self._non_form_errors = self.error_class()
        return None


def nested_formset(formset, inner):
    """`formset` as nested-admin saves it, inner rows (`inner`) left alone when not sent."""
    bases = (NestedInlineFormSetMixin, formset)
    if inner:
        bases = (RowsLeftAsTheyAreMixin, *bases)
    return type(f"Nested{formset.__name__}", bases, {})


class NestedRowsMixin:
    """An inline on the visit's page. Its formset is built by nested-admin, not by
    RecordAdmin.get_formsets_with_inlines, so it takes pasted breaks here."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_pasted_breaks(formset.form)
        return formset


def nested(inline, *, inner=False, **attributes):
    """`inline` on the visit's page, as nested-admin draws and saves it; `inner` for rows
    inside another inline's rows."""
    layout, template = NestedStackedInlineMixin, "admin/nesting/stacked.html"
    if issubclass(inline, admin.TabularInline):
        layout, template = NestedTabularInlineMixin, "admin/nesting/tabular.html"
    attributes = {
        "template": template,
        "formset": nested_formset(inline.formset, inner),
        # Rows are ordered by their number, not by dragging.
        "is_sortable": False,
        "__module__": __name__,
        **attributes,
    }
    return type(f"Nested{inline.__name__}", (NestedRowsMixin, layout, inline), attributes)


def year_span(queryset, field):
    """The first and last year of `field` among `queryset`'s rows, or None when empty.

    Two index lookups (MIN and MAX), where listing the distinct years would read every row.
    """
    span = queryset.order_by().aggregate(first=Min(field), last=Max(field))
    if span["first"] is None:
        return None
    return span["first"].year, span["last"].year


# The programme filter's choices, the same on every page of the list until a record
# changes, per language and ordering (cooperation/registry_version.py).
_programme_choices = registry_version.KeptPerVersion()


# Django's filter template, its choices written in one piece (registry_admin.written_choices):
# for the filters that list hundreds of records.
WRITTEN_FILTER = "admin/cooperation/written_filter.html"


class ProgrammeListFilter(admin.RelatedFieldListFilter):
    """The visits' programme filter: Django's, its choices (every programme, several
    hundred in a large archive) read with only the columns their names need, rather than
    every programme's every text in three languages, and once per registry version and
    language rather than on each page of the list (6 ms of it at a million visits)."""

    template = WRITTEN_FILTER

    def field_choices(self, field, request, model_admin):
        programmes = field.related_model._default_manager.complex_filter(
            field.get_limit_choices_to()
        ).only(*in_every_language("title"))
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            programmes = programmes.order_by(*ordering)
        choices = _programme_choices.get(
            (get_language(), tuple(ordering or ())),
            lambda: [(programme.pk, str(programme)) for programme in programmes],
            using=programmes.db,
        )
        return list(choices)


class YearListFilter(admin.SimpleListFilter):
    template = WRITTEN_FILTER
    title = gettext_lazy("year")
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
    template = WRITTEN_FILTER
    title = gettext_lazy("country")
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


# Every programme's titles, each line one language's, case folded: kept per registry
# version and database for the visits' search (programmes_titled).
_programme_titles = registry_version.KeptPerVersion()


def programmes_titled(words, using):
    """The ids of the programmes whose title, in any language, contains `words`, case aside.

    Matched here over every programme's titles, kept until a record changes: in a large
    archive (10,000 programmes at a million visits) `UPPER(title) LIKE` over the three
    titles of each took PostgreSQL 18 ms a search, and SQLite's UPPER folds only ASCII."""
    folded = words.casefold()
    if not folded or "\n" in folded:
        return []

    def read():
        rows = CooperationProgram.objects.using(using).values_list(
            "pk", *in_every_language("title")
        )
        return [(pk, "\n".join(t for t in titles if t).casefold()) for pk, *titles in rows]

    titles = _programme_titles.get("titles", read, using=using)
    return [pk for pk, text in titles if folded in text]


@admin.register(Delegation)
class DelegationAdmin(NestedModelAdminMixin, PublishableAdmin, TranslationAdmin):
    form = DelegationForm
    # What tells visits apart first (title, dates, type, status), then who: the bodies'
    # long names wrap, and at 1,280 px the columns before them stay in the window.
    list_display = (
        "title",
        "start_date",
        "end_date",
        "visit_type",
        "status",
        "sending_organization",
        "host_organization",
        "head",
    )
    list_filter = (
        "status",
        "visit_type",
        ("program", ProgrammeListFilter),
        VisitCountryFilter,
        YearListFilter,
    )
    list_select_related = ("sending_organization", "host_organization")
    # What the columns read (RecordChangeList.get_results): a visit's whole row with its
    # offices' is some 130 columns, most of them texts in three languages no column shows.
    list_only = (
        "slug",
        "status",
        "start_date",
        "end_date",
        "visit_type",
        *in_every_language("title", "sending_organization__name", "host_organization__name"),
    )
    # Searched through the visits' maintained search text (see get_search_results), which
    # holds every name a visit involves: members, participants, organizations, places,
    # topics, its programme.
    search_fields = ("title",)
    search_help_text = gettext_lazy(
        "Finds a visit by any word of its title or summary, or by the name of a person, "
        "organization, place, topic or programme it involves; or by its exact slug."
    )
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = (
        "sending_organization",
        "host_organization",
        "program",
        "location",
        "topics",
        "occasion",
    )
    readonly_fields = TIMESTAMPS
    save_on_top = True
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    ("sending_organization", "host_organization", "host_absent"),
                    "program",
                    "occasion",
                    "visit_type",
                    ("start_date", "end_date"),
                    "date_basis",
                    "location",
                    "topics",
                    "purpose",
                    "summary",
                )
            },
        ),
        (PUBLICATION, {"fields": (*PUBLICATION_FIELDS, *TIMESTAMPS)}),
    )
    inlines = (
        nested(DelegationMemberInline),
        nested(DelegationCitationInline),
        nested(
            MeetingInline,
            inlines=(
                nested(MeetingParticipantInline, inner=True),
                nested(MeetingCitationInline, inner=True),
            ),
        ),
        nested(WorkshopInline, inlines=(nested(WorkshopCitationInline, inner=True),)),
        nested(SiteVisitInline, inlines=(nested(SiteVisitCitationInline, inner=True),)),
        nested(SigningInline),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*SEARCH_FIELDS)

    def attach_to_rows(self, visits):
        """The names of each visit's heads of delegation (the `head` column), in the order
        of its members, for a changelist's page in one read: as names, not records, since
        reading a page's hundred heads and their people as records took 8 ms of it."""
        names = {}
        if visits:
            heads = (
                DelegationMember.objects.using(visits[0]._state.db)
                .filter(is_head=True, delegation__in=[visit.pk for visit in visits])
                .values_list("delegation_id", "person__name")
            )
            for visit_id, name in heads:
                names.setdefault(visit_id, []).append(name)
        for visit in visits:
            visit.head_names = names.get(visit.pk, [])

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # The programme ids are found first, so that the condition below is one bitmap OR
        # of three indexes: a subquery here made PostgreSQL walk every visit.
        programs = programmes_titled(term, queryset.db)
        found = queryset.filter(
            queryset.matching_text(term) | Q(program__in=programs) | Q(slug=term)
        )
        return found, False

    @admin.display(description=gettext_lazy("head of delegation"))
    def head(self, obj):
        if not hasattr(obj, "head_names"):
            # A visit not listed by a changelist or an export: its heads read for it alone.
            self.attach_to_rows([obj])
        return ", ".join(obj.head_names) or None


# --- Activities ---------------------------------------------------------------------------


class ActivityAdmin(RecordAdmin, TranslationAdmin):
    form = ActivityForm
    list_display = ("title", "delegation", "date", "place")
    list_filter = (("date", admin.EmptyFieldListFilter), "delegation__status")
    list_select_related = ("delegation", "place")
    search_fields = (
        *in_every_language("title"),
        "slug",
        *in_every_language("delegation__title", "place__name"),
    )
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = TIMESTAMPS

    def review_owner(self, request, object_id):
        activity = self.get_object(request, object_id)
        return activity.delegation if activity is not None else None

    def view_on_site(self, obj):
        # An activity is shown on its visit's page, which exists only once it is published.
        return obj.get_absolute_url() if obj.delegation.is_published else None


@admin.register(Meeting)
class MeetingAdmin(ActivityAdmin):
    list_display = ("title", "delegation", "date", "place", "host_organization")
    list_select_related = ("delegation", "place", "host_organization")
    search_fields = (*ActivityAdmin.search_fields, *in_every_language("host_organization__name"))
    autocomplete_fields = ("delegation", "place", "host_organization", "topics")
    fields = (
        "delegation",
        ("title", "slug"),
        ("date", "end_date", "order"),
        ("place", "online", "host_organization"),
        "topics",
        "summary",
        TIMESTAMPS,
    )
    inlines = (MeetingParticipantInline, MeetingCitationInline)


@admin.register(Workshop)
class WorkshopAdmin(ActivityAdmin):
    search_fields = (*ActivityAdmin.search_fields, *in_every_language("topics__name"))
    autocomplete_fields = ("delegation", "place", "topics")
    fields = (
        "delegation",
        ("title", "slug"),
        ("date", "end_date", "order"),
        ("place", "online"),
        "topics",
        "summary",
        TIMESTAMPS,
    )
    inlines = (WorkshopCitationInline,)


@admin.register(SiteVisit)
class SiteVisitAdmin(ActivityAdmin):
    autocomplete_fields = ("delegation", "place", "topics")
    fields = (
        "delegation",
        ("title", "slug"),
        ("date", "end_date", "order"),
        "place",
        "topics",
        "summary",
        TIMESTAMPS,
    )
    inlines = (SiteVisitCitationInline,)


# --- Changes waiting for review -----------------------------------------------------------


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    """Every change kept for review, newest first; each opens its record's review page.
    Written only by the write path (cooperation/records/revisions.py), never by hand."""

    list_display = ("record_link", "created_by", "updated_at", "state", "decided_by")
    list_filter = ("state",)
    list_select_related = ("delegation", "program", "created_by", "decided_by")
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=gettext_lazy("record"))
    def record_link(self, obj):
        record = obj.record
        opts = record._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_review", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
