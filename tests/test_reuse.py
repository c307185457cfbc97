"""Citation and re-use: calendar files, the Atom feed, sitemap, robots.txt, exports."""

import csv
import datetime as dt
import io
import json

import pytest
from icalendar import Calendar

from cooperation import exports
from cooperation.models import Status
from cooperation.records import derived
from tests.sitemap_reader import Sitemap


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_event_page_offers_a_citation_and_permalink(client, world):
    text = client.get("/events/published-visit/").text
    assert "Cite this record" in text
    assert "http://testserver/events/published-visit/" in text


def test_calendar_file_is_an_all_day_event(client, world):
    response = client.get("/events/published-visit/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Published working visit"
    assert event.decoded("DTSTART").isoformat() == "2023-12-15"
    assert event.decoded("DTEND").isoformat() == "2023-12-16"


def test_calendar_of_a_draft_is_404(client, world):
    assert client.get("/events/draft-visit/calendar.ics").status_code == 404


def test_atom_feed_lists_published_events_only(client, world):
    response = client.get("/feeds/events.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"/events/published-visit/" in response.content
    assert b"draft-visit" not in response.content


def test_sitemap_lists_public_pages_and_no_draft(client, world):
    content = Sitemap(client).text
    for url in ["/events/published-visit/", "/programs/program-2021-2023/", "/places/baku/"]:
        assert f"http://testserver{url}" in content
    assert "draft-visit" not in content


def test_robots_txt_points_to_the_sitemap_and_keeps_out_of_admin(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert "Disallow: /admin/" in response.text
    assert "Sitemap: http://testserver/sitemap.xml" in response.text


def test_csv_export_follows_the_filters(client, world, make_event):
    make_event(slug="other", visit_type="official")
    response = client.get("/events/export.csv", {"visit_type": "working"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert [row["slug"] for row in rows] == ["published-visit"]
    assert rows[0]["start_date"] == "2023-12-15"
    assert rows[0]["url"] == "http://testserver/events/published-visit/"


def test_export_reads_in_batches_and_keeps_every_event_in_order(
    client, world, make_event, monkeypatch
):
    monkeypatch.setattr(exports, "EXPORT_BATCH", 2)
    for n in range(4):
        make_event(slug=f"visit-{n}", start_date=dt.date(2020, 1, 1 + n))
    for params in ({}, {"country": "AZ"}, {"q": "visit"}):
        rows = csv.DictReader(
            io.StringIO(body(client.get("/events/export.csv", params)).decode("utf-8-sig"))
        )
        assert [row["slug"] for row in rows] == [
            "published-visit",
            "visit-3",
            "visit-2",
            "visit-1",
            "visit-0",
        ], params


def test_an_exports_first_lines_wait_only_for_its_first_small_batch(
    client, world, make_event, monkeypatch
):
    # The batches grow from FIRST_BATCH to EXPORT_BATCH: the first line after the header
    # has read one event's row, and every event still comes, in order.
    monkeypatch.setattr(exports, "FIRST_BATCH", 1)
    monkeypatch.setattr(exports, "EXPORT_BATCH", 4)
    read = []
    batch_of = exports.export_batch
    monkeypatch.setattr(
        exports, "export_batch", lambda ids, lang: read.append(len(ids)) or batch_of(ids, lang)
    )
    for n in range(9):
        make_event(slug=f"visit-{n}", start_date=dt.date(2020, 1, 1 + n))
    lines = iter(client.get("/events/export.csv").streaming_content)
    next(lines)  # the header
    assert b"published-visit" in next(lines)
    assert read == [1]
    rest = b"".join(lines).decode("utf-8")
    assert read == [1, 2, 4, 3]
    assert [line.split(",")[0].strip('"') for line in rest.splitlines()] == [
        f"visit-{n}" for n in range(8, -1, -1)
    ]


@pytest.mark.parametrize("params", [{}, {"country": "AZ"}])
def test_an_export_sends_each_event_once_while_visits_change_under_it(
    client, world, make_event, monkeypatch, params
):
    # Its first events are read with a LIMIT, the rest from a cursor opened once they are
    # sent. A visit unpublished or published in between moves the ones after it: none is
    # sent twice, none is lost.
    monkeypatch.setattr(exports, "FIRST_READ", 3)
    monkeypatch.setattr(exports, "FIRST_BATCH", 1)
    monkeypatch.setattr(exports, "EXPORT_BATCH", 2)
    visits = {
        n: make_event(slug=f"visit-{n}", start_date=dt.date(2020, 1, 1 + n)) for n in range(6)
    }
    late = make_event(slug="late", start_date=dt.date(2020, 1, 20), status=Status.DRAFT)

    def set_status(visit, status):
        visit.status = status
        visit.published_at = visits[0].published_at if status == Status.PUBLISHED else None
        visit.save()
        derived.refresh([visit.pk])

    lines = iter(client.get("/events/export.csv", params).streaming_content)
    next(lines)  # the header
    first = [next(lines) for _ in range(3)]
    # Two sent already, then unpublished; one newer than the last sent, published: the
    # rest now begins a place earlier, and an offset of 3 would lose "late" and visit-3.
    # Unpublished before it was read: not sent.
    set_status(visits[5], Status.DRAFT)
    set_status(visits[4], Status.DRAFT)
    set_status(late, Status.PUBLISHED)
    set_status(visits[2], Status.DRAFT)
    sent = [line.decode("utf-8").split(",")[0].strip('"') for line in [*first, *lines]]
    assert sent == [
        "published-visit",
        "visit-5",
        "visit-4",
        "late",
        "visit-3",
        "visit-1",
        "visit-0",
    ]


def test_json_export_lists_published_events(client, world):
    response = client.get("/events/export.json")
    data = json.loads(body(response))
    assert [event["slug"] for event in data["events"]] == ["published-visit"]
    assert data["events"][0]["program"] == world.program.title


def test_export_never_names_a_draft_programme(client, world):
    world.program.status = Status.DRAFT
    world.program.save()
    data = json.loads(body(client.get("/events/export.json")))
    assert data["events"][0]["program"] is None


def test_export_with_bad_filters_is_400(client, world):
    response = client.get("/events/export.csv", {"date_from": "2023-13-45"})
    assert response.status_code == 400
    assert b"date_from" in response.content
