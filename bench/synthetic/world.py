"""The synthetic world: the reference records every visit draws on.

The prosecution services and ministries of justice of about 60 countries with their
departments and councils, their staff (dated positions, other spellings of their names),
the capitals with buildings and museums in them, a two-level tree of topics, a handful of
sources under https://example.org/synthetic/, and cooperation programmes between the
offices. Every slug starts with ``syn-``, so the world never collides with real records
(the Baku fixture) and is easy to tell apart.

`create_world` writes it once, drawn from one `random.Random`; `load_world` reads it back
as the visit generator needs it, also for `--append` to a world an earlier run made.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from django.utils.text import slugify

from cooperation.models import (
    CooperationProgram,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    Series,
    Source,
    Status,
    Topic,
)

from .drawing import WORLD_ENTERED, entered, summary, the
from .vocabulary import (
    CITY_SITES,
    COUNTRIES,
    NAME_POOLS,
    OFFICE_STAFF,
    SOURCES,
    STREETS,
    TOPICS,
    UNIT_TITLES,
)

PREFIX = "syn-"
SOURCE_URL = "https://example.org/synthetic/"
DRAFT_SHARE = 0.10  # of programmes and of visits
PROGRAMMES_PER_COUNTRY = 5

PROSECUTION = Organization.Kind.PROSECUTION_SERVICE.value
MINISTRY = Organization.Kind.MINISTRY.value
COUNCIL = Organization.Kind.COUNCIL.value
PUBLISHED = Status.PUBLISHED.value
DRAFTS = (Status.DRAFT.value, Status.IN_REVIEW.value)

# The reference records were all entered at the same instant.
ENTERED = {"created_at": WORLD_ENTERED, "updated_at": WORLD_ENTERED}


# --- The world as the visit generator sees it ----------------------------------------------


@dataclass
class Office:
    id: int
    country: str
    name: str
    kind: str
    head_title: str
    units: list = field(default_factory=list)  # (id, name, kind)
    staff: list = field(default_factory=list)  # (rank, person_id, title), most senior first


@dataclass
class Country:
    code: str
    name: str
    capital: tuple  # (place id, name)
    sites: list  # (place id, name) of buildings, museums… in the capital


@dataclass
class Programme:
    id: int
    parties: tuple  # two offices
    first_day: int  # ordinals of the period's first and last day
    last_day: int


@dataclass
class World:
    offices: list
    countries: dict
    programmes: list
    topics: list  # leaf topics: (id, name, parent id)
    siblings: dict  # parent id -> [leaf topic ids]
    sources: list  # ids
    occasions: list  # ids


# --- Making it -----------------------------------------------------------------------------


def save_all(objects, counts):
    """bulk_create a list of rows of one model, and count them in `counts`."""
    if objects:
        type(objects[0]).objects.bulk_create(objects)
        counts[type(objects[0]).__name__] += len(objects)
    return objects


def create_world(rng):
    """Create the reference records and the programmes; return the rows created per model."""
    counts = Counter()
    capitals = create_places(rng, counts)
    offices = create_offices(counts)
    units = create_units(rng, offices, counts)
    staff = Staff(rng)
    staff.hire_all(offices, units)
    save_all(staff.people, counts)
    save_all(staff.other_names, counts)
    save_all(staff.positions, counts)
    create_topics(counts)
    sources = create_sources(counts)
    create_programmes(rng, offices, capitals, staff.heads(), sources, counts)
    create_occasions(rng, capitals, counts)
    return counts


def create_places(rng, counts):
    """Each country (places are rooted in countries), its capital, and 2-4 sites inside
    that; return the capitals by country code."""
    lands = {
        country.code: Place(
            name=country.name,
            slug=f"{PREFIX}{country.code.lower()}",
            kind=Place.Kind.COUNTRY,
            country=country.code,
            **ENTERED,
        )
        for country in COUNTRIES
    }
    save_all(list(lands.values()), counts)
    capitals = {
        country.code: Place(
            name=country.capital,
            slug=f"{PREFIX}{country.code.lower()}-{slugify(country.capital)}",
            kind=Place.Kind.CITY,
            country=country.code,
            parent=lands[country.code],
            **ENTERED,
        )
        for country in COUNTRIES
    }
    save_all(list(capitals.values()), counts)
    sites = []
    for country in COUNTRIES:
        city = country.capital
        for name, kind in rng.sample(CITY_SITES, rng.randint(2, 4)):
            sites.append(
                Place(
                    name=f"{name}, {city}",
                    slug=f"{PREFIX}{country.code.lower()}-{slugify(name)}",
                    kind=kind,
                    country=country.code,
                    parent=capitals[country.code],
                    address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {city}",
                    **ENTERED,
                )
            )
    save_all(sites, counts)
    return capitals


def create_offices(counts):
    """A prosecution service and a ministry of justice per country."""
    offices = []
    for country in COUNTRIES:
        code = country.code.lower()
        offices.append(
            Organization(
                name=country.prosecution_service,
                short_name="Prosecution service",
                slug=f"{PREFIX}{code}-prosecution",
                kind=PROSECUTION,
                country=country.code,
                website=f"{SOURCE_URL}{code}/prosecution/",
                **ENTERED,
            )
        )
        offices.append(
            Organization(
                name=f"Ministry of Justice of {country.name}",
                short_name="Ministry of Justice",
                slug=f"{PREFIX}{code}-justice",
                kind=MINISTRY,
                country=country.code,
                website=f"{SOURCE_URL}{code}/justice/",
                **ENTERED,
            )
        )
    return save_all(offices, counts)


def create_units(rng, offices, counts):
    """1-3 departments or councils of each office; return them by the office's slug."""
    units = {}
    for office in offices:
        for unit_name, kind in rng.sample(OFFICE_STAFF[office.kind].units, rng.randint(1, 3)):
            units.setdefault(office.slug, []).append(
                Organization(
                    name=f"{unit_name} of {the(office.name)}",
                    short_name=unit_name,
                    slug=f"{office.slug}-{slugify(unit_name)}",
                    kind=kind,
                    country=office.country,
                    parent=office,
                    **ENTERED,
                )
            )
    save_all([unit for office_units in units.values() for unit in office_units], counts)
    return units


