"""The languages a record is kept in, and text matched whatever its language or script.

A record's own words (titles, summaries, names of bodies, places, topics and programmes)
are kept once per language of settings.LANGUAGES (cooperation/translation.py): `title_en`,
`title_az`, `title_ru`. English is the language of reference: required where the field is,
and shown, marked as English, where the reader's language has no text yet. Reading
`record.title` gives the active language's text with that fallback; the helpers here read
the languages explicitly, for what must not depend on the active language (the search
text, the history) and for pages that say when they fall back.
"""

import functools
import re
import unicodedata

from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation
from modeltranslation import settings as mt_settings
from modeltranslation.fields import TranslationField

DEFAULT = mt_settings.DEFAULT_LANGUAGE


def codes():
    """Every language a record is kept in, English first."""
    languages = list(mt_settings.AVAILABLE_LANGUAGES)
    return [DEFAULT, *(code for code in languages if code != DEFAULT)]


def column(field, language):
    return f"{field}_{language}"


def in_every_language(*paths):
    """Each lookup path to a translated field ("title", "parties__name") once per language:
    for searches that find a record by its words in any language."""
    return tuple(column(path, language) for path in paths for language in codes())


def language_columns(model):
    """Every per-language field of `model` (`title_en`, `title_az`…), in model order."""
    return [field for field in model._meta.fields if isinstance(field, TranslationField)]


def current():
    """The active language if records are kept in it, else English."""
    language = (translation.get_language() or DEFAULT).split("-")[0]
    return language if language in mt_settings.AVAILABLE_LANGUAGES else DEFAULT


def every_language(record, field):
    """The texts of `record`'s `field` in each language that has one, English first."""
    texts = (getattr(record, name, None) for name in _columns(field))
    return [text for text in texts if text]


@functools.cache
def _columns(field):
    """`field`'s column in each language, English first: worked out once, as a search text
    of a million visits reads them tens of millions of times."""
    return tuple(column(field, language) for language in codes())


def shown(record, field, language=None):
    """(text, its language) of `field` as a page in `language` (the active one) shows it:
    that language's text, else the English text; ("", None) when there is neither."""
    language = language or current()
    for candidate in dict.fromkeys((language, DEFAULT)):
        text = getattr(record, column(field, candidate), None)
        if text:
            return text, candidate
    return "", None


def order_by_shown(field, language=None):
    """An ordering expression for `field` as a page in `language` shows it (English where
    there is no translation), matching the per-language indexes that serve it."""
    language = language or current()
    english = F(column(field, DEFAULT))
    if language == DEFAULT:
        return english
    return Coalesce(NullIf(F(column(field, language)), Value("")), english)


# --- Matching text across scripts -----------------------------------------------------------

# Letters with no decomposition into a base letter and marks, written as people type them
# on a keyboard without them: "Əliyev" is found by "Eliyev", "Bakı" by "Baki".
PLAIN_LETTERS = str.maketrans({"ə": "e", "ı": "i", "ł": "l", "đ": "d", "ø": "o"})
# Cyrillic letters that decompose but are letters of their own, not an accented и, і or у
# (PostgreSQL's unaccent keeps them too). ё is folded to е, as unaccent does.
KEPT_LETTERS = frozenset("йїў")


def fold(text):
    """`text` as search compares it: case folded, accents and other marks removed (é → e,
    ş → s, İ → i, ё → е), and the few letters above written plainly.

    The search text of a visit and every query go through it, on every database: SQLite
    compares the folded words, PostgreSQL builds its vector from them (its text search
    configuration unaccents what is read from the columns directly, to the same result).
    """
    text = unicodedata.normalize("NFC", text.casefold())
    if text.isascii():
        return text  # nothing to fold, and most of a search text is ASCII
    # Only the runs of other characters are translated: a visit's search text of 1,400
    # characters holds about three (names in Cyrillic or with accents), and folding them
    # alone took a ninth of the time of translating every character.
    return _NOT_ASCII.sub(_fold_run, text)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


class _Folding(dict):
    """Each character's folded form, by code point, as str.translate reads a table: worked
    out the first time a character is met in a process (a search text is long, its
    alphabet short)."""

    def __missing__(self, code):
        char = chr(code)
        if char in KEPT_LETTERS:
            folded = char
        else:
            parts = unicodedata.normalize("NFKD", char)
            folded = "".join(part for part in parts if not unicodedata.combining(part))
        self[code] = folded = folded.translate(PLAIN_LETTERS)
        return folded


_FOLDING = _Folding()


def _fold_run(match):
    return match.group().translate(_FOLDING)


# --- People's names in the page's script ----------------------------------------------------

# The script each language's pages are written in. A person's `name` is the English (Latin)
# spelling; a page in another language shows the person's other spelling (a PersonName row)
# in that language and script when the record holds one.
SCRIPTS = {"az": "Latn", "ru": "Cyrl"}
# Languages whose readers are better served by any spelling in their script than by the
# English one: a Russian reader reads a Cyrillic name given without its language (or an
# Uzbek or Kazakh Cyrillic one), where an Azerbaijani reader gains nothing from another
# Latin transliteration.
ANY_SPELLING_IN_SCRIPT = frozenset({"ru"})


def pick_name(name, variants, language=None):
    """The spelling a page in `language` (the active one) shows of a person called `name`
    in English, among `variants`, (name, language, script) triples of their PersonName rows:
    the variant in that language and script, else (where ANY_SPELLING_IN_SCRIPT says so) the
    first in that script, else `name`."""
    language = language or current()
    script = SCRIPTS.get(language)
    if script is None:
        return name
    fallback = None
    for variant, variant_language, variant_script in variants:
        if variant_script != script:
            continue
        if (variant_language or "").split("-")[0].lower() == language:
            return variant
        if fallback is None and language in ANY_SPELLING_IN_SCRIPT:
            fallback = variant
    return fallback or name


def person_name(person, language=None):
    """`person`'s name as a page in `language` (the active one) shows it, in the page's
    script where the record holds a spelling in it (Камран Алиев on /ru/, Kamran Əliyev on
    /az/, Kamran Aliyev on English pages).

    Reads `person.other_names.all()`: prefetch "other_names" (or "…__person__other_names"
    from the rows that name people) so that a page naming many people reads them all in one
    query; without the prefetch it costs one query per person.
    """
    variants = ((other.name, other.language, other.script) for other in person.other_names.all())
    return pick_name(person.name, variants, language)


def other_spellings(person, language=None):
    """(name, language code or "") of every spelling of `person`'s name but the one a page in
    `language` shows, the English one first: what the person page lists as "also written"."""
    shown_name = person_name(person, language)
    spellings = [(person.name, DEFAULT)]
    spellings += [(other.name, other.language) for other in person.other_names.all()]
    return [(name, code) for name, code in spellings if name != shown_name]
