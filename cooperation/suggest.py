"""Choosing a filter's record by its name: the suggestions behind the event list's
autocomplete, and names typed into the filter form without a script.

The list's addresses carry slugs (and country codes): they are what links and the event
index understand. A visitor knows names. Both meet here:

- `/events/suggest/<filter>/?q=…` answers JSON suggestions for the autocomplete
  (templates/includes/filter_form.html, cooperation/static/cooperation/combobox.js);
- `resolve_names(request)`, called first by the event list, turns a name typed in place of
  a slug into that slug (a redirect), lists the records a name could mean (400), says when
  it names none (400), and drops empty parameters from the address (a redirect).

Names match as search matches them (cooperation/languages.py `fold`): in any language a
record is kept in, any script and spelling (a person's other names, PersonName), case and
accents aside. Only records a published visit involves through that filter are offered:
the event index's counts say which (`eventindex.having_visits`), so neither a draft nor a
record seen only by drafts is ever named.

Cost: one query reads the names of a kind's records that have visits (a primary-key probe
of the index's counts per record), the people's other names one more; a process keeps
what it read until the registry's version moves (`candidates_of`), so a keystroke costs
the version's read and a pass over names in memory. The number of records grows with the
reference data, not with the visits (the synthetic archive's world is the same at a
thousand and at a million visits); each answer is also cached as any public page is
(cooperation/caching.py).
"""

import functools
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.validators import validate_slug
from django.forms import ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries

from . import eventindex, registry_version
from .languages import codes, column, current, fold, pick_name, shown
from .models import (
    CooperationProgram,
    Delegation,
    EventTermCount,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Topic,
)

# Suggestions returned at most; choices listed at most when a typed name is ambiguous.
LIMIT = 10
# Longer than any name a record holds (255) is no name: a malformed query.
MAX_QUERY = 255


@dataclass(frozen=True)
class Kind:
    model: type
    fields: tuple  # its translated name fields, read in every language
    published_only: bool = False  # a programme is a draft or published

    def records(self):
        records = self.model.objects.all()
        return records.published() if self.published_only else records


# The filters that name a record, with how its name is read.
RECORDS = {
    "program": Kind(CooperationProgram, ("title",), published_only=True),
    "instrument": Kind(CooperationProgram, ("title",), published_only=True),
    "organization": Kind(Organization, ("name", "short_name")),
    "person": Kind(Person, ()),
    "place": Kind(Place, ("name",)),
    "topic": Kind(Topic, ("name",)),
    "occasion": Kind(Occasion, ("name",)),
}
COUNTRIES = ("country", "from_country", "to_country")
FILTERS = (*RECORDS, *COUNTRIES)


@dataclass
class Candidate:
    value: str  # the slug or country code the address carries
    label: str  # the name as the page's language shows it
    lang: str  # the label's language
    names: tuple  # every name it is known by, folded


def record_candidates(name):
    """Every record the filter `name` may name that a published visit involves through it."""
    kind = RECORDS[name]
    records = eventindex.having_visits(kind.records(), name).order_by()
    if kind.model is Person:
        rows = list(records.values_list("pk", "slug", "name"))
        # Every other spelling, read whole rather than asked for these people: a second
        # probe of the counts per person would cost more than the rows of people with none.
        others = {}
        spellings = PersonName.objects.order_by("pk").values_list(
            "person_id", "name", "language", "script"
        )
        for person, other, language, script in spellings:
            others.setdefault(person, []).append((other, language, script))
        candidates = []
        for pk, slug, english in rows:
            other_names = others.get(pk, [])
            label = pick_name(english, other_names)
            lang = "en" if label == english else current()
            names = (english, *(other for other, _language, _script in other_names))
            candidates.append(Candidate(slug, label, lang, tuple(map(fold, names))))
        return candidates
    columns = [column(field, language) for field in kind.fields for language in codes()]
    candidates = []
    # Plain rows: a kind may hold thousands of records, each read on every keystroke that
    # misses the page cache.
    for row in records.values("slug", *columns):
        label, lang = shown(SimpleNamespace(**row), kind.fields[0])
        names = (row[name] for name in columns)
        candidates.append(Candidate(row["slug"], label, lang, tuple(fold(n) for n in names if n)))
    return candidates


@functools.lru_cache(maxsize=8)
def _country_names(language):
    """(code, name in `language`, every language's name folded) of every country."""
    names = {}
    for every in codes():
        with translation.override(every):
            for code, country_name in countries:
                names.setdefault(code, []).append(fold(str(country_name)))
    with translation.override(language):
        return tuple(
            (code, str(country_name), tuple(dict.fromkeys(names[code])))
            for code, country_name in countries
        )


def country_candidates(name=None):
    """Every country, or (with a filter `name`) those a published visit involves through it."""
    language = current()
    every = [
        Candidate(code, label, language, names) for code, label, names in _country_names(language)
    ]
    if name is None:
        return every
    prefix = eventindex.PREFIXES[name]
    used = EventTermCount.objects.filter(term__startswith=f"{prefix}:", events__gt=0)
    codes_used = {term.split(":", 1)[1] for term in used.values_list("term", flat=True)}
    return [candidate for candidate in every if candidate.value in codes_used]


# The names a process has read, per filter and language (cooperation/registry_version.py).
_candidates = registry_version.KeptPerVersion()


def candidates_of(name):
    """The candidates of filter `name` in the page's language, read once per version."""
    return _candidates.get(
        (name, current()),
        lambda: record_candidates(name) if name in RECORDS else country_candidates(name),
    )


