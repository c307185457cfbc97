"""schema.org descriptions of public records, for search engines and re-use.

In the page's language (`inLanguage`); a text the page shows in English for want of a
translation is given as a value tagged with its language ({"@value": …, "@language": "en"}).

Each node carries only properties schema.org defines for its type or a supertype
(tests/test_interop_structured_data.py reads the vocabulary of the npm package schema-dts):
a visit's sources are the CreativeWorks it is the subject of (`subjectOf`; `isBasedOn`
belongs to CreativeWork, not Event).
"""

from django.utils.translation import gettext as _

from .languages import current, person_name, shown


def text(record, field):
    """`record`'s `field` as the page shows it, tagged with its language where that is not
    the page's."""
    value, language = shown(record, field)
    if language is None or language == current():
        return value
    return {"@value": value, "@language": language}


def _organization(request, organization):
    data = {
        "@type": "GovernmentOrganization",
        "name": text(organization, "name"),
        "url": request.build_absolute_uri(organization.get_absolute_url()),
    }
    if organization.country:
        data["address"] = {"@type": "PostalAddress", "addressCountry": organization.country.code}
    return data


def _place(request, place):
    data = {
        "@type": "Place",
        "name": text(place, "name"),
        "url": request.build_absolute_uri(place.get_absolute_url()),
        "address": {"@type": "PostalAddress", "addressCountry": place.country.code},
    }
    if place.address:
        data["address"]["streetAddress"] = place.address
    return data


def date_basis_note(event):
    """What a visit's dates rest on when they are not its own: the day it was reported as
    under way (Delegation.DateBasis.REPORTED), else None."""
    if event.date_basis != event.DateBasis.REPORTED:
        return None
    if event.end_date:
        return _(
            "The start date is the day the visit was reported as under way; the sources do "
            "not say when it began."
        )
    return _(
        "The date is the day the visit was reported as under way; the sources do not say "
        "when it began or ended."
    )


def _source(source):
    """A source a visit is built from, as the CreativeWork it is."""
    language = source.language.split("-")[0].lower() if source.language else None

    def in_its_language(value):
        if language is None or language == current():
            return value
        return {"@value": value, "@language": source.language}

    data = {"@type": "CreativeWork", "@id": source.url, "url": source.url}
    data["name"] = in_its_language(source.title)
    # A title that only describes the source is not its headline.
    if not source.title_is_descriptive:
        data["headline"] = in_its_language(source.title)
    data["publisher"] = {"@type": "Organization", "name": source.publisher}
    if source.published_on:
        data["datePublished"] = source.published_on.isoformat()
    if source.language:
        data["inLanguage"] = source.language
    return data


def _activity(request, activity):
    """A meeting, workshop or site visit of a visit, as one of its `subEvent`s. Its dates
    appear only where the sources give them: an undated activity has no `startDate`."""
    data = {
        "@type": "Event",
        "name": text(activity, "title"),
        "url": request.build_absolute_uri(activity.get_absolute_url()),
    }
    summary = text(activity, "summary")
    if summary:
        data["description"] = summary
    if activity.date:
        data["startDate"] = activity.date.isoformat()
    if activity.end_date:
        data["endDate"] = activity.end_date.isoformat()
    if getattr(activity, "online", False):
        data["eventAttendanceMode"] = "https://schema.org/OnlineEventAttendanceMode"
    if activity.place_id:
        data["location"] = _place(request, activity.place)
    # Read by the visit's page for it and its activities (views.attach_topics).
    topics = [text(topic, "name") for topic in activity.topic_list]
    if topics:
        data["about"] = topics
    return data


def event_json_ld(request, event, activities):
    """An `Event` for a visit, with its meetings, workshops and site visits as `subEvent`s
    and its sources as the CreativeWorks it is the `subjectOf`.

    `startDate` is always the visit's first date as the record keeps it. Where that is only
    the day the visit was reported as under way, the `description` says so (date_basis_note)
    rather than leave a search engine's event without a date or give it an invented one.
    Reads only what the event page prefetched: it costs no query.
    """
    url = request.build_absolute_uri(event.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "url": url,
        "name": text(event, "title"),
        "startDate": event.start_date.isoformat(),
        "inLanguage": current(),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
    }
    if event.end_date:
        data["endDate"] = event.end_date.isoformat()
    description = [value for value in (text(event, "summary"), date_basis_note(event)) if value]
    if description:
        data["description"] = description[0] if len(description) == 1 else description
    data["attendee"] = [
        _organization(request, event.sending_organization),
        *(
            {
                "@type": "Person",
                "name": person_name(member.person),
                "url": request.build_absolute_uri(member.person.get_absolute_url()),
            }
            for member in event.members.all()
        ),
    ]
    # Only what the sources give: no location or organizer where they name none.
    if event.location_id:
        data["location"] = _place(request, event.location)
    if event.host_organization_id:
        data["organizer"] = _organization(request, event.host_organization)
    data["subjectOf"] = [_source(citation.source) for citation in event.citations]
    data["subEvent"] = [_activity(request, activity) for activity in activities]
    return data
