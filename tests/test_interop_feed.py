"""The Atom feed read as other programs read it, in each of the three languages: by
feedparser (a feed reader's parser), and against RFC 4287's own schema (Appendix B, in
tests/data/atom.rnc): its RELAX NG grammar with lxml and the Schematron rules written into
it (an author on the feed or on every entry; a link or content on every entry). And the
calendar files' word on a reported date, read by icalendar."""

from pathlib import Path

import feedparser
import icalendar
import pytest
import rnc2rng
from django.conf import settings
from django.utils import translation
from lxml import etree, isoschematron
from lxml.builder import ElementMaker

from cooperation.models import Delegation
from cooperation.structured_data import date_basis_note
from tests.interop_archive import ENGLISH_ONLY, FEED, LANGUAGES, archive, prefix

# The session sets up the test database only for tests that ask for it; the pages are
# rendered once (tests/interop_archive.py), in a transaction rolled back after.
pytestmark = pytest.mark.django_db

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_RNC = Path(__file__).parent / "data" / "atom.rnc"
# The namespace of the Schematron the RFC's annotations are written in (Schematron 1.5),
# and of ISO Schematron, which lxml runs.
SCHEMATRON_15 = "http://www.ascc.net/xml/schematron"
ISO_SCHEMATRON = "http://purl.oclc.org/dsdl/schematron"


@pytest.fixture(scope="module")
def feeds(django_db_setup, django_db_blocker):
    """Per language: the feed's bytes, and per published visit's slug the (text, language)
    of its title and of its summary as that language's pages show them."""
    rendered = archive(django_db_blocker)
    return {
        language: (
            rendered.page(language, FEED),
            {
                slug: (visit.title[language], visit.summary[language])
                for slug, visit in rendered.visits.items()
            },
        )
        for language in LANGUAGES
    }


@pytest.fixture(scope="module")
def rfc4287():
    """RFC 4287's schema: (its RELAX NG grammar, its Schematron rules), both as lxml
    validators."""
    rng = rnc2rng.dumps(rnc2rng.load(str(ATOM_RNC)))
    # rnc2rng declares the schema's `namespace local = ""` as xmlns:local="", which XML
    # namespaces forbid; the grammar names the empty namespace as ns="" without it.
    grammar = etree.fromstring(rng.replace(' xmlns:local=""', "").encode())
    rules = grammar.findall(f".//{{{SCHEMATRON_15}}}rule")
    assert len(rules) == 3, "the RFC's schema carries three Schematron rules"
    # Each rule in a pattern of its own: within one pattern a node is checked only by the
    # first rule whose context it matches, and two of the RFC's rules are about atom:entry.
    sch = ElementMaker(namespace=ISO_SCHEMATRON, nsmap={"sch": ISO_SCHEMATRON})
    schematron = sch.schema(
        sch.ns(prefix="atom", uri=ATOM),
        *(
            sch.pattern(
                sch.rule(
                    *(
                        sch("assert", check.text, test=check.get("test"))
                        for check in rule.findall(f"{{{SCHEMATRON_15}}}assert")
                    ),
                    context=rule.get("context"),
                )
            )
            for rule in rules
        ),
    )
    return etree.RelaxNG(grammar), isoschematron.Schematron(schematron)


def problems(schema, document):
    """What the RFC's grammar and rules find wrong in `document` (an lxml tree)."""
    grammar, rules = schema
    found = []
    if not grammar.validate(document):
        found += [error.message for error in grammar.error_log]
    if not rules.validate(document):
        found += [error.message for error in rules.error_log]
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_feed_is_valid_atom_by_rfc_4287s_schema(feeds, rfc4287, language):
    content, _ = feeds[language]
    assert problems(rfc4287, etree.fromstring(content)) == []


