"""The interface in Azerbaijani and Russian: every page type, the admin's pages and the
error pages answer under /az/ and /ru/ in that language, with no English word of the
interface left; the catalogues translate every message; the language switcher keeps the
page and its filters; the language comes from the address alone.

"No English left" is checked against the project's own catalogue: the English words of its
messages (msgids), less the words the translation itself uses (AZ, CSV, Seminar…), are
looked for in each page's visible text. Records are not the interface: text inside an
element whose `lang` is another language (the language switcher's names, a source's title,
a record shown in English for want of a translation) is skipped, and so is every text the
database holds (a record's title, summary, names) wherever it appears whole.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.utils import translation

from cooperation import caching
from cooperation.models import CooperationProgram, Delegation, Organization
from tests.browser.pages import EVENT_URL, PAGES, PROGRAM_URL
from tests.sitemap_reader import Sitemap

LANGUAGES = ("az", "ru")
LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = {language: LOCALE / language / "LC_MESSAGES" / "django.po" for language in LANGUAGES}
# django-countries and django-simple-history have no Azerbaijani catalogue; the project
# keeps one for them (settings.LOCALE_PATHS).
LIBRARY_CATALOGUE = LOCALE / "libraries" / "az" / "LC_MESSAGES" / "django.po"
PLURAL_FORMS = {"az": 2, "ru": 3}


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # The test client runs in this thread, and LocaleMiddleware leaves the language of the
    # last request active: other tests' messages must not come out in Russian.
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- The catalogues -----------------------------------------------------------------------


def read_catalogue(path):
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list), fuzzy."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": []}
        entry["fuzzy"] = any(
            line.startswith("#,") and "fuzzy" in line for line in block.splitlines()
        )
        field = None
        for line in block.splitlines():
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                field, text = match.group(1), ast.literal_eval(match.group(2))
            elif line.startswith('"') and field:
                text = ast.literal_eval(line)
            else:
                continue
            if field.startswith("msgstr"):
                if match:
                    entry["msgstr"].append(text)
                else:
                    entry["msgstr"][-1] += text
            else:
                entry[field] = (entry[field] or "") + text if not match else text
        if entry["msgid"] is not None:
            entries.append(entry)
    header, *messages = entries
    assert header["msgid"] == "", f"{path} starts with no header"
    return header, messages


def coverage(path):
    """(translated, total): a message counts as translated when it is not fuzzy and every
    one of its forms is filled in."""
    _, messages = read_catalogue(path)
    translated = sum(1 for m in messages if not m["fuzzy"] and m["msgstr"] and all(m["msgstr"]))
    return translated, len(messages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_interface_is_translated(language, capsys):
    path = CATALOGUES[language]
    header, messages = read_catalogue(path)
    assert not header["fuzzy"], f"{path}: the header is marked fuzzy"
    assert f"Language: {language}\n" in header["msgstr"][0]
    plural_forms = re.search(r"Plural-Forms: nplurals=(\d+);", header["msgstr"][0])
    assert plural_forms and int(plural_forms.group(1)) == PLURAL_FORMS[language]
    problems = []
    for message in messages:
        name = repr(message["msgid"][:60])
        if message["fuzzy"]:
            problems.append(f"fuzzy: {name}")
        forms = PLURAL_FORMS[language] if message["msgid_plural"] else 1
        if len(message["msgstr"]) != forms:
            problems.append(f"{len(message['msgstr'])} forms instead of {forms}: {name}")
        if not all(message["msgstr"]):
            problems.append(f"untranslated: {name}")
        wanted = sorted(set(re.findall(r"%\(\w+\)s", message["msgid"])))
        for text in message["msgstr"]:
            if sorted(set(re.findall(r"%\(\w+\)s", text))) != wanted:
                problems.append(f"placeholders differ: {name}")
    translated, total = coverage(path)
    with capsys.disabled():
        print(f"\n{language}: {translated}/{total} messages translated ({translated / total:.0%})")
    assert not problems, "\n".join(problems)
    assert translated == total > 200


def test_every_country_has_an_azerbaijani_name():
    from django_countries import countries

    _, messages = read_catalogue(LIBRARY_CATALOGUE)
    named = {m["msgid"] for m in messages if m["msgstr"] and all(m["msgstr"])}
    with translation.override("en"):
        english = {str(name) for _, name in countries}
    assert english <= named, sorted(english - named)
    with translation.override("az"):
        assert countries.name("AZ") == "Azərbaycan"
        assert countries.name("RU") == "Rusiya"


# --- What a page says -----------------------------------------------------------------------

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
URL = re.compile(r"\b(?:https?://|/)[^\s\"'<>]*")
PLACEHOLDER = re.compile(r"%\(\w+\)s|<[^>]+>")


def words(text):
    """The words of `text`, in lower case; single letters ("e.g.") are no words here."""
    found = WORD.findall(PLACEHOLDER.sub(" ", text))
    return {word.lower() for word in found if len(word) > 1}


def english_words(language):
    """The words of the interface's English messages that its `language` translation does
    not also use."""
    english, translated = set(), set()
    for path in (CATALOGUES[language], LIBRARY_CATALOGUE):
        _, messages = read_catalogue(path)
        for message in messages:
            english |= words(message["msgid"]) | words(message["msgid_plural"] or "")
            if path == CATALOGUES[language] or language == "az":
                translated |= words(" ".join(message["msgstr"]))
    return english - translated


class VisibleText(HTMLParser):
    """A page's text as a reader meets it, piece by piece, leaving out what is marked as
    another language than the page's (and scripts, styles)."""

    SKIPPED = {"script", "style", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    SHOWN_ATTRIBUTES = ("aria-label", "placeholder", "alt", "title")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page_language = None
        self.stack = []  # (tag, hidden)
        self.pieces = []

    @property
    def hidden(self):
        return bool(self.stack and self.stack[-1][1])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.page_language = attrs.get("lang")
        lang = attrs.get("lang")
        hidden = (
            self.hidden
            or tag in self.SKIPPED
            or (lang is not None and tag != "html" and lang != self.page_language)
        )
        if not hidden:
            for name in self.SHOWN_ATTRIBUTES:
                if attrs.get(name):
                    self.pieces.append(attrs[name])
            if tag == "meta" and attrs.get("name") == "description":
                self.pieces.append(attrs.get("content") or "")
            if tag == "input" and attrs.get("type") in {"submit", "button"}:
                self.pieces.append(attrs.get("value") or "")
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.pieces.append(data)


def record_texts():
    """Every text the registry's records hold, in every language, line by line, and every
    record as it names itself: what a page may show that is not the interface."""
    from django.apps import apps
    from django.contrib.admin.models import LogEntry

    texts = set()
    record_models = [
        *apps.get_app_config("cooperation").get_models(),
        # The change history: its reasons ("Imported from fixture …") are kept as written.
        *apps.get_app_config("cooperation_history").get_models(),
    ]
    for model in record_models:
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        for row in model._base_manager.values_list(*fields):
            for value in row:
                texts.update(line.strip() for line in str(value or "").splitlines())
        for record in model._base_manager.all():
            texts.add(str(record))
    texts.update(LogEntry.objects.values_list("object_repr", flat=True))
    return sorted({" ".join(t.lower().split()) for t in texts if len(t.strip()) > 1}, key=len)[::-1]


def leftover_english(html, language, records):
    """Each piece of the page's interface text with the English words it still has."""
    parser = VisibleText()
    parser.feed(html)
    assert parser.page_language == language, f'<html lang="{parser.page_language}">'
    vocabulary = english_words(language)
    # Whole texts only: a record "az" (a language code) takes nothing out of "daha az".
    record_text = re.compile(
        r"(?<!\w)(?:" + "|".join(map(re.escape, records)) + r")(?!\w)" if records else r"(?!)"
    )
    found = []
    for piece in parser.pieces:
        text = " ".join(piece.lower().split())
        if text.endswith("…") and any(r.startswith(text[:-1].strip()) for r in records):
            continue  # a record's text, cut short (`truncatewords`)
        text = record_text.sub(" ", URL.sub(" ", text))
        english = sorted(words(text) & vocabulary)
        if english:
            found.append(f"{', '.join(english)}  ←  {' '.join(piece.split())[:120]!r}")
    return found


def test_the_check_finds_english_left_on_a_page(db):
    page = (
        '<html lang="az"><head><title>Tədbirlər</title></head><body>'
        "<p>Filtrləri tətbiq edin</p><button>Apply filters</button>"
        '<input placeholder="programme identifier">'
        '<p lang="en">Working visit of Russian prosecutors</p></body></html>'
    )
    found = leftover_english(page, "az", records=[])
    assert len(found) == 2, found
    assert found[0].startswith("apply, filters")
    assert found[1].startswith("identifier, programme")


# --- Every page type, in each language -------------------------------------------------------


def localized(url, language):
    return f"/{language}{url}"


def force_login(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker):
    """Per (language, page name): (status, HTML), with the Baku record loaded, and the
    texts the records hold."""
    pages = {}
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", "baku_2023", verbosity=0)
        event = Delegation.objects.get(slug=EVENT_URL.strip("/").split("/")[-1])
        program = CooperationProgram.objects.get(slug=PROGRAM_URL.strip("/").split("/")[-1])
        office = Organization.objects.get(slug="prosecutor-generals-office-azerbaijan")
        admin = get_user_model().objects.create_superuser("editor", password="x" * 20)
        staff_pages = [
            ("admin-index", "/admin/", 200),
            ("admin-event-list", "/admin/cooperation/delegation/", 200),
            ("admin-event", f"/admin/cooperation/delegation/{event.pk}/change/", 200),
            ("admin-program", f"/admin/cooperation/cooperationprogram/{program.pk}/change/", 200),
            ("admin-organization", f"/admin/cooperation/organization/{office.pk}/change/", 200),
            ("admin-event-history", f"/admin/cooperation/delegation/{event.pk}/history/", 200),
        ]
        for language in LANGUAGES:
            client = Client()
            for name, url, _ in PAGES:
                response = client.get(localized(url, language))
                pages[language, name] = (response.status_code, response.content.decode())
            response = client.get(localized("/no-such-page/", language))
            pages[language, "404"] = (response.status_code, response.content.decode())
            staff = force_login(Client(), admin)
            for name, url, _ in staff_pages:
                response = staff.get(localized(url, language))
                pages[language, name] = (response.status_code, response.content.decode())
            sign_in = Client()
            for _ in range(settings.AXES_FAILURE_LIMIT + 1):
                response = sign_in.post(
                    localized("/admin/login/", language),
                    {"username": "editor", "password": "not the password"},
                    REMOTE_ADDR="203.0.113.9",
                )
            pages[language, "lockout"] = (response.status_code, response.content.decode())
        records = record_texts()
        transaction.set_rollback(True)
    translation.activate(settings.LANGUAGE_CODE)
    return pages, records


EVERY_PAGE = [(name, status) for name, _, status in PAGES] + [
    ("404", 404),
    ("admin-index", 200),
    ("admin-event-list", 200),
    ("admin-event", 200),
    ("admin-program", 200),
    ("admin-organization", 200),
    ("admin-event-history", 200),
    ("lockout", 429),
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "status"), EVERY_PAGE, ids=[page[0] for page in EVERY_PAGE])
def test_page_is_in_the_language_of_its_address(rendered, language, name, status):
    pages, records = rendered
    got, html = pages[language, name]
    assert got == status
    assert f'<html lang="{language}"' in html
    found = leftover_english(html, language, records)
    assert not found, f"English left on the {name} page in {language}:\n" + "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_page_for_a_bad_host_is_in_the_language_of_the_address(db, settings, language):
    settings.ALLOWED_HOSTS = ["registry.example"]
    client = Client(raise_request_exception=False)
    response = client.get(f"/{language}/events/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert f'<html lang="{language}"' in response.text
    assert not leftover_english(response.text, language, records=[])


@pytest.mark.parametrize(("language", "heading"), [("az", "Xəta baş verdi"), ("ru", "Что-то")])
def test_server_error_page_is_in_the_language_of_the_address(db, monkeypatch, language, heading):
    def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr("cooperation.views.result_ids", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"/{language}/events/")
    assert response.status_code == 500
    assert f'<html lang="{language}"' in response.text
    assert heading in response.text
    assert f'href="/{language}/"' in response.text
    assert not leftover_english(response.text, language, records=[])


# --- Dates, feeds, search engines ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "date"),
    [("", "15 December 2023"), ("/az", "15 dekabr 2023"), ("/ru", "15 декабря 2023 г.")],
)
def test_dates_are_written_as_each_language_writes_them(client, prefix, date):
    call_command("loaddata", "baku_2023", verbosity=0)
    response = client.get(f"{prefix}{EVENT_URL}")
    assert f'<time datetime="2023-12-15">{date}</time>' in response.text


