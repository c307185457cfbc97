"""A visit's derived data, defined once: its search text, its PostgreSQL search vector and
its rows of the event index (cooperation/eventindex.py).

What a visit's search text reads (`SearchReader`, `search_document`) and which visits
a changed record reaches (`visits_naming`) are written here and nowhere else: the write
path (cooperation/records/__init__.py) refreshes what a change reaches, the
`refresh_search` command and the synthetic-archive generator rebuild whole archives with
`rebuild_all`, and tests/test_search.py checks each relation against a real change.

The models never import this module: derived data follows the records, not the other way.
"""

from collections import defaultdict

from django.db import connections, transaction
from django.db.models import Q

from cooperation import eventindex
from cooperation.languages import fold, in_every_language
from cooperation.models import (
    Activity,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Organization,
    Person,
    PersonName,
    Place,
    ProgramCitation,
    ProgramSignatory,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Status,
    Topic,
    Workshop,
    WorkshopCitation,
    texts,
)

# Visits are rebuilt this many at a time: one batch is a fixed handful of queries.
BATCH = 500


class _Row:
    """A row read with `.values()`, its columns as attributes, so that `texts()` reads it
    as it reads a record."""

    def __init__(self, values):
        self.__dict__.update(values)


class SearchReader:
    """Reads what the search text of a batch of visits names (`search_document` below is
    the text's one definition), in a fixed number of queries per batch whatever it holds.

    It reads plain rows rather than model instances, so that rebuilding an archive of a
    million visits takes minutes, not hours. The records that many visits name
    (organizations, places, people, programmes, topics) are read once per reader and kept:
    a reader lives only as long as the transaction it reads in."""

    def __init__(self, using="default"):
        self.using = using
        self.organizations = {}
        self.places = {}
        self.people = {}
        self.programs = {}
        self.topics = {}

    def documents(self, ids):
        """{visit id: search text} for those of the visits `ids` that exist."""
        visits = self._rows(
            Delegation,
            {"pk__in": ids},
            ("title", "summary", "purpose"),
            "sending_organization_id",
            "host_organization_id",
            "location_id",
            "program_id",
        )
        in_batch = {"delegation__in": ids}
        self.members = self._grouped(DelegationMember, "delegation_id", in_batch, (), "person_id")
        activity = ("title", "summary")
        self.meetings = self._grouped(
            Meeting, "delegation_id", in_batch, activity, "place_id", "host_organization_id"
        )
        self.workshops = self._grouped(Workshop, "delegation_id", in_batch, activity, "place_id")
        self.site_visits = self._grouped(SiteVisit, "delegation_id", in_batch, activity, "place_id")
        # The activities' own rows only where the batch has such activities.
        self.participants = defaultdict(list)
        if self.meetings:
            self.participants = self._grouped(
                MeetingParticipant,
                "meeting_id",
                {"meeting__delegation__in": ids},
                (),
                "person_id",
                "organization_id",
            )
        self.workshop_topics = defaultdict(list)
        if self.workshops:
            self.workshop_topics = self._grouped(
                Workshop.topics.through,
                "workshop_id",
                {"workshop__delegation__in": ids},
                (),
                "topic_id",
            )
        self._read_named(visits)
        return {visit.pk: search_document(visit, self) for visit in visits}

    def _rows(self, model, where, translated, *columns):
        queryset = model._base_manager.using(self.using).filter(**where).order_by("pk")
        fields = ("pk", *in_every_language(*translated), *columns)
        return [_Row(values) for values in queryset.values(*fields)]

    def _grouped(self, model, key, where, translated, *columns):
        grouped = defaultdict(list)
        for row in self._rows(model, where, translated, key, *columns):
            grouped[getattr(row, key)].append(row)
        return grouped

    def _read(self, kept, model, ids, translated, *columns):
        missing = {pk for pk in ids if pk is not None and pk not in kept}
        if missing:
            rows = self._rows(model, {"pk__in": missing}, translated, *columns)
            kept.update((row.pk, row) for row in rows)

    def _read_named(self, visits):
        """Reads the records the batch names that this reader has not read yet."""
        meetings = _every(self.meetings)
        activities = meetings + _every(self.workshops) + _every(self.site_visits)
        participants = _every(self.participants)
        self._read(
            self.programs, CooperationProgram, [v.program_id for v in visits], ("title",), "status"
        )
        unread = [program for program in self.programs.values() if not hasattr(program, "people")]
        for program in unread:
            program.people = []
        if unread:
            programs = {program.pk: program for program in unread}
            signatories = ProgramSignatory.objects.using(self.using).filter(program__in=programs)
            for program, person in signatories.values_list("program_id", "person_id"):
                programs[program].people.append(person)
        sides = [v.sending_organization_id for v in visits] + [
            v.host_organization_id for v in visits
        ]
        self._read(
            self.organizations,
            Organization,
            sides
            + [meeting.host_organization_id for meeting in meetings]
            + [participant.organization_id for participant in participants],
            ("name", "short_name"),
        )
        places = [v.location_id for v in visits] + [activity.place_id for activity in activities]
        self._read(self.places, Place, places, ("name",), "parent_id")
        parents = [self.places[v.location_id].parent_id for v in visits]
        self._read(self.places, Place, parents, ("name",), "parent_id")
        self._read(
            self.topics, Topic, [row.topic_id for row in _every(self.workshop_topics)], ("name",)
        )
        people = {row.person_id for row in _every(self.members) + participants if row.person_id}
        people.update(person for program in self.programs.values() for person in program.people)
        missing = people - self.people.keys()
        if missing:
            names = Person.objects.using(self.using).filter(pk__in=missing)
            self.people.update((pk, [name]) for pk, name in names.values_list("pk", "name"))
            spellings = PersonName.objects.using(self.using).filter(person__in=missing)
            for person, name in spellings.order_by("pk").values_list("person_id", "name"):
                self.people[person].append(name)