class Staff:
    """The people of the offices, their other names and their positions, as drawn."""

    def __init__(self, rng):
        self.rng = rng
        self.people, self.other_names, self.positions = [], [], []
        self.taken_slugs = set()
        self.country = {country.code: country for country in COUNTRIES}

    def hire_all(self, offices, units):
        """A head, two deputies and 3-5 others per office, one or two per unit."""
        for office in offices:
            titles = OFFICE_STAFF[office.kind]
            self.hire(office, titles.head)
            for _ in range(2):
                self.hire(office, titles.deputy)
            for title in self.rng.sample(titles.staff, self.rng.randint(3, 5)):
                self.hire(office, title)
            for unit in units[office.slug]:
                chief, member = UNIT_TITLES[unit.kind]
                self.hire(unit, chief.format(unit.short_name))
                if self.rng.random() < 0.5:
                    self.hire(unit, member.format(unit.short_name))

    def hire(self, organization, title):
        country = self.country[organization.country]
        name, native_name = self.draw_name(country.name_pool)
        person = Person(name=name, slug=self.unique(f"{PREFIX}{slugify(name)}"), **ENTERED)
        self.people.append(person)
        if native_name != name:
            other = PersonName(
                person=person,
                name=native_name,
                language=country.language,
                script=NAME_POOLS[country.name_pool].script,
                **ENTERED,
            )
            self.other_names.append(other)
        self.positions.append(self.position(person, organization, title))

    def draw_name(self, pool_name):
        """A name in English spelling and in the native one (the same where they agree)."""
        pool = NAME_POOLS[pool_name]
        first, first_native, gender = self.rng.choice(pool.first_names)
        last, last_native = self.rng.choice(pool.surnames)
        if gender == "f" and pool.feminine_surnames:
            # Ivanov → Ivanova, Иванов → Иванова (a Cyrillic "а"), Əliyev → Əliyeva.
            ending = "а" if pool.script == PersonName.Script.CYRILLIC else "a"
            last, last_native = last + "a", (last_native or last) + ending
        native = (first_native or first, last_native or last)
        if pool.family_name_first:
            return f"{last} {first}", f"{native[1]} {native[0]}"
        return f"{first} {last}", f"{native[0]} {native[1]}"

    def position(self, person, organization, title):
        rng = self.rng
        start = dt.date.fromordinal(
            rng.randint(dt.date(1998, 1, 1).toordinal(), dt.date(2022, 12, 31).toordinal())
        )
        end = None
        if rng.random() < 0.4:
            end = min(start + dt.timedelta(days=rng.randint(365, 3650)), dt.date(2026, 12, 31))
        return Position(
            person=person,
            organization=organization,
            title=title,
            start_date=start if rng.random() < 0.9 else None,
            end_date=end,
            **ENTERED,
        )

    def unique(self, slug):
        candidate, n = slug, 1
        while candidate in self.taken_slugs:
            n += 1
            candidate = f"{slug}-{n}"
        self.taken_slugs.add(candidate)
        return candidate

    def heads(self):
        """The first head of each office, by the office's slug."""
        heads = {}
        for position in self.positions:
            titles = OFFICE_STAFF.get(position.organization.kind)
            if titles and position.title == titles.head:
                heads.setdefault(position.organization.slug, position)
        return heads