@pytest.mark.django_db
def test_feed_is_in_the_language_of_its_address(client):
    call_command("loaddata", "baku_2023", verbosity=0)
    response = client.get("/ru/feeds/events.atom")
    assert response.status_code == 200
    assert 'xml:lang="ru"' in response.text
    assert "недавно опубликованные мероприятия" in response.text
    assert "http://testserver/ru/events/" in response.text


@pytest.mark.django_db
def test_sitemap_lists_every_page_in_every_language_with_alternates(client):
    call_command("loaddata", "baku_2023", verbosity=0)
    text = Sitemap(client).text
    for prefix in ("", "/az", "/ru"):
        assert f"<loc>http://testserver{prefix}{EVENT_URL}</loc>" in text
    for language in ("en", "az", "ru"):
        prefix = "" if language == "en" else f"/{language}"
        assert (
            f'<xhtml:link rel="alternate" hreflang="{language}" '
            f'href="http://testserver{prefix}{EVENT_URL}"/>'
        ) in text
    assert f'hreflang="x-default" href="http://testserver{EVENT_URL}"' in text


def test_robots_keep_crawlers_out_of_the_admin_in_every_language(client, db):
    text = client.get("/robots.txt").text
    for prefix in ("/admin/", "/az/admin/", "/ru/admin/"):
        assert f"Disallow: {prefix}\n" in text


