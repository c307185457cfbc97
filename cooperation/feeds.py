"""Feeds and calendar files: the published record in forms other programs read."""

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .models import Delegation


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


class RecentEventsFeed(Feed):
    """The most recently published visits, newest publication first."""

    feed_type = Atom1Feed

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
    def item_title(self, item):
        return xml_text(item.title)

    def item_description(self, item):
        return xml_text(item.summary)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_visit_type_display()]


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
    if event.date_basis == Delegation.DateBasis.REPORTED:
        note = _(
            "The date is the day the visit was reported as under way; the sources do not "
            "say when it began or ended."
        )
        description = f"{note}\n\n{description}"
    entry.add("description", description)
    calendar.add_component(entry)
    return calendar.to_ical()
