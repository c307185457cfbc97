"""The event list for other programs: the filtered list as CSV, JSON and a spreadsheet
(.xlsx), and one visit as a calendar file.

Every CSV the registry writes (these exports and the admin's "Export selected as CSV",
`transfer.py`) is written by `csv_lines`, so that it opens safely in a spreadsheet:

- a UTF-8 byte-order mark first: without it Excel on Windows reads the file in the
  computer's legacy code page ("Rusiya BaÅŸ ProkurorluÄŸu");
- every field quoted, so that a comma, a ";" or a line break inside a text stays inside
  its cell;
- no text a spreadsheet could run as a formula (`text_cell`).

The spreadsheet holds the same columns and rows as the CSV, each text a typed string
cell (never a formula) and each date a date. The JSON gives the texts exactly as the
records hold them, and a list wherever a column holds several values.
"""

import contextlib
import csv
import json
import re
import tempfile
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from . import feeds
from .languages import DEFAULT, column, current, in_every_language
from .models import Delegation, Status
from .views import filter_events, result_ids

# An export reads this many events at a time, by id; its first batch is FIRST_BATCH events,
# and each next one twice the last, up to EXPORT_BATCH.
EXPORT_BATCH = 500
FIRST_BATCH = 50
# The ids of the first events, read with a plain LIMIT before any cursor is held.
FIRST_READ = 2_000


def exported_events(ids):
    """Every event of `ids`, in order, a batch at a time, as ExportedVisit rows in the
    active language.

    Outside a transaction, PostgreSQL computes a held cursor's whole result before its
    first row: over the joined rows of 50,000 visits that took 0.35 s. Over ids alone it
    is an index scan, and each batch's rows are then read by key. The batches grow from
    FIRST_BATCH, so a download's first lines wait for a few dozen events' rows rather than
    for 500 (the first 64 kB of a year's CSV at a million visits read and wrote 500).

    Even over ids, the held cursor's result for a year at a million visits (60,000 ids)
    took 8.6 ms before the first row. So the first FIRST_READ ids are read with a plain
    LIMIT, which stops where it is told, and their events sent; only then is the cursor
    held, over every id again, and the ids already sent are passed over. An event
    unpublished or published between the two reads moves the others, which an offset
    would turn into one event sent twice or never: passed over by id, every event still
    comes once.
    """
    language = current()
    batches = _batches(ids[:FIRST_READ], min(FIRST_BATCH, EXPORT_BATCH))
    sent = set()
    for batch in batches:
        sent.update(batch)
        yield from export_batch(batch, language)
    if len(sent) < FIRST_READ:
        return
    rest = (pk for pk in ids.iterator(chunk_size=EXPORT_BATCH * 4) if pk not in sent)
    for batch in _batches(rest, EXPORT_BATCH):
        yield from export_batch(batch, language)


def _batches(ids, size):
    """The ids in lists of `size`, each next one twice the last, up to EXPORT_BATCH; the
    last list may be shorter (or empty)."""
    batch = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == size:
            yield batch
            batch, size = [], min(size * 2, EXPORT_BATCH)
    yield batch


# The text columns, each with the lookup path of its text. A column shows the text in the
# export's language, else in English, as pages do (languages.shown), and `in_english`
# names the columns that fell back.
EXPORTED_TEXTS = {
    "title": "title",
    "sending_organization": "sending_organization__name",
    "host_organization": "host_organization__name",
    "location": "location__name",
    "program": "program__title",
    "summary": "summary",
}
EXPORTED_VALUES = (
    "id",
    "slug",
    "visit_type",
    "start_date",
    "end_date",
    "date_basis",
    "host_absent",
    "sending_organization__country",
    "host_organization_id",
    "host_organization__country",
    "location_id",
    "program_id",
    "program__status",
    *in_every_language(*EXPORTED_TEXTS.values()),
)


@dataclass(slots=True)
class ExportedVisit:
    """One exported visit: what EXPORT_COLUMNS read, taken from plain rows. An export reads
    a million of them: building the visit and the four records it names as model instances
    was most of its time per row."""

    slug: str
    visit_type: str
    start_date: object
    end_date: object
    date_basis: str
    host_absent: str
    sending_country: str | None
    host_country: str | None
    texts: dict  # column -> its text, None where the visit names no such record
    language: str
    in_english: list


