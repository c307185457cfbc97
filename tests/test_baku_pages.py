"""Every fact of the Baku article reaches the public through the event or programme page."""

import html

import pytest
from django.core.management import call_command

EVENT_URL = "/events/russian-prosecutors-working-visit-baku-2023/"
PROGRAM_URL = "/programs/azerbaijan-russia-prosecutors-cooperation-program-2021-2023/"


@pytest.fixture
def baku(db):
    call_command("loaddata", "baku_2023", verbosity=0)


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_event_page_carries_every_fact_of_the_visit(client, baku):
    text = page_text(client, EVENT_URL)
    for fact in [
        "Prosecutor General's Office of the Russian Federation",
        "Prosecutor General's Office of the Republic of Azerbaijan",
        "Working visit",
        '<time datetime="2023-12-15">15 December 2023</time>',
        "Baku",
        "Cooperation Program between the Prosecutor General's Offices of Azerbaijan and Russia",
        # the welcome and what both sides said
        "Erkin Alikhanov",
        "International Legal Cooperation Department",
        "welcomed the guests",
        "high standing of relations",
        "hospitality",
        "strengthen bilateral relations",
        # every workshop topic
        "Extradition in criminal cases",
        "Legal assistance in criminal cases",
        "Asset recovery",
        "Combating domestic violence",
        "Protection of the rights of minors",
        "Combating crimes against minors",
        "State prosecution in environmental crime cases",
        "Exchange of experience",
        # site visits
        "New administrative building of the Prosecutor General's Office of Azerbaijan",
        "Victory Museum",
        "Heydar Aliyev Center",
        "Historical and cultural monuments of Baku",
        # the council meeting attended as guests
        "Scientific Advisory Council under the Prosecutor General",
        "attended as guests",
        # the source, its date and who supplied the information
        "https://en.trend.az/azerbaijan/politics/3838081.html",
        "Trend News Agency",
        "Information supplied by Prosecutor General's Office of the Republic of Azerbaijan",
    ]:
        assert fact in text, fact


def test_heydar_aliyev_center_visit_is_dated_and_others_are_not(client, baku):
    text = page_text(client, EVENT_URL)
    heydar = text.split('id="sitevisit-heydar-aliyev-center"')[1].split("</li>")[0]
    assert '<time datetime="2023-12-15">15 December 2023</time>' in heydar
    assert "life and work" in heydar and "museums" in heydar
    assert text.count("Date not given in the sources") == 6


def test_each_activity_names_the_sources_it_rests_on(client, baku):
    text = page_text(client, EVENT_URL)
    timeline = text.split('id="timeline-heading"')[1].split('id="sources-heading"')[0]
    activities = timeline.split('<li id="')[1:]
    assert len(activities) == 7
    for activity in activities:
        assert 'href="https://en.trend.az/azerbaijan/politics/3838081.html"' in activity


def test_programme_page_carries_the_signing(client, baku):
    text = page_text(client, PROGRAM_URL)
    for fact in [
        "2021–2023",
        '<time datetime="2021-01-12">12 January 2021</time>',
        "Moscow",
        "Kamran Aliyev",
        "Igor Krasnov",
        "Prosecutor General",
        "Prosecutor General's Office of the Republic of Azerbaijan",
        "Prosecutor General's Office of the Russian Federation",
        EVENT_URL,
    ]:
        assert fact in text, fact


def test_event_is_listed_and_cross_linked(client, baku):
    listing = page_text(client, "/events/")
    assert EVENT_URL in listing
    event = page_text(client, EVENT_URL)
    assert PROGRAM_URL in event
    assert "/people/erkin-alikhanov/" in event
    assert page_text(client, "/people/erkin-alikhanov/").count(EVENT_URL) >= 1
