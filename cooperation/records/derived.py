"""A visit's derived data, defined once: its search text, its PostgreSQL search vector and
its rows of the event index (cooperation/eventindex.py).

What a visit's search text reads (`SEARCH_RELATIONS`, `search_document`) and which visits
a changed record reaches (`visits_naming`) are written here and nowhere else: the write
path (cooperation/records/__init__.py) refreshes what a change reaches, the
`refresh_search` command and the synthetic-archive generator rebuild whole archives with
`rebuild_all`, and tests/test_search.py checks each relation against a real change.

The models never import this module: derived data follows the records, not the other way.
"""

from django.db import connections, transaction
from django.db.models import Q

from cooperation import eventindex
from cooperation.languages import fold
from cooperation.models import (
    Activity,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    MeetingCitation,
    MeetingParticipant,
    Organization,
    Person,
    PersonName,
    Place,
    ProgramCitation,
    ProgramSignatory,
    SiteVisitCitation,
    Source,
    Topic,
    WorkshopCitation,
    texts,
)

# Everything `search_document()` reads, so that a batch of visits costs a fixed number of
# queries whatever their size.
SEARCH_SELECTED = ("sending_organization", "host_organization", "location__parent", "program")
SEARCH_PREFETCHED = (
    "members__person__other_names",
    "program__signatories__person__other_names",
    "meetings__place",
    "meetings__host_organization",
    "meetings__participants__person__other_names",
    "meetings__participants__organization",
    "workshops__place",
    "workshops__topics",
    "site_visits__place",
)

# Visits are rebuilt this many at a time: one batch is a handful of queries.
BATCH = 500


def with_search_relations(queryset):
    return queryset.select_related(*SEARCH_SELECTED).prefetch_related(*SEARCH_PREFETCHED)


def search_document(visit):
    """The text search matches for `visit` (read through `with_search_relations()`): its
    words and the names of what it involves in every language they are kept in, and every
    spelling of the people's names, folded (languages.fold). The same whatever language is
    active when it is rebuilt."""
    parts = texts(visit, "title", "summary", "purpose")
    for organization in (visit.sending_organization, visit.host_organization):
        parts += texts(organization, "name", "short_name")
    parts += texts(visit.location, "name")
    if visit.location.parent:
        parts += texts(visit.location.parent, "name")
    people = [member.person for member in visit.members.all()]
    if visit.program_id and visit.program.is_published:
        # A visit under a programme is found by the names of those who signed it.
        parts += texts(visit.program, "title")
        people += [signatory.person for signatory in visit.program.signatories.all()]
    for meeting in visit.meetings.all():
        parts += texts(meeting, "title", "summary")
        if meeting.host_organization:
            parts += texts(meeting.host_organization, "name")
        for participant in meeting.participants.all():
            if participant.person:
                people.append(participant.person)
            if participant.organization:
                parts += texts(participant.organization, "name")
    for person in people:
        parts.append(person.name)
        parts += [other.name for other in person.other_names.all()]
    for workshop in visit.workshops.all():
        parts += texts(workshop, "title", "summary")
        for topic in workshop.topics.all():
            parts += texts(topic, "name")
    for activity in [*visit.meetings.all(), *visit.workshops.all(), *visit.site_visits.all()]:
        if activity.place:
            parts += texts(activity.place, "name")
    for site_visit in visit.site_visits.all():
        parts += texts(site_visit, "title", "summary")
    return fold(" ".join(dict.fromkeys(part for part in parts if part)))


