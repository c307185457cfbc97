"""The pages' structured data (JSON-LD) read as other programs read it, in each of the three
languages, for every visit of fixtures/ and one written in English only:

- expanded by pyld with no network, against a schema.org context built from the vocabulary
  (so a term schema.org does not define is lost, and the test sees it go);
- each property defined by schema.org for its node's type or one of its supertypes, read
  from the schema.org vocabulary of the npm package schema-dts (its TypeScript interfaces:
  `interface EventBase extends ThingBase {` and its `"prop"?:` lines);
- every visit an Event with a `startDate`, the basis of a reported date said, its sources
  the CreativeWorks it is the subject of.
"""

import copy
import json
import re
from dataclasses import dataclass
from functools import cached_property

import pytest
from django.conf import settings
from django.utils import translation
from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader

from cooperation.models import Delegation
from cooperation.structured_data import date_basis_note
from tests.interop_archive import ENGLISH_ONLY, LANGUAGES, OTHER_PAGES, archive, prefix

# The session sets up the test database only for tests that ask for it; the pages are
# rendered once (tests/interop_archive.py), in a transaction rolled back after.
pytestmark = pytest.mark.django_db

SCHEMA_DTS = settings.BASE_DIR / "node_modules" / "schema-dts" / "dist" / "schema.d.ts"
SCHEMA = "https://schema.org/"
# Where the pages' "@context" points; served from the vocabulary below, never fetched.
CONTEXT_URLS = ["https://schema.org", "https://schema.org/"]
BLOCK = re.compile(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', re.S)


# --- The schema.org vocabulary, from schema-dts ---------------------------------------------

# `interface EventBase extends ThingBase {`, `export interface EventLeaf extends EventBase {`
INTERFACE = re.compile(r"^(?:export )?interface (\w+) extends (.+) \{$")
# `    "startDate"?: SchemaValue<Date | DateTime | IdReference, "startDate">;`
PROPERTY = re.compile(r'^\s+"([^"@][^"]*)"\?:')
# In a leaf interface, the type it is: `    "@type": "Event";`
TYPE = re.compile(r'^\s+"@type": "([^"]+)";$')


@dataclass
class Vocabulary:
    """schema.org's types and, per type, the properties it and its supertypes define."""

    own: dict  # interface → properties it declares
    parents: dict  # interface → the interfaces it extends
    leaves: dict  # type name → its leaf interface (`Event` → `EventLeaf`)

    @classmethod
    def read(cls, path):
        own, parents, leaves = {}, {}, {}
        interface = None
        for line in path.read_text().splitlines():
            if match := INTERFACE.match(line):
                interface = match[1]
                own[interface] = set()
                # Partial<IdReference> is schema-dts's "@id", not a schema.org type.
                parents[interface] = [
                    name.strip()
                    for name in match[2].split(",")
                    if not name.strip().startswith("Partial<")
                ]
            elif interface is None:
                continue
            elif line == "}":
                interface = None
            elif match := PROPERTY.match(line):
                own[interface].add(match[1])
            elif match := TYPE.match(line):
                leaves[match[1]] = interface
        return cls(own, parents, leaves)

    def properties(self, type_name):
        """Every property a node of `type_name` may carry (KeyError for no such type)."""
        found, todo = set(), [self.leaves[type_name]]
        while todo:
            interface = todo.pop()
            found |= self.own.get(interface, set())
            todo += self.parents.get(interface, [])
        return found

    @cached_property
    def terms(self):
        """Every type and property that is a plain name (not an external IRI)."""
        names = set(self.leaves)
        for properties in self.own.values():
            names |= properties
        return {name for name in names if re.fullmatch(r"\w+", name)}

    def context(self):
        """A JSON-LD context defining exactly schema.org's terms, and nothing else: no
        @vocab, so a term it does not define is dropped by expansion."""
        return {"@context": {"schema": SCHEMA, **{name: f"schema:{name}" for name in self.terms}}}

    def problems(self, data):
        """What in `data` (a JSON-LD document) schema.org does not define: per node, a type
        it does not have, or a property its type and supertypes do not define."""
        found = []
        for path, node in nodes(data):
            type_name = node.get("@type")
            if type_name not in self.leaves:
                found.append(f"{path}: no schema.org type {type_name!r}")
                continue
            allowed = self.properties(type_name)
            found += [
                f"{path}: {type_name} has no property {key!r}"
                for key in node
                if not key.startswith("@") and key not in allowed
            ]
        return found


def nodes(value, path="$"):
    """(path, node) of every node in a JSON-LD value: objects that are not values
    ({"@value": …})."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, f"{path}[{index}]")
    elif isinstance(value, dict) and "@value" not in value:
        yield path, value
        for key, item in value.items():
            if not key.startswith("@"):
                yield from nodes(item, f"{path}.{key}")


def used_terms(data):
    """The types and properties `data` uses."""
    terms = set()
    for _, node in nodes(data):
        terms |= {key for key in node if not key.startswith("@")}
        terms.add(node["@type"])
    return terms


def expanded_terms(expanded):
    """The schema.org types and properties left after expansion, by their names. A
    property the context does not define is gone; a type it does not define is read as an
    address relative to the document, not in schema.org."""
    terms = set()
    for _, node in nodes(expanded):
        for key, value in node.items():
            if key == "@type":
                terms |= set(value)
            elif not key.startswith("@"):
                terms.add(key)
    return {term.removeprefix(SCHEMA) for term in terms if term.startswith(SCHEMA)}


@pytest.fixture(scope="module")
def vocabulary():
    return Vocabulary.read(SCHEMA_DTS)


@pytest.fixture(scope="module")
def loader(vocabulary):
    context = vocabulary.context()
    return FrozenDocumentLoader(documents=dict.fromkeys(CONTEXT_URLS, context))


def expand(data, loader):
    return jsonld.expand(data, {"documentLoader": loader})


# --- The pages -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker):
    return archive(django_db_blocker)


@pytest.fixture(scope="module")
def blocks(rendered):
    """Per (language, path): the JSON-LD blocks the page carries, parsed."""
    found = {}
    for language in LANGUAGES:
        for path in [*OTHER_PAGES, *(f"/events/{slug}/" for slug in rendered.visits)]:
            content = rendered.page(language, path).decode()
            found[(language, path)] = [json.loads(block) for block in BLOCK.findall(content)]
    return found


def event(blocks, language, slug):
    """The one Event a visit's page describes itself with."""
    (data,) = blocks[(language, f"/events/{slug}/")]
    assert data["@type"] == "Event"
    return data


def test_the_vocabulary_is_read(vocabulary):
    # What the checks below rest on: schema-dts read as schema.org defines it.
    assert {"startDate", "subEvent", "subjectOf", "name", "url"} <= vocabulary.properties("Event")
    assert "isBasedOn" in vocabulary.properties("CreativeWork")
    assert "isBasedOn" not in vocabulary.properties("Event")
    assert "address" in vocabulary.properties("GovernmentOrganization")
    assert "addressCountry" in vocabulary.properties("PostalAddress")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_with_structured_data_uses_only_what_schema_org_defines(
    blocks, rendered, vocabulary, loader, language
):
    checked = []
    for (page_language, path), datas in blocks.items():
        if page_language != language:
            continue
        for data in datas:
            assert vocabulary.problems(data) == [], path
            # Expanded offline, every type and property it uses is still there.
            assert expanded_terms(expand(data, loader)) == used_terms(data), path
            checked.append(path)
    # Every visit's page carries its Event (test_every_visit_is_an_event…), at least.
    assert len(checked) >= len(rendered.visits)


def test_the_checks_refuse_a_property_schema_org_does_not_give_the_type(blocks, vocabulary, loader):
    data = copy.deepcopy(event(blocks, "en", ENGLISH_ONLY))
    data["isBasedOn"] = ["https://example.org/report"]
    assert vocabulary.problems(data) == ["$: Event has no property 'isBasedOn'"]

    data = copy.deepcopy(event(blocks, "ru", ENGLISH_ONLY))
    data["subjectOf"][0]["inventedProperty"] = "x"
    data["location"] = {"@type": "Venue", "name": "Hall"}
    assert sorted(vocabulary.problems(data)) == [
        "$.location: no schema.org type 'Venue'",
        "$.subjectOf[0]: CreativeWork has no property 'inventedProperty'",
    ]
    # Expanded by a context of schema.org's terms alone, neither is read as schema.org's.
    assert used_terms(data) - expanded_terms(expand(data, loader)) == {"inventedProperty", "Venue"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_visit_is_an_event_with_its_start_date(blocks, rendered, language):
    for slug, visit in rendered.visits.items():
        data = event(blocks, language, slug)
        assert data["startDate"] == visit.start_date.isoformat(), slug
        assert data.get("endDate") == (visit.end_date and visit.end_date.isoformat()), slug
        assert data["inLanguage"] == language
        assert data["url"] == f"http://testserver{prefix(language)}/events/{slug}/"
    reported = [v for v in rendered.visits.values() if v.date_basis == "reported"]
    assert {"russian-prosecutors-working-visit-baku-2023", ENGLISH_ONLY} <= {
        visit.slug for visit in reported
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reported_date_says_what_it_is(blocks, rendered, language):
    for slug, visit in rendered.visits.items():
        description = event(blocks, language, slug).get("description")
        values = description if isinstance(description, list) else [description]
        with translation.override(language):
            note = date_basis_note(Delegation(date_basis=visit.date_basis, end_date=visit.end_date))
        if visit.date_basis == Delegation.DateBasis.REPORTED:
            assert note in values, slug
        else:
            assert note is None
            assert len(values) == 1, slug


@pytest.mark.parametrize("language", LANGUAGES)
def test_sources_are_the_creative_works_a_visit_is_the_subject_of(blocks, rendered, language):
    for slug, visit in rendered.visits.items():
        data = event(blocks, language, slug)
        assert "isBasedOn" not in data
        assert {work["@type"] for work in data["subjectOf"]} == {"CreativeWork"}
        assert {work["url"] for work in data["subjectOf"]} == visit.source_urls, slug


@pytest.mark.parametrize("language", ["az", "ru"])
def test_an_english_fallback_is_tagged_english(blocks, language):
    data = event(blocks, language, ENGLISH_ONLY)
    assert data["inLanguage"] == language
    assert data["name"] == {"@value": "Talks on mutual legal assistance", "@language": "en"}
    # The summary in English, the note on the date in the page's language.
    summary, note = data["description"]
    assert summary == {
        "@value": "Prosecutors met to speed up requests for legal assistance.",
        "@language": "en",
    }
    assert isinstance(note, str)