# --- The language switcher and alternates -------------------------------------------------------


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.switcher = []  # (href, hreflang, lang, aria-current)
        self.alternates = {}  # hreflang: href
        self.canonical = None
        self.in_switcher = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "languages" in (attrs.get("class") or ""):
            self.in_switcher = True
        if tag == "a" and self.in_switcher:
            self.switcher.append(
                (attrs["href"], attrs.get("hreflang"), attrs.get("lang"), attrs.get("aria-current"))
            )
        if tag == "link" and attrs.get("rel") == "alternate" and attrs.get("hreflang"):
            self.alternates[attrs["hreflang"]] = attrs["href"]
        if tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_switcher = False


def links_of(response):
    parser = Links()
    parser.feed(response.content.decode())
    return parser


FILTERED = "/events/?topic=asset-recovery&year=2023"


@pytest.mark.django_db
def test_switcher_keeps_the_page_and_its_filters(client):
    call_command("loaddata", "baku_2023", verbosity=0)
    english = links_of(client.get(FILTERED))
    assert english.switcher == [
        (FILTERED, "en", "en", "true"),
        (f"/az{FILTERED}", "az", "az", None),
        (f"/ru{FILTERED}", "ru", "ru", None),
    ]
    azerbaijani = links_of(client.get(f"/az{FILTERED}"))
    assert azerbaijani.switcher == [
        (FILTERED, "en", "en", None),
        (f"/az{FILTERED}", "az", "az", "true"),
        (f"/ru{FILTERED}", "ru", "ru", None),
    ]
    paged = links_of(client.get("/ru/programs/?page=1"))
    assert paged.switcher[0][0] == "/programs/?page=1"


