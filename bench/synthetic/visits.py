"""Drawing one delegation (a visit) and everything in it, as rows for a batch.

Each delegation is drawn from its own `random.Random` alone (seeded with the seed and the
delegation's number), so the same seed gives the same visit whatever the batch size.
A batch maps each model to a list of rows (tuples in the order of loading.COLUMNS).
"""

import datetime as dt
from bisect import bisect
from dataclasses import dataclass

from cooperation.models import (
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingParticipant,
    SiteVisit,
    Workshop,
)

from .drawing import (
    FIRST_DAY,
    LAST_DAY,
    between,
    entered,
    fill,
    noun_phrase,
    pick,
    sentence_case,
    summary,
    the,
)
from .vocabulary import (
    ACTIVITY_SENTENCES,
    HOST_ROLES,
    PURPOSES,
    VISIT_TITLES,
    VISIT_TYPE_WEIGHTS,
    VISIT_TYPES,
    VISITING_ROLES,
)
from .world import COUNCIL, DRAFT_SHARE, DRAFTS, PUBLISHED

VISIT_SLUG = "visit-{:07d}"
PROGRAMME_SHARE = 0.85  # of visits under a programme between their offices
OCCASION_SHARE = 0.03  # of visits part of a numbered meeting of a series

BY_VISIT, REPORTED = Delegation.DateBasis.VISIT.value, Delegation.DateBasis.REPORTED.value
HOST, VISITING = MeetingParticipant.Side.HOST.value, MeetingParticipant.Side.VISITING.value
WorkshopTopic = Workshop.topics.through


@dataclass
class Visit:
    """What the rows of one delegation share while it is drawn."""

    id: int
    host: object  # world.Office
    country: object  # world.Country
    start: dt.date
    end: dt.date | None
    created: dt.datetime
    updated: dt.datetime
    members: list  # (rank, person id, title) of the sending office's staff, head first
    headed: bool  # whether members[0] heads the delegation


def add_delegation(batch, ids, number, rng, world):
    """Add delegation `number` and everything in it to `batch`, drawn from `rng` alone."""
    rand = rng.random
    programme, sending, sending_id, host = draw_offices(rand, world)
    first_day, last_day = FIRST_DAY, LAST_DAY
    if programme:
        first_day, last_day = max(programme.first_day, FIRST_DAY), min(programme.last_day, LAST_DAY)
    country = world.countries[host.country]
    start, end, basis = draw_dates(rand, first_day, last_day)
    status, created, published_at, updated = draw_timestamps(rand, end or start)
    visit_type = VISIT_TYPES[bisect(VISIT_TYPE_WEIGHTS, rand() * VISIT_TYPE_WEIGHTS[-1])]
    title = draw_title(rand, visit_type, sending, host, country)
    location = country.capital[0] if rand() < 0.7 else pick(rand, country.sites)[0]
    purpose = fill(rand, pick(rand, PURPOSES), host=the(host.name))
    text = summary(rand, sending.name, host.name, country.name, between(rand, 2, 4))
    occasion = pick(rand, world.occasions) if world.occasions and rand() < OCCASION_SHARE else None
    visit = Visit(ids(Delegation), host, country, start, end, created, updated, [], False)
    add_members(batch, visit, sending, rng)
    add_citation(batch, visit, rand, world)
    add_activities(batch, ids, visit, rng, world)
    batch[Delegation].append(
        (
            visit.id,
            VISIT_SLUG.format(number),
            title,
            sending_id,
            host.id,
            programme.id if programme else None,
            visit_type,
            start,
            end,
            basis,
            location,
            purpose,
            text,
            status,
            published_at,
            created,
            updated,
            "",  # the search text, which derived.rebuild_all writes after the load
            "",  # host_absent: every generated visit names its host
            occasion,
        )
    )


def draw_offices(rand, world):
    """The visit's programme (or None), sending office, the id of the office or unit that
    sent it, and host office: the parties of a programme, or two offices of two countries."""
    if world.programmes and rand() < PROGRAMME_SHARE:
        programme = pick(rand, world.programmes)
        sending, host = programme.parties
        if rand() < 0.5:
            sending, host = host, sending
    else:
        programme = None
        sending = pick(rand, world.offices)
        host = pick(rand, world.offices)
        while host.country == sending.country:
            host = pick(rand, world.offices)
    sending_id = sending.id
    if sending.units and rand() < 0.1:
        sending_id = pick(rand, sending.units)[0]
    return programme, sending, sending_id, host


def draw_dates(rand, first_day, last_day):
    """The first and last day of the visit, and what the first day is."""
    start = dt.date.fromordinal(between(rand, first_day, last_day))
    end = start + dt.timedelta(days=between(rand, 1, 5)) if rand() < 0.85 else None
    basis = REPORTED if end is None and rand() < 0.4 else BY_VISIT
    return start, end, basis


def draw_timestamps(rand, last_day):
    """The record's status, when it was entered (after the visit's `last_day`), published
    (None for a draft) and last changed (at or after both)."""
    created = entered(last_day, rand)
    status, published_at = PUBLISHED, created + dt.timedelta(hours=between(rand, 1, 72))
    if rand() < DRAFT_SHARE:
        status, published_at = pick(rand, DRAFTS), None
    updated = (published_at or created) + dt.timedelta(seconds=int(rand() * 10 * 86_400))
    return status, created, published_at, updated


def draw_title(rand, visit_type, sending, host, country):
    title = VISIT_TITLES[visit_type].format(
        sender=the(sending.name), host=the(host.name), country=country.name, city=country.capital[1]
    )
    if rand() < 0.5:
        title = f"{title} on {noun_phrase(rand)}"
    return title[:255]


