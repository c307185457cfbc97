"""Citing a visit or an instrument: the cite block's dates, and the BibTeX, RIS and CSL-JSON
downloads that reference managers import (cooperation/citing.py)."""

import datetime as dt
import json
import time

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from django.utils import timezone

from cooperation import caching, citing, registry_version
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Person,
    ProgramCitation,
    ProgramSignatory,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Workshop,
    WorkshopCitation,
)

DOWNLOADS = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}


def download(client, url, fmt):
    response = client.get(f"{url}cite.{fmt}")
    assert response.status_code == 200, (url, fmt)
    assert response["Content-Type"] == DOWNLOADS[fmt]
    slug = url.rstrip("/").rsplit("/", 1)[1]
    assert response["Content-Disposition"] == f'attachment; filename="{slug}.{fmt}"'
    return response.content.decode()


def parsed(client, url):
    """The three downloads of `url`, each read by a parser as a reference manager reads it,
    as {format: (title, url, last modified, accessed, language)}."""
    library = bibtexparser.parse_string(
        download(client, url, "bib"), append_middleware=[LatexDecodingMiddleware()]
    )
    assert not library.failed_blocks
    (entry,) = library.entries
    bib = entry.fields_dict
    (ris,) = rispy.loads(download(client, url, "ris"))
    (csl,) = json.loads(download(client, url, "json"))

    def csl_day(date):
        return dt.date(*date["date-parts"][0])

    def ris_day(text):
        return dt.datetime.strptime(text, "%Y/%m/%d/").date()

    return {
        # pylatexenc reads LaTeX's \textasciicircum as the modifier letter (U+02C6).
        "bib": (
            bib["title"].value.replace("\u02c6", "^"),
            bib["url"].value,
            dt.date.fromisoformat(bib["date"].value),
            dt.date.fromisoformat(bib["urldate"].value),
            bib["language"].value,
        ),
        "ris": (
            ris["title"],
            ris["urls"][0],
            ris_day(ris["date"]),
            ris_day(ris["access_date"]),
            ris["language"],
        ),
        "json": (
            csl["title"],
            csl["URL"],
            csl_day(csl["issued"]),
            csl_day(csl["accessed"]),
            csl["language"],
        ),
    }


def stamp(model, pk, day):
    model.objects.filter(pk=pk).update(
        updated_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    )


def test_downloads_carry_title_url_dates_and_language(client, world):
    today = timezone.localdate()
    # The visit itself last changed long ago; one of its meetings later.
    meeting = Meeting.objects.create(delegation=world.published, slug="talks", title="Talks")
    stamp(Delegation, world.published.pk, dt.date(2024, 1, 5))
    stamp(DelegationCitation, world.published.delegationcitation_set.get().pk, dt.date(2024, 2, 1))
    stamp(Meeting, meeting.pk, dt.date(2024, 3, 9))
    url = "http://testserver/events/published-visit/"
    expected = ("Published working visit", url, dt.date(2024, 3, 9), today)
    for fmt, fields in parsed(client, "/events/published-visit/").items():
        assert fields[:4] == expected, fmt
        assert fields[4] == ("english" if fmt == "bib" else "en"), fmt

    page = client.get("/events/published-visit/").text
    assert 'Last modified <time datetime="2024-03-09">' in page
    assert f'accessed <time datetime="{today.isoformat()}">' in page
    for fmt in DOWNLOADS:
        assert f'href="/events/published-visit/cite.{fmt}"' in page


def test_the_page_and_the_downloads_agree_whichever_part_changed_last(client, world):
    # The event page takes "last modified" from the parts it has prefetched
    # (citing.latest_change); the downloads from the query's annotation (modified_at).
    # One part of every kind citing.PARTS names; each in turn is made the latest change.
    visit = world.published
    source = visit.delegationcitation_set.get().source
    guest = Person.objects.create(name="Guest", slug="guest")
    meeting = Meeting.objects.create(delegation=visit, slug="talks", title="Talks")
    workshop = Workshop.objects.create(delegation=visit, slug="w", title="Workshop")
    site_visit = SiteVisit.objects.create(
        delegation=visit, slug="s", title="Site visit", place=world.baku
    )
    memorandum = CooperationProgram.objects.create(
        kind=CooperationProgram.Kind.MEMORANDUM, title="MoU", slug="mou"
    )
    parts = [
        DelegationMember.objects.create(delegation=visit, person=guest),
        visit.delegationcitation_set.get(),
        meeting,
        workshop,
        site_visit,
        Signing.objects.create(instrument=memorandum, delegation=visit, meeting=meeting),
        MeetingParticipant.objects.create(meeting=meeting, person=guest, side="visiting"),
        MeetingCitation.objects.create(activity=meeting, source=source),
        WorkshopCitation.objects.create(activity=workshop, source=source),
        SiteVisitCitation.objects.create(activity=site_visit, source=source),
    ]
    assert_the_latest_part_wins(client, "/events/published-visit/", visit, parts)


