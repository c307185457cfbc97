"""Citing a visit or an instrument: the dates the cite block gives (templates/includes/cite.html)
and the same citation as BibTeX, RIS and CSL-JSON downloads, which Zotero and other reference
managers import.

A citation names the registry's publishing body (settings.SITE_NAME) as author and publisher,
as the cite block on the page does; the title is the record's in the address's language
(English where it has no translation), marked with the language it is in. Its date is the
day the record last changed, counting the parts its page shows (members, activities,
participants, citations, signatories); the accessed date is the day of the request. The
public page cache keys every page by that day too (cooperation/caching.py), so neither a
page nor a download carries yesterday's accessed date.
"""

import json
import re

from django.conf import settings
from django.db.models import DateTimeField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation

from . import caching
from .languages import shown
from .models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    ProgramCitation,
    ProgramSignatory,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Workshop,
    WorkshopCitation,
)

# The parts of each record whose changes its page shows, as (model, path to the record):
# the owners of cooperation/records/owners.py.
PARTS = {
    Delegation: (
        (DelegationMember, "delegation"),
        (DelegationCitation, "delegation"),
        (Meeting, "delegation"),
        (Workshop, "delegation"),
        (SiteVisit, "delegation"),
        (Signing, "delegation"),
        (MeetingParticipant, "meeting__delegation"),
        (MeetingCitation, "activity__delegation"),
        (WorkshopCitation, "activity__delegation"),
        (SiteVisitCitation, "activity__delegation"),
    ),
    CooperationProgram: (
        (ProgramSignatory, "program"),
        (ProgramCitation, "program"),
    ),
}


def modified_at(model):
    """When a record of `model` or any part of it last changed, as an annotation: one
    indexed subquery per kind of part, inside the query that reads the record."""
    latest = [
        Coalesce(
            Subquery(
                part.objects.filter(**{path: OuterRef("pk")})
                .order_by("-updated_at")
                .values("updated_at")[:1]
            ),
            F("updated_at"),
            output_field=DateTimeField(),
        )
        for part, path in PARTS[model]
    ]
    # Coalesced, since SQLite's GREATEST (MAX) is NULL when any argument is.
    return Greatest(F("updated_at"), *latest, output_field=DateTimeField())


def parts(record):
    """Every part of `record` that PARTS names, from the relations its page prefetches
    (views.event_detail, views.program_detail), so no query reads them a second time."""
    if isinstance(record, CooperationProgram):
        yield from record.signatories.all()
        yield from record.citations
        return
    yield from record.members.all()
    yield from record.citations
    yield from record.signings.all()
    for meeting in record.meetings.all():
        yield meeting
        yield from meeting.participants.all()
        yield from meeting.meetingcitation_set.all()
    for workshop in record.workshops.all():
        yield workshop
        yield from workshop.workshopcitation_set.all()
    for site_visit in record.site_visits.all():
        yield site_visit
        yield from site_visit.sitevisitcitation_set.all()


def latest_change(record):
    """What modified_at() reads in SQL, taken from the prefetched parts of a record whose
    page has them all in hand: on a visit's page the annotation's ten subqueries cost
    PostgreSQL 3 ms of planning, and the page 8 ms in all at a million visits."""
    return max([record.updated_at, *(part.updated_at for part in parts(record))])


def block(record):
    """What the cite block shows beyond the record itself: the dates, and the downloads."""
    kind = "event" if isinstance(record, Delegation) else "program"
    return {
        "modified": timezone.localdate(record.modified_at),
        "accessed": caching.today(),
        "downloads": [
            (label, reverse(f"cooperation:{kind}-cite-{fmt}", args=[record.slug]))
            for fmt, label in (("bib", "BibTeX"), ("ris", "RIS"), ("json", "CSL-JSON"))
        ],
        "calendar": reverse("cooperation:event-calendar", args=[record.slug])
        if kind == "event"
        else None,
    }


# --- The citation, whatever the format -------------------------------------------------


def citation(request, record):
    """The fields every format writes, for `record` (annotated with `modified_at`)."""
    title, language = shown(record, "title")
    language = language or translation.get_language()
    if isinstance(record, Delegation):
        genre = record.get_visit_type_display()
        event_dates = (record.start_date, record.end_date or record.start_date)
    else:
        genre = record.get_kind_display()
        event_dates = None
    return {
        "key": record.slug,
        "title": title,
        "language": language,
        "author": str(settings.SITE_NAME),
        "url": request.build_absolute_uri(record.get_absolute_url()),
        "modified": timezone.localdate(record.modified_at),
        "accessed": caching.today(),
        "genre": str(genre),
        "event_dates": event_dates,
    }