def create_topics(counts):
    """Broad topics, and the narrower ones under them."""
    broad = {name: Topic(name=name, slug=f"{PREFIX}{slugify(name)}", **ENTERED) for name in TOPICS}
    save_all(list(broad.values()), counts)
    narrow = [
        Topic(
            name=name,
            slug=f"{PREFIX}{slugify(name)}",
            parent=broad[parent_name],
            description=f"{name}, a subject under {parent_name.lower()}.",
            **ENTERED,
        )
        for parent_name, names in TOPICS.items()
        for name in names
    ]
    save_all(narrow, counts)


def create_sources(counts):
    sources = [
        Source(
            title=f"{publisher}: reports on legal cooperation (synthetic)",
            publisher=publisher,
            url=f"{SOURCE_URL}{slugify(publisher)}/",
            published_on=dt.date(2024, 1 + index, 15),
            language=language,
            **ENTERED,
        )
        for index, (publisher, language) in enumerate(SOURCES)
    ]
    return save_all(sources, counts)


def create_programmes(rng, offices, capitals, heads, sources, counts):
    """Programmes between offices of the same kind in two countries, for 1-4 years, each
    signed by the two heads and citing a source."""
    by_kind = {kind: [o for o in offices if o.kind == kind] for kind in (PROSECUTION, MINISTRY)}
    programmes, parties, signatories, citations = [], [], [], []
    for number in range(1, PROGRAMMES_PER_COUNTRY * len(COUNTRIES) + 1):
        kind = PROSECUTION if rng.random() < 0.75 else MINISTRY
        first, second = rng.sample(by_kind[kind], 2)
        programme = draw_programme(rng, number, first, second, capitals)
        programmes.append(programme)
        stamps = {"created_at": programme.created_at, "updated_at": programme.updated_at}
        through = CooperationProgram.parties.through
        for order, party in enumerate((first, second)):
            parties.append(through(cooperationprogram=programme, organization=party))
            head = heads[party.slug]
            signatories.append(
                ProgramSignatory(
                    program=programme,
                    person=head.person,
                    organization=party,
                    title=head.title,
                    order=order,
                    **stamps,
                )
            )
        citations.append(ProgramCitation(program=programme, source=rng.choice(sources), **stamps))
    for rows in (programmes, parties, signatories, citations):
        save_all(rows, counts)


# Recurring formats, each with a numbered meeting a year since its first.
SERIES = (
    ("Coordination council of prosecutors general", 1995),
    ("Conference of prosecutors general of the region", 2001),
    ("Forum on asset recovery", 2008),
    ("Network of anti-corruption prosecutors", 2010),
    ("Meeting of heads of international cooperation departments", 2012),
    ("Council of prosecutors of the maritime states", 2015),
)


def create_occasions(rng, capitals, counts):
    """Each series' yearly meetings up to 2025, numbered, each in a capital."""
    series = save_all(
        [Series(name=name, slug=f"{PREFIX}{slugify(name)}", **ENTERED) for name, _first in SERIES],
        counts,
    )
    cities = [capitals[code] for code in sorted(capitals)]
    occasions = []
    for each, (name, first) in zip(series, SERIES, strict=True):
        for number, year in enumerate(range(first, 2026), start=1):
            day = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
            occasions.append(
                Occasion(
                    name=f"{name}: meeting {number}",
                    slug=f"{each.slug}-{number:02d}",
                    kind=Occasion.Kind.SESSION,
                    series=each,
                    number=number,
                    start_date=day,
                    place=rng.choice(cities),
                    **ENTERED,
                )
            )
    save_all(occasions, counts)


def draw_programme(rng, number, first, second, capitals):
    start_year = rng.randint(2000, 2024)
    end_year = min(start_year + rng.randint(0, 3), 2026)
    signed_on = dt.date.fromordinal(
        rng.randint(
            dt.date(start_year - 1, 9, 1).toordinal(), dt.date(start_year, 3, 31).toordinal()
        )
    )
    created = entered(signed_on, rng.random)
    draft = rng.random() < DRAFT_SHARE
    period = f"{start_year}" if start_year == end_year else f"{start_year}–{end_year}"
    second_country = next(c.name for c in COUNTRIES if c.code == second.country)
    programme = CooperationProgram(
        title=f"Cooperation Programme between {the(first.name)} and {the(second.name)} "
        f"for {period}"[:255],
        slug=f"{PREFIX}programme-{number:04d}",
        start_year=start_year,
        end_year=end_year,
        signed_on=signed_on,
        signed_at=capitals[rng.choice((first, second)).country],
        summary=summary(rng.random, first.name, second.name, second_country, 2),
        status=rng.choice(DRAFTS) if draft else PUBLISHED,
        published_at=None if draft else created + dt.timedelta(days=rng.randint(0, 5)),
        created_at=created,
    )
    # Last changed when it was published, not before.
    programme.updated_at = programme.published_at or created
    return programme