def test_the_schema_refuses_a_feed_without_an_author(feeds, rfc4287):
    document = etree.fromstring(feeds["az"][0])
    (author,) = document.findall(f"{{{ATOM}}}author")
    document.remove(author)
    found = problems(rfc4287, document)
    assert any("must have an atom:author" in problem for problem in found), found


def test_the_schema_refuses_an_entry_without_an_id(feeds, rfc4287):
    document = etree.fromstring(feeds["ru"][0])
    entry = document.find(f"{{{ATOM}}}entry")
    entry.remove(entry.find(f"{{{ATOM}}}id"))
    assert problems(rfc4287, document) != []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_feed_reader_reads_every_published_visit(feeds, language):
    content, visits = feeds[language]
    feed = feedparser.parse(content)

    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title_detail.language == language
    with translation.override(language):
        registry = str(settings.SITE_NAME)
        assert feed.feed.title.startswith(registry)
    # The registry is the feed's author, linked to its home page in the feed's language.
    assert feed.feed.author_detail.name == registry
    assert feed.feed.author_detail.href == f"http://testserver{prefix(language)}/"
    assert feed.feed.updated_parsed is not None
    assert {link.rel for link in feed.feed.links} == {"alternate", "self"}

    by_slug = {entry.link.split("/")[-2]: entry for entry in feed.entries}
    assert set(by_slug) == set(visits)
    for slug, entry in by_slug.items():
        (title, title_language), (summary, _) = visits[slug]
        assert entry.title == title
        assert entry.title_detail.language == title_language
        assert entry.get("summary", "") == summary
        assert entry.link == f"http://testserver{prefix(language)}/events/{slug}/"
        assert entry.id == entry.link
        assert entry.updated_parsed is not None and entry.published_parsed is not None
        assert entry.summary_detail.type == "text/plain"
        assert entry.tags[0].term in Delegation.VisitType.values


@pytest.mark.parametrize("language", ["az", "ru"])
def test_an_english_fallback_is_marked_english_and_nothing_else_is(feeds, language):
    content, visits = feeds[language]
    document = etree.fromstring(content)
    assert document.get(XML_LANG) == language
    marked = {}
    for entry in document.iter(f"{{{ATOM}}}entry"):
        slug = entry.find(f"{{{ATOM}}}link").get("href").split("/")[-2]
        title = entry.find(f"{{{ATOM}}}title")
        summary = entry.find(f"{{{ATOM}}}summary")
        marked[slug] = (title.get(XML_LANG), None if summary is None else summary.get(XML_LANG))
    # A text in the feed's language inherits its xml:lang; an English one says so.
    expected = {
        slug: tuple(
            None if text_language in (language, None) else text_language
            for _, text_language in texts
        )
        for slug, texts in visits.items()
    }
    assert marked == expected
    assert marked[ENGLISH_ONLY] == ("en", "en")


def test_the_english_feed_marks_no_text(feeds):
    document = etree.fromstring(feeds["en"][0])
    assert document.get(XML_LANG) == "en"
    assert document.xpath("//*[@xml:lang]") == [document]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_calendar_file_says_what_a_reported_date_is(django_db_blocker, language):
    rendered = archive(django_db_blocker)
    for slug, visit in rendered.visits.items():
        content = rendered.page(language, f"/events/{slug}/calendar.ics")
        (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
        assert event.decoded("DTSTART") == visit.start_date
        last_day = visit.end_date or visit.start_date
        assert (event.decoded("DTEND") - last_day).days == 1, slug
        with translation.override(language):
            note = date_basis_note(Delegation(date_basis=visit.date_basis, end_date=visit.end_date))
        description = str(event["DESCRIPTION"])
        if note:
            # One with a last day is not said to have an unknown end.
            assert description.startswith(note), slug
        else:
            assert visit.date_basis == Delegation.DateBasis.VISIT
    reported = {slug for slug, visit in rendered.visits.items() if visit.date_basis == "reported"}
    assert ENGLISH_ONLY in reported and rendered.visits[ENGLISH_ONLY].end_date