def _every(grouped):
    return [row for rows in grouped.values() for row in rows]


def search_document(visit, read):
    """The text search matches for `visit`, a row of `read` (a SearchReader): its words and
    the names of what it involves in every language they are kept in, and every spelling
    of the people's names, folded (languages.fold). The same whatever language is active
    when it is rebuilt."""
    parts = texts(visit, "title", "summary", "purpose")
    for organization in (visit.sending_organization_id, visit.host_organization_id):
        parts += texts(read.organizations[organization], "name", "short_name")
    location = read.places[visit.location_id]
    parts += texts(location, "name")
    if location.parent_id:
        parts += texts(read.places[location.parent_id], "name")
    people = [member.person_id for member in read.members[visit.pk]]
    program = read.programs.get(visit.program_id)
    if program and program.status == Status.PUBLISHED:
        # A visit under a programme is found by the names of those who signed it.
        parts += texts(program, "title")
        people += program.people
    meetings = read.meetings[visit.pk]
    workshops = read.workshops[visit.pk]
    site_visits = read.site_visits[visit.pk]
    for meeting in meetings:
        parts += texts(meeting, "title", "summary")
        if meeting.host_organization_id:
            parts += texts(read.organizations[meeting.host_organization_id], "name")
        for participant in read.participants[meeting.pk]:
            if participant.person_id:
                people.append(participant.person_id)
            if participant.organization_id:
                parts += texts(read.organizations[participant.organization_id], "name")
    for person in people:
        parts += read.people[person]
    for workshop in workshops:
        parts += texts(workshop, "title", "summary")
        for topic in read.workshop_topics[workshop.pk]:
            parts += texts(read.topics[topic.topic_id], "name")
    for activity in [*meetings, *workshops, *site_visits]:
        if activity.place_id:
            parts += texts(read.places[activity.place_id], "name")
    for site_visit in site_visits:
        parts += texts(site_visit, "title", "summary")
    return fold(" ".join(dict.fromkeys(part for part in parts if part)))


def search_documents(ids, using="default"):
    """{visit id: search text} for the visits `ids`, as the write path would store them."""
    return SearchReader(using).documents(sorted(set(ids)))


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
        reader = SearchReader(using)
        for start in range(0, len(ids), batch_size):
            _rebuild_texts(ids[start : start + batch_size], reader)
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
        reader = SearchReader(using)
        last = after
        while True:
            page = visits if last is None else visits.filter(pk__gt=last)
            chunk = list(page.values_list("pk", flat=True)[:batch_size])
            if not chunk:
                break
            _rebuild_texts(chunk, reader)
            rebuilt += len(chunk)
            last = chunk[-1]
        eventindex.rebuild(using, after=after)
    return rebuilt


def _rebuild_texts(chunk, reader):
    documents = reader.documents(chunk)
    table = connections[reader.using].ops.quote_name(Delegation._meta.db_table)
    # One statement run for many rows (psycopg pipelines them): Django's bulk_update
    # would build a CASE of 500 branches, slower than reading the batch.
    with connections[reader.using].cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET search_text = %s WHERE {Delegation._meta.pk.column} = %s",
            [(text, pk) for pk, text in documents.items()],
        )
    if connections[reader.using].vendor == "postgresql":
        Delegation.objects.using(reader.using).filter(pk__in=chunk).update_search_vector()