# --- Reading it back -----------------------------------------------------------------------


def in_order(queryset, *fields):
    """values_list(*fields) sorted in Python by the fields (slugs first), not by the
    database: a collation other than C orders "syn-az-prosecution-…" differently, and the
    records drawn from the world must not depend on the database they are drawn for."""
    return sorted(queryset.values_list(*fields))


def load_world():
    """The synthetic world as the visit generator needs it, read back from the database.

    Read back rather than kept from `create_world`, so that `--append` works on a world an
    earlier run made, and ordered by slug, so that the records do not depend on the ids.
    """
    offices = load_offices()
    countries = load_countries()
    topics = [
        (pk, name, parent)
        for _, pk, name, parent in in_order(
            Topic.objects.filter(slug__startswith=PREFIX, parent__isnull=False),
            *("slug", "id", "name", "parent_id"),
        )
    ]
    siblings = {}
    for pk, _, parent in topics:
        siblings.setdefault(parent, []).append(pk)
    sources = Source.objects.filter(url__startswith=SOURCE_URL)
    world = World(
        offices=list(offices.values()),
        countries=countries,
        programmes=load_programmes(offices),
        topics=topics,
        siblings=siblings,
        sources=[pk for _, pk in in_order(sources, "url", "id")],
        occasions=[
            pk for _, pk in in_order(Occasion.objects.filter(slug__startswith=PREFIX), "slug", "id")
        ],
    )
    check_complete(world)
    return world


def load_offices():
    """The offices by id, each with its units and its staff, most senior first."""
    organizations = in_order(
        Organization.objects.filter(slug__startswith=PREFIX),
        *("slug", "id", "name", "kind", "country", "parent_id"),
    )
    offices = {
        pk: Office(pk, country, name, kind, OFFICE_STAFF[kind].head)
        for _, pk, name, kind, country, parent in organizations
        if parent is None
    }
    office_of = {pk: pk for pk in offices}
    for _, pk, name, kind, _, parent in organizations:
        if parent is not None:
            offices[parent].units.append((pk, name, kind))
            office_of[pk] = parent
    positions = Position.objects.filter(organization__slug__startswith=PREFIX)
    for _, _, title, person, organization in in_order(
        positions, "person__slug", "organization__slug", "title", "person_id", "organization_id"
    ):
        office = offices[office_of[organization]]
        rank = 0 if title == office.head_title else 1 if title.startswith("Deputy") else 2
        office.staff.append((rank, person, title))
    for office in offices.values():
        office.staff.sort(key=lambda member: member[0])  # stable: by slug within a rank
    return offices


def load_countries():
    """The countries with a synthetic capital, by code."""
    places = in_order(
        Place.objects.filter(slug__startswith=PREFIX).exclude(kind=Place.Kind.COUNTRY),
        *("slug", "id", "name", "country", "kind"),
    )
    names = {country.code: country.name for country in COUNTRIES}
    countries = {
        code: Country(code, names.get(code, code), (pk, name), [])
        for _, pk, name, code, kind in places
        if kind == Place.Kind.CITY
    }
    for _, pk, name, code, kind in places:
        if kind != Place.Kind.CITY:
            countries[code].sites.append((pk, name))
    return countries


def load_programmes(offices):
    """The synthetic programmes between two offices, ordered by slug.

    Only programmes: the memoranda signed during visits (signings.py) are between the
    visits' own sides, which may be an office's unit rather than an office."""
    through = CooperationProgram.parties.through
    parties = {}
    for _, _, programme, organization in in_order(
        through.objects.filter(
            cooperationprogram__slug__startswith=PREFIX,
            cooperationprogram__kind=CooperationProgram.Kind.PROGRAMME,
        ),
        *("cooperationprogram__slug", "organization__slug"),
        *("cooperationprogram_id", "organization_id"),
    ):
        parties.setdefault(programme, []).append(offices[organization])
    return [
        Programme(
            pk,
            tuple(parties[pk][:2]),
            dt.date(start_year, 1, 1).toordinal(),
            dt.date(end_year, 12, 31).toordinal(),
        )
        for _, pk, start_year, end_year in in_order(
            CooperationProgram.objects.filter(
                slug__startswith=PREFIX, kind=CooperationProgram.Kind.PROGRAMME
            ),
            *("slug", "id", "start_year", "end_year"),
        )
        if len(parties.get(pk, ())) >= 2
    ]


def check_complete(world):
    if not (world.offices and world.topics and world.sources) or any(
        not office.staff or office.country not in world.countries for office in world.offices
    ):
        raise CommandError(
            "The synthetic world (records whose slugs start with 'syn-') is incomplete; "
            "remove it or start from an empty database."
        )
