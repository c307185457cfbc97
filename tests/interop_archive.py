"""The archive the interoperability tests read (tests/test_interop_feed.py,
tests/test_interop_structured_data.py): every fixture of fixtures/ and a visit written in
English only, loaded once per test session, its pages rendered in every language, then
rolled back. Loading the fixtures is the slow part; the two modules share one load."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from cooperation import records
from cooperation.languages import shown
from cooperation.models import (
    Delegation,
    DelegationCitation,
    HostAbsent,
    Organization,
    Source,
    Status,
)

LANGUAGES = [code for code, _ in settings.LANGUAGES]
FEED = "/feeds/events.atom"
ENGLISH_ONLY = "talks-on-mutual-legal-assistance"
# Pages other than a visit's, read for any structured data they carry.
OTHER_PAGES = ["/", "/events/", "/programs/"]


def prefix(language):
    return "" if language == settings.LANGUAGE_CODE else f"/{language}"


@dataclass
class Visit:
    """A published visit as the records hold it, to compare what the pages say with."""

    slug: str
    start_date: dt.date
    end_date: dt.date | None
    date_basis: str
    source_urls: set
    # Per language: the (text, language) of its title and of its summary as that
    # language's pages show them (languages.shown).
    title: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


@dataclass
class Archive:
    fixtures: list
    visits: dict  # slug → Visit
    pages: dict  # (language, path) → (status, content bytes)

    def page(self, language, path):
        status, content = self.pages[(language, path)]
        assert status == 200, f"{prefix(language)}{path} answered {status}"
        return content


_loaded = []


def archive(django_db_blocker):
    """The rendered archive, built on the first call of the session."""
    if not _loaded:
        with django_db_blocker.unblock():
            _loaded.append(_render())
    return _loaded[0]


def _render():
    with transaction.atomic():
        # A page an earlier module cached would answer for these records.
        cache.clear()
        fixtures = sorted(path.stem for path in (settings.BASE_DIR / "fixtures").glob("*.json"))
        call_command("loaddata", *fixtures, verbosity=0)
        _add_english_only_visit()
        visits = {}
        for visit in Delegation.objects.published().prefetch_related("sources"):
            visits[visit.slug] = Visit(
                slug=visit.slug,
                start_date=visit.start_date,
                end_date=visit.end_date,
                date_basis=visit.date_basis,
                source_urls={source.url for source in visit.sources.all()},
                title={language: shown(visit, "title", language) for language in LANGUAGES},
                summary={language: shown(visit, "summary", language) for language in LANGUAGES},
            )
        client = Client()
        pages = {}
        paths = [
            FEED,
            *OTHER_PAGES,
            *(f"/events/{slug}/" for slug in visits),
            *(f"/events/{slug}/calendar.ics" for slug in visits),
        ]
        for language in LANGUAGES:
            for path in paths:
                response = client.get(prefix(language) + path)
                pages[(language, path)] = (response.status_code, response.content)
        # Nothing of this data outlives the session's first use: the tests after it start
        # from empty tables.
        transaction.set_rollback(True)
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    return Archive(fixtures=fixtures, visits=visits, pages=pages)


def _add_english_only_visit():
    """A published visit with no Azerbaijani or Russian text yet, reported while under way
    with a known last day, written as a script writes it."""
    with translation.override(settings.LANGUAGE_CODE), records.change():
        visit = Delegation.objects.create(
            title="Talks on mutual legal assistance",
            summary="Prosecutors met to speed up requests for legal assistance.",
            slug=ENGLISH_ONLY,
            sending_organization=Organization.objects.get(slug="prosecutor-generals-office-russia"),
            visit_type=Delegation.VisitType.NOT_STATED,
            host_absent=HostAbsent.NOT_STATED,
            start_date=dt.date(2024, 5, 14),
            end_date=dt.date(2024, 5, 16),
            date_basis=Delegation.DateBasis.REPORTED,
            status=Status.PUBLISHED,
            published_at=timezone.now(),
        )
        DelegationCitation.objects.create(delegation=visit, source=Source.objects.first())