def export_batch(ids, language):
    """The published events `ids`, in their order (ExportedVisit)."""
    found = {
        row["id"]: row
        for row in Delegation.objects.published().filter(pk__in=ids).values(*EXPORTED_VALUES)
    }
    return [exported_visit(found[pk], language) for pk in ids if pk in found]


def exported_visit(row, language):
    named = {
        "host_organization": row["host_organization_id"] is not None,
        "location": row["location_id"] is not None,
        # A programme is named only while the public may see it (Delegation.public_program).
        "program": row["program_id"] is not None and row["program__status"] == Status.PUBLISHED,
    }
    texts, in_english = {}, []
    for name, path in EXPORTED_TEXTS.items():
        if not named.get(name, True):
            texts[name] = None
            continue
        text, shown_in = "", None
        for candidate in dict.fromkeys((language, DEFAULT)):
            if row[column(path, candidate)]:
                text, shown_in = row[column(path, candidate)], candidate
                break
        texts[name] = text
        if shown_in not in (None, language):
            in_english.append(name)
    has_host = named["host_organization"]
    return ExportedVisit(
        slug=row["slug"],
        visit_type=row["visit_type"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        date_basis=row["date_basis"],
        host_absent=row["host_absent"],
        sending_country=row["sending_organization__country"] or None,
        host_country=(row["host_organization__country"] or None) if has_host else None,
        texts=texts,
        language=language,
        in_english=in_english,
    )


# Columns of the exports, in order: each gives its value as the record holds it (a date,
# a list, None where there is nothing), and each format writes it in its own way
# (`as_text` for the CSV).
EXPORT_COLUMNS = {
    "slug": lambda e, url: e.slug,
    "title": lambda e, url: e.texts["title"],
    "url": lambda e, url: url(reverse("cooperation:event-detail", args=[e.slug])),
    "visit_type": lambda e, url: e.visit_type,
    "start_date": lambda e, url: e.start_date,
    "end_date": lambda e, url: e.end_date,
    "date_basis": lambda e, url: e.date_basis,
    "sending_organization": lambda e, url: e.texts["sending_organization"],
    "sending_country": lambda e, url: e.sending_country,
    "host_organization": lambda e, url: e.texts["host_organization"],
    "host_country": lambda e, url: e.host_country,
    # Why there is no host ("not_stated", "no_single_host"), when there is none.
    "host_absent": lambda e, url: e.host_absent or None,
    "location": lambda e, url: e.texts["location"],
    "program": lambda e, url: e.texts["program"],
    "summary": lambda e, url: e.texts["summary"],
    # The language of the texts above: the export's, from its address (/az/events/export.csv
    # is in Azerbaijani), except the columns `in_english` names, given in English for want
    # of a translation: a list in the JSON, the names separated by spaces in a cell.
    "language": lambda e, url: e.language,
    "in_english": lambda e, url: e.in_english,
}


def export_row(event, url):
    return [get(event, url) for get in EXPORT_COLUMNS.values()]


def as_text(value):
    """A column's value in one cell of text: a date in ISO 8601, a list space-separated."""
    if isinstance(value, list):
        return " ".join(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --- CSV ---------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() hands the text back, for streaming csv.writer."""

    def write(self, value):
        return value


# A spreadsheet runs a cell that starts with one of these as a formula (and a formula can
# fetch URLs or run commands; a tab or carriage return is dropped by some readers, leaving
# what follows it first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Where a reading of the file may start a field within one of our cells: the cell's start;
# after a ";", the list separator of Excel in Russian or Azerbaijani, at which a reader that
# takes the file for ";"-separated splits it (the commas' quotes do not protect a ";"
# inside a field from such a reader: it has left them behind at the first comma); after a
# line break, where a reader out of step with the quotes ends the record. The quotes such a
# reader drops there come before the character it then reads first.
FIELD_START = re.compile(r'(^|[;\r\n])("*)(?=[=+\-@\t\r])')


def text_cell(value):
    """`value` for a CSV cell: each place a reading may start a field at (`FIELD_START`)
    that a formula character follows gets an apostrophe, which spreadsheets read as "this
    is text" (and do not show at the start of a cell)."""
    if isinstance(value, str):
        return FIELD_START.sub(r"\1'\2", value)
    return value


def csv_lines(header, rows):
    """CSV text, a line at a time, for a streaming response; every cell safe to open."""
    # Every field quoted: a line break or a ";" in a text then stays inside its cell.
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff" + writer.writerow([text_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([text_cell(cell) for cell in row])


# --- Spreadsheet -------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The most events a spreadsheet export holds. The workbook is written row by row to
# temporary files, so memory stays flat, but a zip is sent only once it is complete: the
# wait for its first byte grows with its rows (at the limit, about as long as the whole
# CSV of the same events takes to stream), where the CSV starts at once. Past the limit
# the export says so and points to the CSV, which streams every event; a sheet silently
# cut short would look complete. Excel itself opens at most 1,048,575 rows under a header.
XLSX_LIMIT = 10_000


def spreadsheet_cell(sheet, value):
    value = as_text(value) if isinstance(value, list) else value
    if not isinstance(value, str):
        return value  # a date (a date cell) or None (an empty one)
    # The text rules keep control characters out of records (models.text_problems); one
    # that XML cannot carry would stop the whole workbook, so it is marked instead.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    # openpyxl takes a text starting with "=" for a formula: here every text is a string.
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        # Kept as text should someone edit the cell, as a typed apostrophe does.
        cell.quotePrefix = True
    return cell


def spreadsheet(request, ids):
    """The events `ids` as an .xlsx workbook: one sheet, the CSV's header and rows."""
    if list(ids[XLSX_LIMIT : XLSX_LIMIT + 1]):
        query = request.GET.urlencode()
        csv_url = request.build_absolute_uri(
            reverse("cooperation:event-export-csv") + (f"?{query}" if query else "")
        )
        message = ngettext(
            "A spreadsheet holds at most %(limit)s event, and these filters match more. "
            "Narrow the filters, or download the CSV, which holds every event: %(csv_url)s",
            "A spreadsheet holds at most %(limit)s events, and these filters match more. "
            "Narrow the filters, or download the CSV, which holds every event: %(csv_url)s",
            XLSX_LIMIT,
        ) % {"limit": number_format(XLSX_LIMIT, force_grouping=True), "csv_url": csv_url}
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("events")
    sheet.freeze_panes = "A2"  # the header stays in view
    bold = Font(bold=True)
    header = []
    for name in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    try:
        sheet.append(header)
        url = request.build_absolute_uri
        for event in exported_events(ids):
            sheet.append([spreadsheet_cell(sheet, value) for value in export_row(event, url)])
        workbook.save(output)
    except BaseException:
        output.close()
        # openpyxl removes the sheet's temporary file once the workbook is saved, and
        # otherwise only when the process ends.
        if sheet._writer is not None:
            with contextlib.suppress(OSError, ValueError):  # perhaps removed already
                sheet._writer.close()
                sheet._writer.cleanup()
        raise
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename="events.xlsx", content_type=XLSX_TYPE)


# --- The views ---------------------------------------------------------------------------


def event_export(request, fmt):
    """The current filtered list as CSV, JSON or .xlsx: CSV and JSON streamed row by row in
    constant memory, the workbook written to a temporary file and sent from there."""
    filterset = filter_events(request)[0]
    if not filterset.is_valid():
        errors = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in filterset.form.errors.items()
        )
        return HttpResponseBadRequest(
            _("Filters not understood: %(errors)s") % {"errors": errors},
            content_type="text/plain; charset=utf-8",
        )
    ids = result_ids(filterset)
    if fmt == "xlsx":
        return spreadsheet(request, ids)
    rows = exported_events(ids)
    url = request.build_absolute_uri

    if fmt == "csv":
        lines = csv_lines(
            EXPORT_COLUMNS, ([as_text(value) for value in export_row(event, url)] for event in rows)
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:

        def chunks():
            yield '{"events": ['
            for index, event in enumerate(rows):
                record = dict(zip(EXPORT_COLUMNS, export_row(event, url), strict=True))
                yield ("," if index else "") + json.dumps(
                    record, ensure_ascii=False, cls=DjangoJSONEncoder
                )
            yield "]}"

        response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="events.{fmt}"'
    return response


def event_calendar(request, slug):
    event = get_object_or_404(Delegation.objects.published().with_listing(), slug=slug)
    response = HttpResponse(
        feeds.event_calendar(request, event), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response