def language_name(code):
    """The language's English name, lowercased: the babel names biblatex expects
    ("english", "russian", "azerbaijani")."""
    try:
        return translation.get_language_info(code)["name"].lower()
    except KeyError:
        return code


# --- BibTeX -----------------------------------------------------------------------------

BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
BIBTEX_SPECIAL = re.compile(r"[\\{}%&$#_~^]")
# A line break inside a field ends nothing in BibTeX, but a reader expects one line per field.
LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


def bibtex_text(value):
    value = LINE_BREAKS.sub(" ", str(value))
    return BIBTEX_SPECIAL.sub(lambda match: BIBTEX_ESCAPES[match.group()], value)


def bibtex(fields):
    start, end = fields["event_dates"] or (None, None)
    entries = [
        # Double braces: the body's name is one name, not a person's given and family names.
        ("author", "{" + bibtex_text(fields["author"]) + "}"),
        # Braced again so that a style keeps the title's capitals (names of bodies, places).
        ("title", "{" + bibtex_text(fields["title"]) + "}"),
        ("publisher", bibtex_text(fields["author"])),
        ("note", bibtex_text(fields["genre"])),
        ("year", str(fields["modified"].year)),
        ("date", fields["modified"].isoformat()),
        ("eventdate", f"{start.isoformat()}/{end.isoformat()}" if start else None),
        # A URL is read verbatim by biblatex: only braces could break the entry, and an
        # address built by the site has none.
        ("url", fields["url"].replace("{", "%7B").replace("}", "%7D")),
        ("urldate", fields["accessed"].isoformat()),
        ("language", language_name(fields["language"])),
        ("langid", language_name(fields["language"])),
    ]
    lines = [f"@misc{{{fields['key']},"]
    lines += [f"  {name} = {{{value}}}," for name, value in entries if value]
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- RIS --------------------------------------------------------------------------------


def ris_text(value):
    # A line is a tag: a line break inside a value would start a field of its own.
    return LINE_BREAKS.sub(" ", str(value)).strip()


def ris_date(day):
    return day.strftime("%Y/%m/%d/")


def ris(fields):
    start, end = fields["event_dates"] or (None, None)
    entries = [
        ("TY", "ELEC"),
        ("ID", fields["key"]),
        ("TI", fields["title"]),
        ("AU", fields["author"]),
        ("PB", fields["author"]),
        ("M3", fields["genre"]),
        ("PY", fields["modified"].year),
        ("DA", ris_date(fields["modified"])),
        ("Y2", ris_date(fields["accessed"])),
        ("UR", fields["url"]),
        ("LA", fields["language"]),
        ("N1", f"{start.isoformat()}/{end.isoformat()}" if start else None),
    ]
    lines = [f"{tag}  - {ris_text(value)}" for tag, value in entries if value]
    lines.append("ER  - ")
    # The RIS specification ends each line with CR LF.
    return "\r\n".join(lines) + "\r\n"


# --- CSL-JSON ---------------------------------------------------------------------------


def csl_date(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl_json(fields):
    start, end = fields["event_dates"] or (None, None)
    item = {
        "id": fields["key"],
        "type": "webpage",
        "title": fields["title"],
        "author": [{"literal": fields["author"]}],
        "publisher": fields["author"],
        "container-title": fields["author"],
        "genre": fields["genre"],
        "issued": csl_date(fields["modified"]),
        "accessed": csl_date(fields["accessed"]),
        "URL": fields["url"],
        "language": fields["language"],
    }
    if start:
        item["event-date"] = {
            "date-parts": [[start.year, start.month, start.day], [end.year, end.month, end.day]]
        }
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


FORMATS = {
    "bib": (bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": (ris, "application/x-research-info-systems; charset=utf-8"),
    "json": (csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8"),
}


def download(request, record, fmt):
    write, content_type = FORMATS[fmt]
    response = HttpResponse(write(citation(request, record)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{record.slug}.{fmt}"'
    return response


def event_citation(request, slug, fmt):
    visits = Delegation.objects.published().annotate(modified_at=modified_at(Delegation))
    return download(request, get_object_or_404(visits, slug=slug), fmt)


def program_citation(request, slug, fmt):
    instruments = CooperationProgram.objects.published().annotate(
        modified_at=modified_at(CooperationProgram)
    )
    return download(request, get_object_or_404(instruments, slug=slug), fmt)