def test_an_instruments_page_and_downloads_agree_whichever_part_changed_last(client, world):
    program = world.program
    source = Source.objects.create(title="Treaty text", url="https://example.org/treaty")
    parts = [
        ProgramSignatory.objects.create(
            program=program,
            person=Person.objects.create(name="Signer", slug="signer"),
            organization=world.russia,
            title="Prosecutor",
        ),
        ProgramCitation.objects.create(program=program, source=source),
    ]
    assert_the_latest_part_wins(client, "/programs/program-2021-2023/", program, parts)


def assert_the_latest_part_wins(client, url, record, parts):
    """Each of `parts`, made in turn the latest change of `record`, is the date that `url`
    and its three downloads give as last modified."""
    assert {type(part) for part in parts} == {part for part, _ in citing.PARTS[type(record)]}
    for part in [record, *parts]:
        stamp(type(part), part.pk, dt.date(2020, 1, 1))
    for n, part in enumerate(parts, start=1):
        day = dt.date(2021, 1, n)
        stamp(type(part), part.pk, day)
        registry_version.bump()
        page = client.get(url).text
        assert f'Last modified <time datetime="{day.isoformat()}">' in page, type(part)
        for fmt, fields in parsed(client, url).items():
            assert fields[2] == day, (type(part), fmt)


def test_instrument_has_the_same_cite_block_and_downloads(client, world):
    page = client.get("/programs/program-2021-2023/").text
    assert "Cite this record" in page
    for fmt in DOWNLOADS:
        assert f'href="/programs/program-2021-2023/cite.{fmt}"' in page
    url = "http://testserver/programs/program-2021-2023/"
    for fmt, fields in parsed(client, "/programs/program-2021-2023/").items():
        assert fields[:2] == ("Cooperation Program 2021-2023", url), fmt


def test_title_is_in_the_address_language_and_marked(client, world):
    Delegation.objects.filter(pk=world.published.pk).update(title_ru="Рабочий визит")
    url = "http://testserver/ru/events/published-visit/"
    for fmt, fields in parsed(client, "/ru/events/published-visit/").items():
        assert fields[:2] == ("Рабочий визит", url), fmt
        assert fields[4] == ("russian" if fmt == "bib" else "ru"), fmt
    # An instrument with no Russian title: the English one, marked English.
    for fmt, fields in parsed(client, "/ru/programs/program-2021-2023/").items():
        assert fields[0] == "Cooperation Program 2021-2023", fmt
        assert fields[4] == ("english" if fmt == "bib" else "en"), fmt


def test_special_characters_and_line_breaks_survive(client, world):
    title = 'Audit of 50% & $5 #1 under_score {braces} back\\slash ~ ^ "quoted" Камран'
    # A line break cannot be entered through the forms; written directly, it still must
    # not end a BibTeX field or start an RIS tag.
    Delegation.objects.filter(pk=world.published.pk).update(title=title + "\nER  - \nTY  - X")
    one_line = title + " ER  -  TY  - X"
    expected = {"bib": one_line, "ris": one_line, "json": title + "\nER  - \nTY  - X"}
    for fmt, fields in parsed(client, "/events/published-visit/").items():
        assert fields[0] == expected[fmt], fmt
    bib = download(client, "/events/published-visit/", "bib")
    assert r"50\% \& \$5 \#1 under\_score \{braces\} back\textbackslash{}slash" in bib
    ris_lines = download(client, "/events/published-visit/", "ris").split("\r\n")
    assert [line for line in ris_lines if line.startswith(("TY", "ER"))] == [
        "TY  - ELEC",
        "ER  - ",
    ]


def test_drafts_downloads_are_404(client, world):
    draft_programme = CooperationProgram.objects.create(
        title="Draft memorandum", slug="draft-memorandum", kind="memorandum"
    )
    for url in ("/events/draft-visit/", f"/programs/{draft_programme.slug}/"):
        for fmt in DOWNLOADS:
            assert client.get(f"{url}cite.{fmt}").status_code == 404, (url, fmt)
    assert client.get("/events/no-such-visit/cite.bib").status_code == 404


@pytest.mark.parametrize("url", ["/events/published-visit/", "/events/published-visit/cite.ris"])
def test_accessed_date_is_never_a_day_old(client, world, monkeypatch, url):
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    # The records last changed a few seconds ago: a Last-Modified of the current second is
    # never taken as fresh (caching.last_modified).
    monkeypatch.setattr(registry_version, "_now_micros", lambda: int((time.time() - 10) * 1e6))
    registry_version.bump()
    first = client.get(url)
    assert today.strftime("%Y") in first.text
    # The same day: served again from the cache, and a conditional request is answered 304.
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    since = {"if-modified-since": first["Last-Modified"]}
    assert client.get(url, headers=since).status_code == 304

    monkeypatch.setattr(caching, "today", lambda: tomorrow)
    for headers in ({}, {"if-none-match": first["ETag"]}, since):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, headers
        if url.endswith(".ris"):
            assert f"Y2  - {tomorrow:%Y/%m/%d/}" in response.text
        else:
            assert f'accessed <time datetime="{tomorrow.isoformat()}">' in response.text
