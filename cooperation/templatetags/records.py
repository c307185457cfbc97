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
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext

from cooperation import languages
from cooperation.languages import current, shown
from cooperation.models import Delegation, HostAbsent, MeetingParticipant
from cooperation.templatetags.registry import activity_kind, show_dates

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
    return written(record, name, form, context.get(FALLBACKS))


def written(record, name, form="text", block=None, page_language=None):
    """`field` for Python: `block` is the list of the names of its record block's fields
    that fell back to English (None outside a block); `page_language` the active
    language, where the caller knows it already."""
    if record is None:
        return ""
    page_language = page_language or current()
    text, language = shown(record, name, page_language)
    body = FORMS[form](text)
    if language is None or language == page_language:
        return body
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


def with_note(body, fallbacks, inline=False):
    """A record block's `body`, ended with the note when any of its fields fell back."""
    if not fallbacks:
        return body
    element = "small" if inline else "p"
    return format_html(
        '{}{}<{} class="untranslated">{}</{}>',
        body,
        " " if inline else "",
        element,
        untranslated_note(),
        element,
    )


class RecordBlockNode(template.Node):
    def __init__(self, nodelist, inline):
        self.nodelist = nodelist
        self.inline = inline

    def render(self, context):
        fallbacks = []
        with context.push({FALLBACKS: fallbacks}):
            body = self.nodelist.render(context)
        return with_note(body, fallbacks, self.inline)


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


@register.simple_tag
def event_items(events):
    """A list of events' items: for each visit, its title, dates, type and place, and who
    visited whom, as one record block.

        <ul class="event-list">{% event_items events %}</ul>

    Written here rather than by a template included once per visit: the lists show 20 to 50
    visits, and an included template's lookups, translations and tags cost 0.37 ms a visit,
    7 ms of a list of 20 (this, with its words translated once per list, 0.09 ms a visit).
    Reads what Delegation.objects.as_listed() reads."""
    visit_type = Delegation._meta.get_field("visit_type")
    words = {
        "language": current(),
        # get_visit_type_display() builds the table of labels anew for every visit.
        "types": {value: str(label) for value, label in visit_type.flatchoices},
        "reported": gettext("(reported)"),
        "no_single_host": gettext("no single host"),
        "host_not_stated": gettext("host not stated"),
        "visiting": gettext("%(sending)s visiting %(host)s"),
    }
    return mark_safe("".join(_event_item(event, words) for event in events))


@register.simple_tag
def facet_values(items):
    """A facet's values on the event list (views.facet_items): a link with its count for
    each, the chosen one marked rather than linked.

        <ul>{% facet_values facet.items %}</ul>

    Written here rather than by a template loop: a list's nine facets show up to eighty
    values, and the loop's lookups and tests took 1.5 ms of a page. The same HTML as the
    loop wrote, its line breaks included."""
    parts = []
    for item in items:
        lang = f' lang="{conditional_escape(item["lang"])}"' if item["lang"] else ""
        label = conditional_escape(item["label"])
        if item["selected"]:
            value = f'<span aria-current="true"{lang}>{label}</span>'
        else:
            value = f'<a href="{conditional_escape(item["url"])}"{lang}>{label}</a>'
        count = conditional_escape(item["count_text"])
        parts.append(f'\n      <li>{value} <span class="count">({count})</span></li>\n      ')
    return mark_safe("".join(parts))


@register.simple_tag
def plain_field(field):
    """A field of the event list's filter form (includes/filter_form.html) with no error
    and no records to choose between by name: its label and input, as the template's own
    block writes them (line breaks included), which it still does for the others. Through
    that block, a form's sixteen fields took 7.7-8.5 ms to render, in process, while the
    machine was busy; 6.3 ms this way."""
    return mark_safe(
        f'\n  <div class="field">\n    <label for="{conditional_escape(field.id_for_label)}">'
        f"{conditional_escape(field.label)}</label>\n    \n    \n    \n    "
        f"{conditional_escape(field)}\n    \n  </div>\n  "
    )


def _event_item(event, words):
    fallbacks = []
    language = words["language"]
    meta = [show_dates(event.start_date, event.end_date)]
    if event.date_basis == Delegation.DateBasis.REPORTED:
        meta.append(f" {conditional_escape(words['reported'])}")
    visit_type = words["types"].get(event.visit_type, event.visit_type)
    meta.append(f" · {conditional_escape(visit_type)}")
    if event.location:
        meta.append(f" · {written(event.location, 'name', 'text', fallbacks, language)}")
    sending = written(event.sending_organization, "name", "text", fallbacks, language)
    if event.host_organization:
        host = written(event.host_organization, "name", "text", fallbacks, language)
        # The message's words are the catalogue's; the names in it are escaped above.
        sides = words["visiting"] % {"sending": sending, "host": host}
    else:
        no_single_host = event.host_absent == HostAbsent.NO_SINGLE_HOST
        absent = "no_single_host" if no_single_host else "host_not_stated"
        sides = f"{sending} ({conditional_escape(words[absent])})"
    title = written(event, "title", "text", fallbacks, language)
    body = mark_safe(
        f'<h3><a href="{conditional_escape(event.get_absolute_url())}">{title}</a></h3>\n'
        f'  <p class="meta">{"".join(meta)}</p>\n'
        f"  <p>{sides}</p>\n"
    )
    return f'<li class="event-item">{with_note(body, fallbacks)}</li>'