def rank(names, query):
    """How well a folded query matches one of `names`: 0 the whole name, 1 its start, 2 the
    start of a word, 3 anywhere; None not at all."""
    best = None
    for known in names:
        if known == query:
            return 0
        if known.startswith(query):
            score = 1
        elif f" {query}" in f" {known}".replace("-", " ").replace("(", " "):
            score = 2
        elif query in known:
            score = 3
        else:
            continue
        best = score if best is None else min(best, score)
    return best


def matching(candidates, text):
    """[(rank, candidate)] of the candidates whose names match `text`, best first."""
    query = " ".join(fold(text).split())
    if not query:
        return []
    found = []
    for candidate in candidates:
        score = rank(candidate.names, query)
        if score is not None:
            found.append((score, candidate))
    found.sort(key=lambda pair: (pair[0], fold(pair[1].label), pair[1].value))
    return found


def check_query(text):
    """The query, or ValidationError when it is none a person could have typed."""
    if len(text) > MAX_QUERY or any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValidationError("malformed")
    return text


def suggest(request, name):
    """JSON suggestions for the autocomplete of the filter `name`: at most LIMIT public
    records whose names match `q`, whole names and beginnings first."""
    if name not in FILTERS:
        raise Http404("No such filter.")
    text = request.GET.get("q", "")
    try:
        check_query(text)
    except ValidationError:
        return HttpResponseBadRequest(
            _("The text to look for is too long or holds control characters."),
            content_type="text/plain; charset=utf-8",
        )
    results = []
    if text.strip():
        for _score, candidate in matching(candidates_of(name), text)[:LIMIT]:
            results.append(
                {"value": candidate.value, "label": candidate.label, "lang": candidate.lang}
            )
    return JsonResponse({"filter": name, "q": text, "results": results})


# --- Names typed without the autocomplete -------------------------------------------------


def is_identifier(request, name, value):
    """Whether `value` is what the address of filter `name` carries (a slug or a country
    code), so that the filter itself reads it."""
    if name in COUNTRIES:
        return len(value) == 2 and value.upper() in countries
    try:
        validate_slug(value)
    except ValidationError:
        return False
    # A single word ("Interpol") is a name unless it is the slug of a record the filter
    # accepts (cooperation/filters.py). The record read here is handed to the filter
    # (`request.named_records`), which would otherwise read it again.
    from .filters import EventFilter

    record = EventFilter.base_filters[name].extra["public"]().filter(slug=value).first()
    if record is None:
        return False
    request.named_records[name] = record
    return True


def resolve(name, value):
    """The slug or code that `value`, a name typed for filter `name`, stands for; or
    (None, [candidates it could mean])."""
    # The country filters accept any country: a name resolves among them all.
    candidates = country_candidates() if name in COUNTRIES else candidates_of(name)
    found = matching(candidates, value)
    whole = [candidate for score, candidate in found if score == 0]
    if len(whole) == 1:
        return whole[0].value, []
    if whole:
        return None, whole
    if len(found) == 1:
        return found[0][1].value, []
    return None, [candidate for _score, candidate in found]


def resolve_names(request):
    """A response when the event list's address must change before it is read: None when
    it is fine as it is.

    Empty parameters are dropped and names replaced by their slugs (302 to the cleaned
    address); a name that matches several records, or none, answers 400 with the form,
    its error and links to the records it could mean.
    """
    from .filters import EventFilter

    query = request.GET.copy()
    changed = False
    request.named_records = {}
    for key in list(query):
        if key not in EventFilter.base_filters and key != "page":
            continue  # not read by the list: left as it is
        kept = [value for value in query.getlist(key) if value.strip()]
        if len(kept) != len(query.getlist(key)):
            changed = True
            if kept:
                query.setlist(key, kept)
            else:
                del query[key]
    problems = {}
    for name in FILTERS:
        value = query.get(name)
        if value is None:
            continue
        value = value.strip()
        if len(value) > MAX_QUERY or is_identifier(request, name, value):
            continue  # the filter reads it, and says what is wrong with it
        slug, choices = resolve(name, value)
        if slug is not None:
            query[name] = slug
            changed = True
        else:
            problems[name] = choices
    if problems:
        return not_understood(request, query, problems)
    if changed:
        encoded = query.urlencode()
        return HttpResponseRedirect(f"{request.path}?{encoded}" if encoded else request.path)
    return None


def not_understood(request, query, problems):
    """The list's form (400) saying, for each name that named no single record, which
    records it could mean, each a link to the list with its slug in place."""
    from .filters import EventFilter  # the filters declare the form this page shows

    filterset = EventFilter(
        query, queryset=Delegation.objects.published().with_listing(), request=request
    )
    form = filterset.form
    form.is_valid()
    for name, choices in problems.items():
        typed = query[name]
        if choices:
            message = _("“%(name)s” could name more than one record: choose one below.")
        else:
            message = _("No record with events is named “%(name)s”.")
        form.errors[name] = form.error_class([message % {"name": typed[:100]}])
        links = []
        for candidate in choices[:LIMIT]:
            chosen = query.copy()
            chosen[name] = candidate.value
            chosen.pop("page", None)
            links.append(
                {"label": candidate.label, "lang": candidate.lang, "url": f"?{chosen.urlencode()}"}
            )
        form.fields[name].name_choices = links
        form.fields[name].more_choices = max(len(choices) - LIMIT, 0)
    context = {"filter": filterset, "form": form, "page_error": None}
    return render(request, "cooperation/event_list.html", context, status=400)
