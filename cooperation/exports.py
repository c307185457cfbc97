"""The event list for other programs: the filtered list as CSV and JSON, and one visit as
a calendar file. Every CSV the registry writes (these exports and the admin's "Export
selected as CSV", `transfer.py`) is written by `csv_lines`."""

import csv
import json

from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from . import feeds
from .languages import current, shown
from .models import Delegation
from .views import filter_events, listed_events, result_ids

# An export reads this many events at a time, by id.
EXPORT_BATCH = 500


def exported_events(ids):
    """Every event of `ids`, in order, a batch at a time.

    Outside a transaction, PostgreSQL computes a held cursor's whole result before its
    first row: over the joined rows of 50,000 visits that took 0.35 s. Over ids alone it
    is an index scan, and each batch's rows are then read by key.
    """
    batch = []
    for pk in ids.iterator(chunk_size=EXPORT_BATCH * 4):
        batch.append(pk)
        if len(batch) == EXPORT_BATCH:
            yield from listed_events(batch)
            batch = []
    yield from listed_events(batch)


# Columns of the CSV and JSON exports, in order.
EXPORT_COLUMNS = {
    "slug": lambda e, url: e.slug,
    "title": lambda e, url: e.title,
    "url": lambda e, url: url(e.get_absolute_url()),
    "visit_type": lambda e, url: e.visit_type,
    "start_date": lambda e, url: e.start_date.isoformat(),
    "end_date": lambda e, url: e.end_date.isoformat() if e.end_date else None,
    "date_basis": lambda e, url: e.date_basis,
    "sending_organization": lambda e, url: e.sending_organization.name,
    "sending_country": lambda e, url: e.sending_organization.country.code or None,
    "host_organization": lambda e, url: e.host_organization.name if e.host_organization else None,
    "host_country": lambda e, url: (
        e.host_organization.country.code or None if e.host_organization else None
    ),
    # Why there is no host ("not_stated", "no_single_host"), when there is none.
    "host_absent": lambda e, url: e.host_absent or None,
    "location": lambda e, url: e.location.name if e.location else None,
    "program": lambda e, url: e.public_program.title if e.public_program else None,
    "summary": lambda e, url: e.summary,
    # The language of the texts above: the export's, from its address (/az/events/export.csv
    # is in Azerbaijani), except the columns `in_english` names, given in English for want
    # of a translation.
    "language": lambda e, url: current(),
    "in_english": lambda e, url: " ".join(untranslated_columns(e)),
}


def untranslated_columns(event):
    """The text columns of `event`'s exported row that fall back to English."""
    language = current()
    texts = {
        "title": (event, "title"),
        "sending_organization": (event.sending_organization, "name"),
        "host_organization": (event.host_organization, "name"),
        "location": (event.location, "name"),
        "program": (event.public_program, "title"),
        "summary": (event, "summary"),
    }
    return [
        column
        for column, (record, field) in texts.items()
        if record is not None and shown(record, field)[1] not in (None, language)
    ]


class _Echo:
    """A file-like object whose write() hands the text back, for streaming csv.writer."""

    def write(self, value):
        return value


# A spreadsheet runs a cell that starts with one of these as a formula (and a formula can
# fetch URLs or run commands): such a text gets a leading apostrophe, which spreadsheets
# read as "this is text" and do not show.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header, rows):
    """CSV text, a line at a time, for a streaming response; every cell safe to open."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(text_cell(cell) for cell in row)


def event_export(request, fmt):
    """The current filtered list as CSV or JSON, streamed row by row in constant memory."""
    filterset = filter_events(request)[0]
    if not filterset.is_valid():
        errors = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in filterset.form.errors.items()
        )
        return HttpResponseBadRequest(
            _("Filters not understood: %(errors)s") % {"errors": errors},
            content_type="text/plain; charset=utf-8",
        )
    rows = exported_events(result_ids(filterset))
    url = request.build_absolute_uri

    if fmt == "csv":
        lines = csv_lines(
            EXPORT_COLUMNS, ([get(event, url) for get in EXPORT_COLUMNS.values()] for event in rows)
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:

        def chunks():
            yield '{"events": ['
            for index, event in enumerate(rows):
                record = {name: get(event, url) for name, get in EXPORT_COLUMNS.items()}
                yield ("," if index else "") + json.dumps(record, ensure_ascii=False)
            yield "]}"

        response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="events.{fmt}"'
    return response


def event_calendar(request, slug):
    event = get_object_or_404(Delegation.objects.published().with_listing(), slug=slug)
    response = HttpResponse(feeds.event_calendar(request, event), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response
