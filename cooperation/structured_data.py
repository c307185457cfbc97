"""schema.org descriptions of public records, for search engines and re-use.

In the page's language (`inLanguage`); a text the page shows in English for want of a
translation is given as a value tagged with its language ({"@value": …, "@language": "en"}).
"""

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


def event_json_ld(request, event, activities):
    """An `Event` for a visit, with its meetings, workshops and site visits as `subEvent`s.

    Dates appear only where the record knows them: a visit known only from the date it was
    reported has no `startDate`.
    """
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": request.build_absolute_uri(event.get_absolute_url()),
        "url": request.build_absolute_uri(event.get_absolute_url()),
        "name": text(event, "title"),
        "description": text(event, "summary"),
        "inLanguage": current(),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "attendee": [
            _organization(request, event.sending_organization),
            *(
                {
                    "@type": "Person",
                    "name": person_name(member.person),
                    "url": request.build_absolute_uri(member.person.get_absolute_url()),
                }
                for member in event.members.all()
            ),
        ],
        "isBasedOn": [citation.source.url for citation in event.citations],
    }
    # Only what the sources give: no location or organizer where they name none.
    if event.location_id:
        data["location"] = _place(request, event.location)
    if event.host_organization_id:
        data["organizer"] = _organization(request, event.host_organization)
    if event.date_basis == event.DateBasis.VISIT:
        data["startDate"] = event.start_date.isoformat()
    if event.end_date:
        data["endDate"] = event.end_date.isoformat()
    sub_events = []
    for activity in activities:
        sub = {
            "@type": "Event",
            "name": text(activity, "title"),
            "description": text(activity, "summary"),
            "url": request.build_absolute_uri(activity.get_absolute_url()),
        }
        if activity.date:
            sub["startDate"] = activity.date.isoformat()
        if activity.place_id:
            sub["location"] = _place(request, activity.place)
        if hasattr(activity, "topics"):
            sub["about"] = [text(topic, "name") for topic in activity.topics.all()]
        sub_events.append(sub)
    data["subEvent"] = sub_events
    return data
