"""A small shared world: two offices with a programme, a published and a draft visit.

Tests ask for what they need (`world`, `make_event`); nothing touches the database unless a
test asks for it.
"""

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test.utils import override_settings
from django.utils import timezone, translation
from django_countries import countries

from cooperation import records
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    Organization,
    Place,
    Source,
    Status,
)

_counter = itertools.count(1)


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():
    # Hundreds of tests make a staff account, and the site's hasher (PBKDF2, a million
    # rounds) took 0.45 s of each: the tests check who may do what, not the hashing, which
    # is Django's own. The cluster's tests (tests/test_cluster.py) run the real settings.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _empty_page_cache():
    # Each test builds its own records; a page cached by an earlier test is never valid.
    cache.clear()


@pytest.fixture(autouse=True)
def _english_to_begin_with():
    # A request to /az/… leaves Azerbaijani active in the thread (LocaleMiddleware activates
    # a page's language and never deactivates it), and a record built in code with
    # `title=` gets the text in the active language (cooperation/translation.py): each test
    # starts in English, the language of an unprefixed address.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def make_event(db):
    """Build a delegation with sensible defaults; keyword arguments override them."""

    def make(**fields):
        n = next(_counter)
        if "sending_organization" not in fields:
            fields["sending_organization"] = Organization.objects.create(
                name=f"Sending Office {n}",
                slug=f"sending-office-{n}",
                country="RU",
                kind=Organization.Kind.PROSECUTION_SERVICE,
            )
        if "host_organization" not in fields:
            fields["host_organization"] = Organization.objects.create(
                name=f"Host Office {n}",
                slug=f"host-office-{n}",
                country="AZ",
                kind=Organization.Kind.PROSECUTION_SERVICE,
            )
        if "location" not in fields:
            fields["location"] = Place.objects.create(
                name=f"City {n}",
                slug=f"city-{n}",
                country="AZ",
                kind=Place.Kind.CITY,
                parent=country_place("AZ"),
            )
        status = fields.pop("status", Status.PUBLISHED)
        defaults = {
            "title": f"Working visit {n}",
            "slug": f"working-visit-{n}",
            "visit_type": Delegation.VisitType.WORKING,
            "start_date": dt.date(2023, 1, 1) + dt.timedelta(days=n),
            "status": status,
            "published_at": timezone.now() if status == Status.PUBLISHED else None,
        }
        # Written as any door writes a visit: its derived data is in step when the block ends.
        with records.change():
            event = Delegation.objects.create(**{**defaults, **fields})
            source, _ = Source.objects.get_or_create(
                url="https://example.org/report",
                defaults={
                    "title": "Report",
                    "publisher": "Example News",
                    "language": "en",
                },
            )
            DelegationCitation.objects.create(delegation=event, source=source)
        return event

    return make


class World:
    pass


def listed(client, **query):
    """The slugs of the visits /events/ lists for `query` (its first page)."""
    response = client.get("/events/", query)
    assert response.status_code == 200, response.content[:2000]
    return {event.slug for event in response.context["events"]}


def country_place(code):
    """The place of the country `code`: places are rooted in countries, so a city made for
    a test sits inside one, as the rule every door checks would have it."""
    place = Place.objects.filter(kind=Place.Kind.COUNTRY, country=code).order_by("pk").first()
    if place is None:
        place = Place.objects.create(
            kind=Place.Kind.COUNTRY,
            country=code,
            name=countries.name(code),
            slug=f"country-{code.lower()}",
        )
    return place


@pytest.fixture
def world(db, make_event):
    w = World()
    w.russia = Organization.objects.create(
        name="Prosecutor General's Office of the Russian Federation",
        slug="ru-pgo",
        country="RU",
        kind=Organization.Kind.PROSECUTION_SERVICE,
    )
    w.azerbaijan = Organization.objects.create(
        name="Prosecutor General's Office of the Republic of Azerbaijan",
        slug="az-pgo",
        country="AZ",
        kind=Organization.Kind.PROSECUTION_SERVICE,
    )
    w.baku = Place.objects.create(
        name="Baku", slug="baku", country="AZ", kind=Place.Kind.CITY, parent=country_place("AZ")
    )
    w.program = CooperationProgram.objects.create(
        title="Cooperation Program 2021-2023",
        slug="program-2021-2023",
        start_year=2021,
        end_year=2023,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
    )
    w.program.parties.set([w.russia, w.azerbaijan])
    w.published = make_event(
        title="Published working visit",
        slug="published-visit",
        sending_organization=w.russia,
        host_organization=w.azerbaijan,
        location=w.baku,
        program=w.program,
        start_date=dt.date(2023, 12, 15),
    )
    w.draft = make_event(
        title="Draft working visit",
        slug="draft-visit",
        status=Status.DRAFT,
        sending_organization=w.azerbaijan,
        host_organization=w.russia,
        location=w.baku,
        program=w.program,
        start_date=dt.date(2024, 3, 1),
    )
    return w
