"""A record's own words on a page, in the page's language or, marked so, in English.

    {% load records %}
    {% record_block %}
      <h1>{% field event "title" %}</h1>
      {% field event "summary" "paragraphs" %}
      {% field event.sending_organization "name" as sending %}
    {% endrecord_block %}
    <a href="{{ person.get_absolute_url }}">{{ person|person_name }}</a>

Where the page's language has no text for the field, the English text is shown inside an
element with lang="en" (so that screen readers and translation tools read it as English).
A record block (a visit's header, one activity, a list item…) then ends with one note
saying that what is marked so is not yet translated: one note per block, however many of its
fields fall back. A field outside any block carries its own note. Reading the attributes of
rows already fetched, it costs no query.

A person's name is shown in the page's script where the record holds a spelling in it
(cooperation/languages.py, `person_name`).
"""

from django import template
from django.template.defaultfilters import linebreaks_filter, linebreaksbr
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext

from cooperation import languages
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

# The context variable through which the fields of a record block tell the block which of
# them fell back to English.
FALLBACKS = "_record_block_fallbacks"


def untranslated_note():
    return gettext("Not yet translated – shown in English")


@register.simple_tag(takes_context=True)
def field(context, record, name, form="text"):
    """The text of `record`'s `name` as the page's language shows it (see above)."""
    if record is None:
        return ""
    text, language = shown(record, name)
    body = FORMS[form](text)
    if language is None or language == current():
        return body
    block = context.get(FALLBACKS)
    if block is not None:
        block.append(name)
    if form == "paragraphs":
        marked = format_html('<div lang="{}">{}</div>', language, body)
        if block is not None:
            return marked
        return format_html('{}<p class="untranslated">{}</p>', marked, untranslated_note())
    marked = format_html('<span lang="{}">{}</span>', language, body)
    if block is not None:
        return marked
    return format_html('{} <small class="untranslated">{}</small>', marked, untranslated_note())


class RecordBlockNode(template.Node):
    def __init__(self, nodelist, inline):
        self.nodelist = nodelist
        self.inline = inline

    def render(self, context):
        fallbacks = []
        with context.push({FALLBACKS: fallbacks}):
            body = self.nodelist.render(context)
        if not fallbacks:
            return body
        element = "small" if self.inline else "p"
        return format_html(
            '{}{}<{} class="untranslated">{}</{}>',
            body,
            " " if self.inline else "",
            element,
            untranslated_note(),
            element,
        )


@register.tag
def record_block(parser, token):
    """{% record_block %}…{% endrecord_block %}: the fields inside fall back to English
    marked only with their language, and the block ends with one note when any did.
    {% record_block inline %} writes the note as phrasing content (<small>), for a block
    inside a paragraph or a heading."""
    bits = token.split_contents()
    if len(bits) > 2 or (len(bits) == 2 and bits[1] != "inline"):
        raise template.TemplateSyntaxError("{% record_block %} takes only the word 'inline'.")
    nodelist = parser.parse(("endrecord_block",))
    parser.delete_first_token()
    return RecordBlockNode(nodelist, inline=len(bits) == 2)


@register.filter
def text_language(record, name):
    """The language of the text a page in the active language shows for `record`'s `name`
    ("en" when it falls back to English), for a lang attribute."""
    return shown(record, name)[1] or current()


@register.filter
def person_name(person):
    """`person`'s name in the page's script where the record holds it (languages.py)."""
    if person is None:
        return ""
    return languages.person_name(person)


@register.filter
def other_spellings(person):
    """The spellings of `person`'s name other than the one the page shows, with their
    language codes (languages.py)."""
    return languages.other_spellings(person)
