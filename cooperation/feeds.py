"""Feeds and calendar files: the published record in forms other programs read.

The feed is Atom 1.0 (RFC 4287) in the language of its address (/feeds/…, /az/feeds/…,
/ru/feeds/…): the registry is its author, and a visit's title or summary that has no text
in that language yet is given in English and marked so (xml:lang="en"), as the pages mark
it (cooperation/templatetags/records.py). tests/test_interop_feed.py checks it with
feedparser and against the RFC's own schema.
"""

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, rfc3339_date
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .languages import shown
from .models import Delegation
from .structured_data import date_basis_note


def xml_text(text):
    """`text` without the control characters XML 1.0 cannot hold (a vertical tab, a page
    break as a line break)."""
    text = text.replace("\v", "\n").replace("\f", "\n")
    return "".join(character for character in text if xml_allows(character))


def xml_allows(character):
    code = ord(character)
    if code < 0x20:
        return character in "\t\n\r"
    return not (0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF))


class LanguageMarkedAtomFeed(Atom1Feed):
    """Django's Atom feed, with each entry's title and summary marked with their language
    where it is not the feed's, and the summary given as what it is: plain text."""

    def add_item_elements(self, handler, item):
        handler.addQuickElement("title", item["title"], self.language_of(item["title_language"]))
        handler.addQuickElement("link", "", {"href": item["link"], "rel": "alternate"})
        if item["pubdate"] is not None:
            handler.addQuickElement("published", rfc3339_date(item["pubdate"]))
        if item["updateddate"] is not None:
            handler.addQuickElement("updated", rfc3339_date(item["updateddate"]))
        handler.addQuickElement("id", item["unique_id"])
        # A record's summary is plain text: as type="html" a "<" in it would be markup to
        # the reader's program.
        if item["description"]:
            handler.addQuickElement(
                "summary",
                item["description"],
                {"type": "text", **self.language_of(item["summary_language"])},
            )
        term, label = item["category"]
        handler.addQuickElement("category", "", {"term": term, "label": label})

    def language_of(self, language):
        """The xml:lang attribute for a text in `language`, where that is not the feed's."""
        if language is None or language == self.feed["language"]:
            return {}
        return {"xml:lang": language}


class RecentEventsFeed(Feed):
    """The most recently published visits, newest publication first."""

    feed_type = LanguageMarkedAtomFeed

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed["author_link"] = request.build_absolute_uri(reverse("cooperation:home"))
        return feed

    # RFC 4287 §4.1.1: a feed names an author unless every entry does. The registry
    # publishes the records (as its citations say: cooperation/citing.py).
    def author_name(self):
        return str(settings.SITE_NAME)

    # In the language of the feed's address (/feeds/…, /az/feeds/…), as Feed's own
    # `language` is by default.
    def title(self):
        return _("%(site_name)s: recently published events") % {"site_name": settings.SITE_NAME}

    def subtitle(self):
        return _("Visits of delegations as they are published in the registry.")

    def link(self):
        return reverse("cooperation:event-list")

    def items(self):
        return Delegation.objects.published().with_listing().order_by("-published_at", "-id")[:50]

    # XML cannot carry most control characters. The records refuse them (models.text_problems),
    # but a row written before that rule, or by SQL, must not take the whole feed down.
    # The texts and their languages (item_extra_kwargs) read by one rule: languages.shown.
    def item_title(self, item):
        return xml_text(shown(item, "title")[0])

    def item_description(self, item):
        return xml_text(shown(item, "summary")[0])

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_extra_kwargs(self, item):
        return {
            "title_language": shown(item, "title")[1],
            "summary_language": shown(item, "summary")[1],
            # The type of visit: its code as the term a program matches, its name in the
            # feed's language as the label a reader sees.
            "category": (item.visit_type, item.get_visit_type_display()),
        }


def event_calendar(request, event):
    """An iCalendar file for one visit; all-day, as sources rarely give times."""
    calendar = Calendar()
    with translation.override(settings.LANGUAGE_CODE):
        # An identifier of the program that made the file: the same in every language.
        calendar.add("prodid", f"-//{settings.SITE_NAME}//Cooperation records//EN")
    calendar.add("version", "2.0")
    entry = CalendarEvent()
    entry.add("uid", f"{event.slug}@{request.get_host().split(':')[0]}")
    entry.add("summary", event.title)
    entry.add("dtstart", event.start_date)
    # DTEND of an all-day event is exclusive: the day after the last day.
    entry.add("dtend", (event.end_date or event.start_date) + dt.timedelta(days=1))
    entry.add("dtstamp", event.updated_at)
    if event.location:
        entry.add("location", f"{event.location.name}, {event.location.country.name}")
    entry.add("url", request.build_absolute_uri(event.get_absolute_url()))
    description = event.summary
    note = date_basis_note(event)
    if note:
        description = f"{note}\n\n{description}"
    entry.add("description", description)
    calendar.add_component(entry)
    return calendar.to_ical()