def visits_reached_by(record, using="default"):
    """The visits whose search text, index rows or public page show `record`: a queryset."""
    visits = Delegation.objects.using(using)
    if isinstance(record, Delegation):
        return visits.filter(pk=record.pk)
    if isinstance(record, (Activity, DelegationMember, DelegationCitation)):
        return visits.filter(pk=record.delegation_id)
    if isinstance(record, MeetingParticipant):
        return visits.filter(meetings=record.meeting_id)
    if isinstance(record, (MeetingCitation, WorkshopCitation, SiteVisitCitation)):
        activity = type(record)._meta.get_field("activity").related_model
        return visits.filter(
            pk__in=activity._default_manager.filter(pk=record.activity_id).values("delegation")
        )
    if isinstance(record, (Person, PersonName)):
        person = record.person_id if isinstance(record, PersonName) else record.pk
        return visits.involving_person(person) | visits.filter(program__signatories__person=person)
    if isinstance(record, ProgramSignatory):
        return visits.filter(program=record.program_id)
    if isinstance(record, Organization):
        return visits.involving_organization(record)
    if isinstance(record, Place):
        return visits.at_place(record)
    if isinstance(record, Topic):
        return visits.for_topic(record)
    if isinstance(record, CooperationProgram):
        return visits.filter(program=record)
    if isinstance(record, Source):
        return visits.filter(
            Q(sources=record)
            | Q(meetings__sources=record)
            | Q(workshops__sources=record)
            | Q(site_visits__sources=record)
        )
    return visits.none()


def programs_reached_by(record, using="default"):
    """The programmes whose public page shows `record`: a queryset."""
    programs = CooperationProgram.objects.using(using)
    if isinstance(record, CooperationProgram):
        return programs.filter(pk=record.pk)
    if isinstance(record, (ProgramSignatory, ProgramCitation)):
        return programs.filter(pk=record.program_id)
    if isinstance(record, Organization):
        return programs.filter(Q(parties=record) | Q(signatories__organization=record))
    if isinstance(record, (Person, PersonName)):
        person = record.person_id if isinstance(record, PersonName) else record.pk
        return programs.filter(signatories__person=person)
    if isinstance(record, Place):
        return programs.filter(signed_at=record)
    if isinstance(record, Source):
        return programs.filter(sources=record)
    if isinstance(record, Delegation) and record.program_id:
        return programs.filter(pk=record.program_id)
    return programs.none()


def visits_naming(*records, using="default"):
    """Ids of the visits that any of `records` reaches."""
    ids = set()
    for record in records:
        ids.update(visits_reached_by(record, using).values_list("pk", flat=True))
    return ids


def refresh(ids, using="default", batch_size=BATCH):
    """Rebuild the search text, the search vector and the event-index rows of the visits
    `ids` (any of which may be unpublished or deleted). Returns how many were rebuilt.

    Whether the public pages changed is the write path's question: this marks nothing
    stale by itself."""
    ids = sorted(set(ids))
    with transaction.atomic(using=using):
        for start in range(0, len(ids), batch_size):
            _rebuild_texts(ids[start : start + batch_size], using)
        eventindex.refresh(ids, using)
    return Delegation.objects.using(using).filter(pk__in=ids).count()


def rebuild_all(using="default", after=None, batch_size=BATCH):
    """Rebuild every visit's derived data, or that of the visits numbered above `after`
    (the rows a bulk load just added): search text and vector batch by batch, the event
    index in one statement. Returns the number of visits rebuilt."""
    visits = Delegation.objects.using(using).order_by("pk")
    if after is not None:
        visits = visits.filter(pk__gt=after)
    rebuilt = 0
    with transaction.atomic(using=using):
        last = after
        while True:
            page = visits if last is None else visits.filter(pk__gt=last)
            chunk = list(page.values_list("pk", flat=True)[:batch_size])
            if not chunk:
                break
            _rebuild_texts(chunk, using)
            rebuilt += len(chunk)
            last = chunk[-1]
        eventindex.rebuild(using, after=after)
    return rebuilt


def _rebuild_texts(chunk, using):
    visits = Delegation.objects.using(using)
    rows = list(with_search_relations(visits.filter(pk__in=chunk)))
    for row in rows:
        row.search_text = search_document(row)
    visits.bulk_update(rows, ["search_text"])
    if connections[using].vendor == "postgresql":
        visits.filter(pk__in=chunk).update_search_vector()