@pytest.mark.django_db
def test_alternates_name_the_page_in_every_language(client):
    call_command("loaddata", "baku_2023", verbosity=0)
    listing = links_of(client.get(f"/ru{FILTERED}"))
    assert listing.alternates == {
        "en": f"http://testserver{FILTERED}",
        "az": f"http://testserver/az{FILTERED}",
        "ru": f"http://testserver/ru{FILTERED}",
        "x-default": f"http://testserver{FILTERED}",
    }
    assert listing.canonical == f"http://testserver/ru{FILTERED}"
    # A record's page names its own address in each language, without a stray query.
    event = links_of(client.get(f"/az{EVENT_URL}?utm_source=feed"))
    assert event.alternates["ru"] == f"http://testserver/ru{EVENT_URL}"
    assert event.alternates["x-default"] == f"http://testserver{EVENT_URL}"
    assert event.canonical == f"http://testserver/az{EVENT_URL}"


@pytest.mark.django_db
def test_switcher_on_a_missing_page_keeps_its_address(client):
    response = client.get("/az/no-such-page/?x=1")
    assert response.status_code == 404
    assert [link[0] for link in links_of(response).switcher] == [
        "/no-such-page/?x=1",
        "/az/no-such-page/?x=1",
        "/ru/no-such-page/?x=1",
    ]


# --- The language comes from the address alone ----------------------------------------------------


@pytest.mark.django_db
def test_english_is_served_unprefixed_whatever_the_browser_asks(client):
    response = client.get(
        "/events/", HTTP_ACCEPT_LANGUAGE="ru,az;q=0.8", HTTP_COOKIE="django_language=az"
    )
    assert '<html lang="en"' in response.text
    assert response["Content-Language"] == "en"
    # It does not vary with Accept-Language, so no cache should keep a copy per language.
    assert "accept-language" not in response.get("Vary", "").lower()
    assert client.get("/en/events/").status_code == 404


@pytest.mark.django_db
def test_page_cache_keeps_each_language_apart(client):
    assert client.get("/events/").status_code == 200
    azerbaijani = client.get("/az/events/")
    assert '<html lang="az"' in azerbaijani.text
    assert azerbaijani["Content-Language"] == "az"
    assert '<html lang="az"' in client.get("/az/events/").text  # now from the cache
    assert '<html lang="en"' in client.get("/events/").text
    assert client.get("/az/events/")["ETag"] != client.get("/events/")["ETag"]


def test_admin_is_kept_out_of_the_page_cache_in_every_language():
    for path in ("/admin/", "/az/admin/cooperation/", "/ru/admin/login/"):
        assert not caching.is_public_path(path), path
    assert caching.is_public_path("/az/events/")
