"""The synthetic archive's words and names, read from the files in data/.

    countries.csv  code, name as used in a sentence, capital, name pool, language, and the
                   prosecution service's name where it is not "Prosecutor General's Office
                   of <name>"
    names.json     name pools: first names (English spelling, native spelling or "", "f"
                   for a woman), surnames (English, native or ""), the native script, and
                   whether a woman's surname takes a feminine form and the family name
                   comes first
    offices.json   per kind of office: the head's and deputies' titles, other staff titles,
                   its units (name, kind); per kind of unit, its chief's and members' titles
    places.json    buildings and museums of a capital (name, kind), street names
    topics.json    broad topics and the narrower ones under each
    sources.csv    publishers of the synthetic sources and their language
    words.json     words for titles and summaries (adjectives and nouns most common first),
                   sentence templates ({np} is a noun phrase), types of visit with their
                   title template and weight, roles in a meeting

Changing a file changes the records a seed gives (and makes `make bench` rebuild its
databases).
"""

import csv
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read_json(name):
    with open(DATA / name, encoding="utf-8") as file:
        return json.load(file)


def read_csv(name):
    with open(DATA / name, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@dataclass(frozen=True)
class CountryData:
    code: str
    name: str  # as used in a sentence: "the Netherlands"
    capital: str
    name_pool: str
    language: str
    prosecution_service: str  # the name of its prosecution service


@dataclass(frozen=True)
class NamePool:
    script: str  # PersonName.Script of the native spellings
    feminine_surnames: bool  # Ivanov → Ivanova
    family_name_first: bool
    first_names: list  # (English spelling, native spelling or "", "f" for a woman or "")
    surnames: list  # (English spelling, native spelling or "")


@dataclass(frozen=True)
class OfficeStaff:
    head: str
    deputy: str
    staff: list  # other titles
    units: list  # (name, Organization.Kind)


def _country(row):
    prosecution = row.pop("prosecution_service") or f"Prosecutor General's Office of {row['name']}"
    return CountryData(**row, prosecution_service=prosecution)


def zipf_weights(count, exponent=1.1):
    """Cumulative weights of `count` words, most common first: a search finds the first
    ones in most records and the last ones in a few."""
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


COUNTRIES = [_country(row) for row in read_csv("countries.csv")]
NAME_POOLS = {name: NamePool(**pool) for name, pool in read_json("names.json").items()}

_offices = read_json("offices.json")
OFFICE_STAFF = {kind: OfficeStaff(**staff) for kind, staff in _offices["offices"].items()}
UNIT_TITLES = _offices["unit_titles"]  # unit kind -> (chief's title, member's title)

_places = read_json("places.json")
CITY_SITES = _places["city_sites"]
STREETS = _places["streets"]

TOPICS = read_json("topics.json")
SOURCES = [(row["publisher"], row["language"]) for row in read_csv("sources.csv")]

_words = read_json("words.json")
ADJECTIVES = _words["adjectives"]
NOUNS = _words["nouns"]
ADJECTIVE_WEIGHTS = zipf_weights(len(ADJECTIVES))
NOUN_WEIGHTS = zipf_weights(len(NOUNS))
PURPOSES = _words["purposes"]
SUMMARY_SENTENCES = _words["summary_sentences"]
ACTIVITY_SENTENCES = _words["activity_sentences"]
VISIT_TITLES = {kind: spec["title"] for kind, spec in _words["visit_types"].items()}
VISIT_TYPES = list(VISIT_TITLES)
VISIT_TYPE_WEIGHTS = list(
    itertools.accumulate(spec["weight"] for spec in _words["visit_types"].values())
)
HOST_ROLES = _words["host_roles"]
VISITING_ROLES = _words["visiting_roles"]  # the head's role first, then another member's
