"""No input of any kind produces a 500 (docs/architecture.md): property-based tests.

Arbitrary text, very long values, NUL and control characters, unusual Unicode, repeated
and array-style parameters are thrown at every public URL and at each admin add form.
Each answer must be the documented one: 200 for a listing that was understood, 400 for a
filter value that was not, 404 for an unknown record or a page past the end; in the admin,
a form with errors (200) or a saved record (302).
"""

import datetime as dt
import os
import re
from urllib.parse import quote

import pytest
from django import forms
from django_countries import countries
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cooperation.models import (
    DelegationMember,
    Person,
    Place,
    SiteVisit,
    Topic,
    Workshop,
)
from cooperation.records import derived

# FUZZ_EXAMPLES=500 make test-sqlite explores further by hand; the default keeps `make test`
# within its time.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # CI draws the same examples on every run, so its verdict is reproducible; elsewhere
    # each run explores new ones.
    derandomize=os.environ.get("CI") == "true",
    # A failure is reported as found: shrinking a page's worth of fields takes minutes.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Whole admin forms and pages of records: each example costs several requests.
FEW = settings(FUZZ, max_examples=max(4, EXAMPLES // 3))

# --- Values ---------------------------------------------------------------------------

ODD_CHARACTERS = (
    "\x00",  # NUL: PostgreSQL refuses it in any string literal
    "\x01\x07\x08\x1b\x7f",
    "\t\r\n\x0b\x0c",
    "\u200f\u200e\u202e\u2066",  # RTL/LTR marks and overrides
    "e\u0301\u0308\u20dd",  # combining marks
    "\U0001f600\U0001f1e6\U0001f1ff\u200d",  # emoji, flag letters, zero-width joiner
    "２０２３",  # full-width digits
    "٢٠٢٣",  # Arabic-Indic digits
    "\ufeff\u00a0\u3000",  # BOM, no-break and ideographic spaces
    "%00%zz&=?#/\\'\";--",
    "\U0010fffd\ufffd\uffff",
)

odd_text = st.lists(
    st.one_of(st.sampled_from(ODD_CHARACTERS), st.text(max_size=8)), max_size=6
).map("".join)
# Surrogates cannot travel in a URL or a form; every other code point may.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
long_text = st.builds(
    lambda char, n: char * n,
    st.sampled_from(["a", "1", "\x00", "é", "\U0001f600", "-"]),
    st.integers(10_000, 12_000),
)
junk = st.one_of(any_text, odd_text, long_text)

PUBLIC_SLUGS = {
    "program": ["program-2021-2023"],
    "organization": ["ru-pgo", "az-pgo"],
    "person": ["igor-krasnov"],
    "topic": ["asset-recovery"],
    "place": ["baku", "museum"],
}
# Records that exist but take part in no published visit: unknown to the public.
HIDDEN_SLUGS = ["draft-visit", "hidden-person", "hidden-topic", "nowhere"]
VISIT_TYPES = ["working", "official", "study", "conference"]
SORTS = ["date", "-date", "title", "relevance"]
ALPHA2 = {code for code, _name in countries}

known_slug = st.sampled_from(sorted({s for slugs in PUBLIC_SLUGS.values() for s in slugs}))
slug_like = st.from_regex(r"[-a-zA-Z0-9_]{1,30}", fullmatch=True)

VALID = {
    "q": st.sampled_from(["", "visit", "Baku", "Краснов", "asset recovery", "a" * 200]),
    "program": st.sampled_from(["", *PUBLIC_SLUGS["program"]]),
    "organization": st.sampled_from(["", *PUBLIC_SLUGS["organization"]]),
    "country": st.sampled_from(["", "az", "RU", " Az ", "at", "FR"]),
    "person": st.sampled_from(["", *PUBLIC_SLUGS["person"]]),
    "topic": st.sampled_from(["", *PUBLIC_SLUGS["topic"]]),
    "place": st.sampled_from(["", *PUBLIC_SLUGS["place"]]),
    "visit_type": st.sampled_from(["", *VISIT_TYPES]),
    "year": st.one_of(st.just(""), st.integers(1900, 2200).map(str)),
    "date_from": st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(dt.date.isoformat),
    "date_to": st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(dt.date.isoformat),
    "sort": st.sampled_from(["", *SORTS]),
}
FILTERS = tuple(VALID)


def value_for(name):
    """Anything at all for the parameter `name`, weighted towards what it expects."""
    near = {
        "year": st.integers(-(10**30), 10**30).map(str),
        "date_from": st.sampled_from(["2023-13-45", "2023-02-30", "0000-01-01", "9999-12-31"]),
        "date_to": st.sampled_from(["2023-12-15", "10000-01-01", "2023-12-15T00:00"]),
        "country": st.sampled_from(["AZE", "031", "Azerbaijan", "ZZ", "a\x00"]),
        "sort": st.sampled_from(["-title", "DATE", "date ", "relevance\x00"]),
        "visit_type": st.sampled_from(["Working", " working", "visit"]),
    }.get(name, st.one_of(slug_like, st.sampled_from(HIDDEN_SLUGS), known_slug))
    return st.one_of(VALID[name], near, junk)


# --- What each answer should be -------------------------------------------------------

OK, BAD, EITHER = {200}, {400}, {200, 400}


def expected_filter(name, value):
    """The statuses docs/architecture.md allows for `name=value` alone on /events/."""
    if "\x00" in value:
        return BAD
    stripped = value.strip()
    if not stripped and value.strip(" \t\r\n") and name not in ("q", *PUBLIC_SLUGS):
        # Only Unicode's other blanks (\x1c, U+2028…): read as empty or refused.
        return EITHER
    if name == "q":
        return OK if len(stripped) <= 200 else BAD
    if name in PUBLIC_SLUGS:
        return OK if value == "" or value in PUBLIC_SLUGS[name] else BAD
    if name == "country":
        return OK if not stripped or stripped.upper() in ALPHA2 else BAD
    if name == "visit_type":
        return OK if value in ("", *VISIT_TYPES) else BAD
    if name == "sort":
        return OK if value in ("", *SORTS) else BAD
    if name == "year":
        if value == "":
            return OK
        try:
            year = int(re.sub(r"\.0*\s*$", "", value))
        except ValueError:
            return BAD
        return OK if 1900 <= year <= 2200 else BAD
    # date_from, date_to: ISO dates are documented; other spellings may be accepted too.
    if not stripped:
        return OK
    try:
        dt.date.fromisoformat(stripped)
    except ValueError:
        return BAD if not any(c.isdigit() for c in stripped) else EITHER
    return OK


def expected_page(value, pages=1):
    """The status for `page=value` on a list of `pages` pages."""
    raw = value.strip() or "1"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        return BAD
    return OK if int(raw) <= pages else {404}


def expected_listing(params):
    """The statuses allowed for /events/ with `params` (name -> list of values)."""
    # Repeated parameters: a form reads the last value of each.
    last = {name: values[-1] for name, values in params.items() if values}
    allowed = OK
    for name in FILTERS:
        if name in last:
            allowed = combine(allowed, expected_filter(name, last[name]))
    if allowed != BAD and "date_from" in last and "date_to" in last:
        try:
            start = dt.date.fromisoformat(last["date_from"].strip())
            end = dt.date.fromisoformat(last["date_to"].strip())
        except ValueError:
            pass
        else:
            if end < start:
                allowed = BAD
    if "page" in last and allowed != BAD:
        page = expected_page(last["page"])
        if page == {404}:
            # Past the end of a list that was understood; an empty list has one page too.
            allowed = {404} if allowed == OK else {400, 404}
        else:
            allowed = combine(allowed, page)
    return allowed


def on_the_list(params, allowed):
    """What /events/ may answer for `params` (name -> list of values), given `allowed`, what
    its filters say of them: it first drops the empty parameters it reads, and resolves a
    name typed for a record or a country to its slug or code (cooperation/suggest.py), each
    a 302 to the settled address, unless a name matches several records or none (400)."""
    for name, values in params.items():
        if name not in (*FILTERS, "page"):
            continue
        if any(not value.strip() for value in values):
            # Dropping the empty ones may leave a value that answers for itself: a name
            # repeated beside an empty one and matching no record is a 400, not a redirect.
            rest = {n: [v for v in vs if v.strip()] for n, vs in params.items()}
            rest = {n: vs for n, vs in rest.items() if vs}
            return allowed | {302} | on_the_list(rest, expected_listing(rest))
        named = name in PUBLIC_SLUGS or name == "country"
        if named and values[-1].strip() not in PUBLIC_SLUGS.get(name, ()):
            allowed = allowed | {302}
    return allowed


def settled(client, response):
    """A redirect of the list goes to the list, which reads the settled address as it is."""
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith("/events/"), location
        assert client.get(location).status_code in {200, 400, 404}, location


def combine(first, second):
    """Statuses for two parameters together: any one not understood makes a 400."""
    if first == BAD or second == BAD:
        return BAD
    if first == OK and second == OK:
        return OK
    return EITHER


def read(response):
    """The whole body, streamed or not: an error inside a stream must surface here."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- Records --------------------------------------------------------------------------


@pytest.fixture
def records(world, make_event):
    """The world's published visit with a person and a topic, plus records of no public
    page (a person and a topic of the draft only, a place of no visit)."""
    w = world
    w.krasnov = Person.objects.create(name="Igor Krasnov", slug="igor-krasnov")
    DelegationMember.objects.create(delegation=w.published, person=w.krasnov, is_head=True)
    hidden = Person.objects.create(name="Hidden Person", slug="hidden-person")
    DelegationMember.objects.create(delegation=w.draft, person=hidden)
    assets = Topic.objects.create(name="Asset recovery", slug="asset-recovery")
    Workshop.objects.create(delegation=w.published, slug="ws", title="Seminar").topics.add(assets)
    secret = Topic.objects.create(name="Hidden topic", slug="hidden-topic")
    Workshop.objects.create(delegation=w.draft, slug="ws", title="Draft seminar").topics.add(secret)
    w.museum = Place.objects.create(name="Museum", slug="museum", country="AZ", parent=w.baku)
    Place.objects.create(name="Nowhere", slug="nowhere", country="AZ")
    SiteVisit.objects.create(delegation=w.published, slug="tour", title="Tour", place=w.museum)
    derived.rebuild_all()
    return w


# --- The event list and its exports ---------------------------------------------------


def test_records_answer_the_documented_statuses(client, records):
    # The oracle itself, on values whose answer is certain.
    assert client.get("/events/", {"person": "igor-krasnov"}).status_code == 200
    assert client.get("/events/", {"topic": "asset-recovery"}).status_code == 200
    assert client.get("/events/", {"person": "hidden-person"}).status_code == 400
    assert client.get("/events/", {"q": "\x00"}).status_code == 400
    assert client.get("/people/igor-krasnov/").status_code == 200
    assert client.get("/people/hidden-person/").status_code == 404
    assert client.get("/topics/hidden-topic/").status_code == 404
    assert client.get("/places/museum/").status_code == 200


@pytest.mark.parametrize("name", FILTERS)
@FUZZ
@given(data=st.data())
def test_each_filter_answers_200_or_400_never_500(client, records, name, data):
    value = data.draw(value_for(name), label=name)
    allowed = on_the_list({name: [value]}, expected_filter(name, value))
    response = client.get("/events/", {name: value})
    assert response.status_code in allowed, (name, value[:200], response.status_code)
    read(response)
    settled(client, response)


@FEW
@given(
    params=st.dictionaries(
        st.sampled_from((*FILTERS, "page")),
        st.lists(
            st.one_of(*(value_for(n) for n in FILTERS), VALID["year"]), min_size=1, max_size=3
        ),
        max_size=5,
    ),
    extra=st.dictionaries(st.text(min_size=1, max_size=12), junk, max_size=3),
)
# A name matching no record, repeated beside an empty value: the empty one is dropped and
# the name answers 400.
@example(params={"program": ["2068-04-09", ""]}, extra={})
def test_combined_repeated_and_unknown_parameters(client, records, params, extra):
    # Names the list does not know (`year[]`, anything else) are ignored.
    extra = {k: v for k, v in extra.items() if k not in (*FILTERS, "page")}
    extra.setdefault("year[]", "1")
    allowed = on_the_list(params, expected_listing(params))
    response = client.get("/events/", {**params, **extra})
    assert response.status_code in allowed, (params, response.status_code)
    read(response)
    settled(client, response)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
@FEW
@given(params=st.fixed_dictionaries({}, optional={n: value_for(n) for n in FILTERS}))
def test_exports_answer_200_or_400_never_500(client, records, fmt, params):
    allowed = expected_listing({name: [value] for name, value in params.items()})
    response = client.get(f"/events/export.{fmt}", params)
    assert response.status_code in allowed, (params, response.status_code)
    body = read(response)
    if response.status_code == 200 and fmt == "json":
        assert body.startswith(b'{"events": [')


@pytest.mark.parametrize("path", ["/events/", "/programs/", "/people/igor-krasnov/"])
@FEW
@given(page=st.one_of(st.integers(-5, 10**12).map(str), junk))
def test_page_numbers(client, records, path, page):
    allowed = expected_page(page)
    if path == "/events/" and not page.strip():
        allowed = {302}  # an empty parameter leaves the list's address (suggest.py)
    response = client.get(path, {"page": page})
    assert response.status_code in allowed, (page[:200], response.status_code)


# --- Pages without filters ------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/feeds/events.atom", "/robots.txt", "/events/published-visit/calendar.ics"]
)
@FEW
@given(params=st.dictionaries(st.text(max_size=12), junk, max_size=3))
def test_pages_ignore_parameters_they_do_not_read(client, records, path, params):
    params.pop("page", None)
    response = client.get(path, params)
    assert response.status_code == 200, (params, response.status_code)
    read(response)


@FEW
@given(p=st.one_of(st.just("1"), junk))
def test_sitemap_pages(client, records, p):
    # A section's page number is written as the index writes it (cooperation/sitemaps.py):
    # anything else is no section.
    response = client.get("/sitemap-pages.xml", {"p": p})
    assert response.status_code == (200 if p == "1" else 404), (p[:200], response.status_code)


# --- Records named in the path --------------------------------------------------------

DETAIL_PATHS = {
    "/events/{}/": ["published-visit"],
    "/events/{}/calendar.ics": ["published-visit"],
    "/programs/{}/": PUBLIC_SLUGS["program"],
    "/organizations/{}/": PUBLIC_SLUGS["organization"],
    "/people/{}/": PUBLIC_SLUGS["person"],
    "/topics/{}/": PUBLIC_SLUGS["topic"],
    "/places/{}/": PUBLIC_SLUGS["place"],
}


@pytest.mark.parametrize("pattern", DETAIL_PATHS)
@FUZZ
@given(segment=st.one_of(junk, slug_like, st.sampled_from(HIDDEN_SLUGS), known_slug))
def test_unknown_records_are_404(client, records, pattern, segment):
    path = pattern.format(quote(segment, safe=""))
    response = client.get(path)
    allowed = {200} if segment in DETAIL_PATHS[pattern] else {404}
    assert response.status_code in allowed, (path[:200], response.status_code)
    read(response)


# --- Admin add forms ------------------------------------------------------------------


def admin_add_urls():
    from django.contrib import admin

    return sorted(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/"
        for model in admin.site._registry
        # django-axes' sign-in log is written by axes alone, and a change waiting for review
        # by the write path alone: neither has an add form.
        if model._meta.app_label != "axes" and model._meta.model_name != "revision"
    )


def fuzzed_fields(form, draw, index=None):
    """Arbitrary text in every field of `form` (an inline's form numbered `index`)."""
    data = {}
    for name, field in form.fields.items():
        if name in ("id", "DELETE") or isinstance(field.widget, forms.HiddenInput):
            continue
        html_name = form.add_prefix(name)
        if index is not None:
            html_name = html_name.replace("__prefix__", str(index))
        widget = getattr(field.widget, "widget", field.widget)  # under the admin's wrapper
        if isinstance(widget, forms.MultiWidget):
            for part in range(len(widget.widgets)):
                data[f"{html_name}_{part}"] = draw(junk, label=f"{html_name}_{part}")
        elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[html_name] = draw(st.lists(junk, max_size=2), label=html_name)
        else:
            data[html_name] = draw(junk, label=html_name)
    return data


@pytest.mark.parametrize("url", admin_add_urls())
@FEW
@given(data=st.data())
def test_admin_add_forms_refuse_or_save_anything(admin_client, records, url, data):
    page = admin_client.get(url)
    assert page.status_code == 200
    post = fuzzed_fields(page.context["adminform"].form, data.draw)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        # One new inline row, fuzzed like the rest.
        post.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": "1",
                f"{formset.prefix}-INITIAL_FORMS": "0",
                f"{formset.prefix}-MIN_NUM_FORMS": "0",
                f"{formset.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        post.update(fuzzed_fields(formset.empty_form, data.draw, index=0))
    response = admin_client.post(url, post)
    assert response.status_code in (200, 302), response.status_code