def add_members(batch, visit, sending, rng):
    """1-4 of the sending office's staff, the most senior one at the head (staff are
    listed most senior first, so sorting the drawn positions ranks them)."""
    rand = rng.random
    staff = sending.staff
    picks = sorted(rng.sample(range(len(staff)), min(between(rand, 1, 4), len(staff))))
    visit.members = [staff[index] for index in picks]
    visit.headed = rand() < 0.95
    rows = batch[DelegationMember]
    for order, (_, person, role) in enumerate(visit.members):
        is_head = visit.headed and order == 0
        rows.append((visit.id, person, role, is_head, order, visit.created, visit.updated))


def add_citation(batch, visit, rand, world):
    quotation = fill(rand, pick(rand, ACTIVITY_SENTENCES)) if rand() < 0.2 else ""
    source = pick(rand, world.sources)
    batch[DelegationCitation].append((visit.id, source, quotation, 0, visit.created, visit.updated))


def add_activities(batch, ids, visit, rng, world):
    """3-8 meetings, workshops and site visits, dated within the visit (some dates
    unknown) and ordered by date, undated first, as the timeline shows them."""
    rand = rng.random
    last = visit.end or visit.start + dt.timedelta(days=between(rand, 0, 2))
    span = (last - visit.start).days + 1
    kinds = [pick(rand, "mmmmwwwsss") for _ in range(between(rand, 3, 8))]
    dates = sorted(
        (
            visit.start + dt.timedelta(days=int(rand() * span)) if rand() < 0.92 else None
            for _ in kinds
        ),
        key=lambda day: (day is not None, day),
    )
    numbers = {"m": 0, "w": 0, "s": 0}
    for order, (kind, day) in enumerate(zip(kinds, dates, strict=True)):
        numbers[kind] += 1
        about = fill(rand, pick(rand, ACTIVITY_SENTENCES)) if rand() < 0.85 else ""
        place = pick(rand, visit.country.sites)[0] if rand() < 0.5 else None
        common = (day, order, about)
        if kind == "m":
            add_meeting(batch, ids, visit, numbers[kind], common, place, rng)
        elif kind == "w":
            add_workshop(batch, ids, visit, numbers[kind], common, place, rand, world)
        else:
            add_site_visit(batch, visit, numbers[kind], common, rand)


def add_meeting(batch, ids, visit, number, common, place, rng):
    """A meeting at the host office or one of its units, with 1-3 participants."""
    rand = rng.random
    host = visit.host
    unit = pick(rand, host.units) if host.units and rand() < 0.4 else None
    if unit is None:
        title = (
            f"Talks at {the(host.name)}" if rand() < 0.5 else f"Welcome by the {host.head_title}"
        )
    elif unit[2] == COUNCIL:
        title = f"Session of the {unit[1]}"
    else:
        title = f"Meeting at the {unit[1]}"
    meeting = ids(Meeting)
    day, order, about = common
    batch[Meeting].append(
        (
            meeting,
            visit.id,
            f"meeting-{number}",
            title[:255],
            day,
            order,
            about,
            place,
            False,  # held in person
            unit[0] if unit else host.id,
            visit.created,
            visit.updated,
        )
    )
    rows = batch[MeetingParticipant]
    for position, participant in enumerate(draw_participants(visit, unit, rng)):
        rows.append((meeting, *participant, position, visit.created, visit.updated))


def draw_participants(visit, unit, rng):
    """1-3 of: the host's head, the delegation's head, the unit, another of the host's
    staff, another member; as (person, organization, side, role)."""
    rand = rng.random
    host_staff, members = visit.host.staff, visit.members
    candidates = [(host_staff[0][1], None, HOST, pick(rand, HOST_ROLES))]
    if visit.headed:
        candidates.append((members[0][1], None, VISITING, VISITING_ROLES[0]))
    if unit:
        candidates.append((None, unit[0], HOST, "took part in the talks"))
    if len(host_staff) > 1:
        other = host_staff[1 + int(rand() * (len(host_staff) - 1))]
        candidates.append((other[1], None, HOST, pick(rand, HOST_ROLES)))
    if len(members) > 1:
        candidates.append((members[-1][1], None, VISITING, VISITING_ROLES[1]))
    return rng.sample(candidates, min(between(rand, 1, 3), len(candidates)))


def add_workshop(batch, ids, visit, number, common, place, rand, world):
    """A workshop on a topic and up to two more, most often of the same broad topic."""
    main, name, parent = pick(rand, world.topics)
    topics = [main]
    for _ in range(between(rand, 0, 2)):
        related = world.siblings[parent] if rand() < 0.7 else None
        topic = pick(rand, related) if related else pick(rand, world.topics)[0]
        if topic not in topics:
            topics.append(topic)
    workshop = ids(Workshop)
    day, order, about = common
    batch[Workshop].append(
        (
            workshop,
            visit.id,
            f"workshop-{number}",
            f"Workshop on {sentence_case(name)}",
            day,
            order,
            about,
            place,
            False,  # held in person
            visit.created,
            visit.updated,
        )
    )
    batch[WorkshopTopic] += [(workshop, topic) for topic in topics]


def add_site_visit(batch, visit, number, common, rand):
    place, name = pick(rand, visit.country.sites)
    day, order, about = common
    batch[SiteVisit].append(
        (
            visit.id,
            f"site-visit-{number}",
            f"Visit to the {name}"[:255],
            day,
            order,
            about,
            place,
            visit.created,
            visit.updated,
        )
    )