@register.simple_tag
def timeline_items(activities, event):
    """The items of a visit's timeline: for each of its `activities` (meetings, workshops,
    site visits, in the visit's order), when and what it was, where and under what, what was
    signed there, who hosted it and took part, its topics and its sources, as one record
    block.

        <ol class="timeline">{% timeline_items activities event %}</ol>

    Written here rather than in the template, as event_items is: the template's loop took
    3.4 ms of the 8 ms the visit's page spent rendering at a million visits (six
    activities, eight participants). Reads what views.event_detail prefetches: a meeting's
    participants with their people and offices, each activity's citations with their
    sources, its `topic_list` (views.attach_topics) and a meeting's `signed_here`."""
    messages = {
        "undated": gettext("Date not given in the sources"),
        "online": gettext("online"),
        "place": gettext("Place:"),
        "part_of": gettext("Part of"),
        "signed_here": gettext("Signed here:"),
        "hosted_by": gettext("Hosted by"),
        "participants": gettext("Participants"),
        "topics": gettext("Topics"),
        "sources": gettext("Sources:"),
    }
    words = {key: conditional_escape(text) for key, text in messages.items()}
    words["language"] = current()
    # get_side_display() builds the table of labels anew for every participant.
    side = MeetingParticipant._meta.get_field("side")
    words["sides"] = {value: str(label).lower() for value, label in side.flatchoices}
    return mark_safe("".join(_timeline_item(activity, event, words) for activity in activities))


def _link(record, name, fallbacks, language):
    url = conditional_escape(record.get_absolute_url())
    return f'<a href="{url}">{written(record, name, "text", fallbacks, language)}</a>'


def _timeline_item(activity, event, words):
    fallbacks = []
    language = words["language"]
    when = show_dates(activity.date, activity.end_date) if activity.date else words["undated"]
    when = f"{when} · {conditional_escape(activity_kind(activity))}"
    if getattr(activity, "online", False):
        when += f" · {words['online']}"
    parts = [
        f'<p class="activity-when">{when}</p>',
        f"<h3>{written(activity, 'title', 'text', fallbacks, language)}</h3>",
    ]
    if activity.place:
        parts.append(
            f"<p>{words['place']} {_link(activity.place, 'name', fallbacks, language)}</p>"
        )
    if activity.occasion_id and activity.occasion_id != event.occasion_id:
        occasion = _link(activity.occasion, "name", fallbacks, language)
        parts.append(f"<p>{words['part_of']} {occasion}</p>")
    signed_here = getattr(activity, "signed_here", None)
    if signed_here:
        instruments = "; ".join(
            _link(instrument, "title", fallbacks, language) for instrument in signed_here
        )
        parts.append(f"<p>{words['signed_here']} {instruments}</p>")
    host = getattr(activity, "host_organization", None)
    if host:
        parts.append(f"<p>{words['hosted_by']} {_link(host, 'name', fallbacks, language)}</p>")
    if activity.summary:
        parts.append(written(activity, "summary", "paragraphs", fallbacks, language))
    if activity.kind_label == "Meeting":
        participants = activity.participants.all()
        if participants:
            items = "".join(_participant(p, words, fallbacks) for p in participants)
            parts.append(f"<h4>{words['participants']}</h4>\n<ul>{items}</ul>")
    if activity.topic_list:
        topics = "".join(
            f"<li>{_link(topic, 'name', fallbacks, language)}</li>" for topic in activity.topic_list
        )
        parts.append(f'<h4>{words["topics"]}</h4>\n<ul class="topics">{topics}</ul>')
    cited = activity.citations
    if cited:
        sources = "; ".join(
            f'<a href="{conditional_escape(citation.source.url)}" rel="external noopener">'
            f"{conditional_escape(citation.source.publisher)}</a>"
            for citation in cited
        )
        parts.append(f'<p class="activity-sources">{words["sources"]} {sources}</p>')
    body = mark_safe("\n".join(parts))
    anchor = conditional_escape(activity.anchor)
    kind = slugify(activity.kind_label)
    return f'<li id="{anchor}" class="activity activity-{kind}">{with_note(body, fallbacks)}</li>\n'


def _participant(participant, words, fallbacks):
    language = words["language"]
    person, organization = participant.person, participant.organization
    who = []
    if person:
        url = conditional_escape(person.get_absolute_url())
        who.append(f'<a href="{url}">{conditional_escape(person_name(person))}</a>')
    if organization:
        who.append(_link(organization, "name", fallbacks, language))
    side = words["sides"].get(participant.side, str(participant.side).lower())
    role = ""
    if participant.role:
        role = f": {written(participant, 'role', 'text', fallbacks, language)}"
    return (
        f"<li>\n{', '.join(who)}\n"
        f'<span class="side">({conditional_escape(side)})</span>{role}\n</li>\n'
    )


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
