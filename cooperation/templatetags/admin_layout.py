"""How the admin's forms are laid out: a field's translations folded under its English text,
and the rows of an inline table, each input named for its column and row.

A translated field (cooperation/translation.py) has one form field per language
(`title_en`, `title_az`, `title_ru`). Side by side they made the visit's page wider than a
window and three times as long; here they are one item: the English field, then the others
in a <details> that opens by itself where one of them has an error.

    {% load admin_layout %}
    {% for row in fieldset|rows %} … {% endfor %}            templates/admin/includes/fieldset.html
    {% for column in inline_admin_formset|columns %} … {% endfor %}   the tabular inlines
    {% for cell in inline_admin_form|cells %} … {% endfor %}

Reading only the forms already built, these cost no query.
"""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from modeltranslation.fields import TranslationField

register = template.Library()


def field_name(admin_field):
    """The form field's name of an AdminField, or of an AdminReadonlyField."""
    if admin_field.is_readonly:
        return admin_field.field["name"]
    return admin_field.field.name


def field_form(admin_field):
    return admin_field.form if admin_field.is_readonly else admin_field.field.form


def translated(model, name):
    """The model field `name` translates, or None when it is no translation."""
    try:
        field = model._meta.get_field(name)
    except (FieldDoesNotExist, TypeError):
        return None
    return field.translated_field if isinstance(field, TranslationField) else None


def has_value(admin_field):
    if admin_field.is_readonly:
        value = getattr(field_form(admin_field).instance, field_name(admin_field), None)
    else:
        value = admin_field.field.value()
    return value not in (None, "")


class Translations:
    """One field in every language: `shown` (the first, English) and `others`."""

    is_translations = True

    def __init__(self, original, first):
        self.original = original
        self.fields = [first]

    @property
    def name(self):
        return self.original.name

    @property
    def label(self):
        return capfirst(self.original.verbose_name)

    @property
    def shown(self):
        return self.fields[0]

    @property
    def others(self):
        return self.fields[1:]

    @property
    def names(self):
        return [field_name(field) for field in self.fields]

    @property
    def open(self):
        """Unfolded where a translation has an error, so that it is seen."""
        return any(not field.is_readonly and field.field.errors for field in self.others)

    @property
    def filled(self):
        """The language codes of the other texts that are filled in."""
        codes = []
        for field in self.others:
            if has_value(field):
                codes.append(field_name(field).rsplit("_", 1)[-1])
        return codes


def grouped(admin_fields, model):
    """`admin_fields` with each run of one field's translations made one Translations."""
    items = []
    for admin_field in admin_fields:
        original = translated(model, field_name(admin_field))
        last = items[-1] if items else None
        if original is None:
            items.append(admin_field)
        elif isinstance(last, Translations) and last.original == original:
            last.fields.append(admin_field)
        else:
            items.append(Translations(original, admin_field))
    return items


def unwrapped(items):
    """`items`, a field whose other languages are not on the form shown as a plain field."""
    return [
        item.shown if isinstance(item, Translations) and not item.others else item for item in items
    ]


class Row:
    """One row of a fieldset: one or more lines of the fieldset, as items."""

    def __init__(self, line, items):
        self.lines = [line]
        self.items = items

    @property
    def single(self):
        return len(self.items) == 1

    @property
    def has_visible_field(self):
        return any(line.has_visible_field for line in self.lines)

    @property
    def errors(self):
        return "\n".join(line.errors() for line in self.lines).strip("\n")

    @property
    def names(self):
        names = []
        for item in self.items:
            if isinstance(item, Translations):
                names.extend(item.names)
            else:
                names.append(field_name(item))
        return [name for name in names if name]

    def takes(self, items):
        """Whether a following line of `items` continues this row's translations: each
        language on a line of its own, as modeltranslation writes a field named alone."""
        return (
            self.single
            and len(items) == 1
            and isinstance(self.items[0], Translations)
            and isinstance(items[0], Translations)
            and self.items[0].original == items[0].original
        )


@register.filter
def rows(fieldset):
    """The rows of an admin Fieldset, a field's translations one item of one row."""
    model = fieldset.form._meta.model
    result = []
    for line in fieldset:
        items = grouped(line, model)
        if result and result[-1].takes(items):
            result[-1].items[0].fields.extend(items[0].fields)
            result[-1].lines.append(line)
        else:
            result.append(Row(line, items))
    for row in result:
        row.items = unwrapped(row.items)
    return result


@register.filter
def columns(inline_admin_formset):
    """The columns of a tabular inline's table (InlineAdminFormSet.fields), one field's
    translations one column, headed by the first language's label."""
    model = inline_admin_formset.formset.model
    result = []
    previous = None
    for field in inline_admin_formset.fields():
        original = translated(model, field["name"])
        if original is None or original != previous:
            result.append(field)
        previous = original
    return result


@register.filter
def cells(inline_admin_form):
    """The cells of one row of a tabular inline, in the order of `columns`."""
    fields = [field for fieldset in inline_admin_form for line in fieldset for field in line]
    return unwrapped(grouped(fields, inline_admin_form.form._meta.model))


@register.filter
def span(inline_admin_form):
    """How many columns a row of the table has (Django's `cell_count`, one per column)."""
    shown = [
        cell
        for cell in cells(inline_admin_form)
        if isinstance(cell, Translations) or not is_hidden(cell)
    ]
    return 1 + len(shown) + (1 if inline_admin_form.formset.can_delete else 0)


def is_hidden(admin_field):
    if admin_field.is_readonly:
        return admin_field.field["is_hidden"]
    return admin_field.field.is_hidden


@register.filter
def has_errors(inline_admin_form):
    """Whether a stacked inline's row, or a row inside it, has an error to show."""
    return form_has_errors(inline_admin_form.form)


def form_has_errors(form):
    if form.is_bound and form.errors:
        return True
    for nested in getattr(form, "inlines", ()):
        formset = nested.formset
        if formset.is_bound and (formset.non_form_errors() or any(formset.errors)):
            return True
        if any(form_has_errors(inner) for inner in formset.forms):
            return True
    return False
