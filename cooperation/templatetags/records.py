"""A record's own words on a page, in the page's language or, marked so, in English.

    {% load records %}
    <h1>{% field event "title" %}</h1>
    {% field event "summary" "paragraphs" %}
    {% field event.sending_organization "name" as sending %}

Where the page's language has no text for the field, the English text is shown inside an
element with lang="en" (so that screen readers and translation tools read it as English),
followed by a note saying so. Reading the attributes of rows already fetched, it costs no
query.
"""

from django import template
from django.template.defaultfilters import linebreaks_filter, linebreaksbr
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext

from cooperation.languages import current, shown

register = template.Library()

FORMS = {
    # A text on one line.
    "text": conditional_escape,
    # A text whose line breaks are kept (a purpose), as the `linebreaksbr` filter keeps them.
    "lines": lambda text: linebreaksbr(text, autoescape=True),
    # A text of paragraphs (a summary): <p> each, as the `linebreaks` filter writes them.
    "paragraphs": lambda text: linebreaks_filter(text, autoescape=True),
}


def untranslated_note():
    return gettext("Not yet translated – shown in English")


@register.simple_tag
def field(record, name, form="text"):
    """The text of `record`'s `name` as the page's language shows it (see above)."""
    if record is None:
        return ""
    text, language = shown(record, name)
    body = FORMS[form](text)
    if language is None or language == current():
        return body
    if form == "paragraphs":
        return format_html(
            '<div lang="{}">{}</div><p class="untranslated">{}</p>',
            language,
            body,
            untranslated_note(),
        )
    return format_html(
        '<span lang="{}">{}</span> <small class="untranslated">{}</small>',
        language,
        body,
        untranslated_note(),
    )


@register.filter
def text_language(record, name):
    """The language of the text a page in the active language shows for `record`'s `name`
    ("en" when it falls back to English), for a lang attribute."""
    return shown(record, name)[1] or current()
