"""The registry tried as a new user would: from the home page to a record and back to a list."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import open_context
from .pages import EVENT_URL, PERSON_URL, PROGRAM_URL

pytestmark = pytest.mark.browser

BAKU_TITLE = "Working visit of the Russian Prosecutor General's Office delegation to Baku"


def result_count(page):
    return page.locator(".result-count")


def chips(page):
    return page.get_by_role("list", name="Active filters").get_by_role("link")


def event_links(page):
    return page.locator(".event-list .event-item h3 a")


def test_a_visitor_narrows_the_list_and_follows_the_records(page):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events").click()
    expect(page).to_have_url(re.compile(r"/events/$"))
    expect(result_count(page)).to_have_text("4 events")
    expect(page.get_by_role("list", name="Active filters")).to_have_count(0)

    page.get_by_label("Topic", exact=True).fill("Asset recovery")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]topic=asset-recovery(&|$)"))
    expect(result_count(page)).to_have_text("2 events")
    expect(chips(page)).to_have_count(2)  # the topic, and "Clear all"
    expect(chips(page).first).to_contain_text("Topic: Asset recovery")
    expect(event_links(page)).to_have_text(
        [BAKU_TITLE, "Study visit of Azerbaijani prosecutors to Moscow on asset recovery"]
    )
    # The form keeps what was chosen, by its name, so the next filter narrows the same list.
    expect(page.get_by_label("Topic", exact=True)).to_have_value("Asset recovery")

    page.get_by_label("Year", exact=True).fill("2023")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]year=2023(&|$)"))
    expect(result_count(page)).to_have_text("1 event")
    expect(chips(page)).to_have_count(3)
    expect(chips(page).nth(0)).to_contain_text("Topic: Asset recovery")
    expect(chips(page).nth(1)).to_contain_text("Year: 2023")
    expect(event_links(page)).to_have_text([BAKU_TITLE])

    event_links(page).first.click()
    expect(page).to_have_url(re.compile(re.escape(EVENT_URL) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(BAKU_TITLE)

    page.locator(".facts").get_by_role("link", name=re.compile("^Cooperation Program")).click()
    expect(page).to_have_url(re.compile(re.escape(PROGRAM_URL) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cooperation Program between")

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape(EVENT_URL) + "$"))
    page.get_by_role("link", name="Erkin Alikhanov").first.click()
    expect(page).to_have_url(re.compile(re.escape(PERSON_URL) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Erkin Alikhanov")

    page.get_by_role("link", name="Open these events in the filterable list").click()
    expect(page).to_have_url(re.compile(r"/events/\?person=erkin-alikhanov$"))
    expect(result_count(page)).to_have_text("1 event")
    expect(chips(page).first).to_contain_text("Person: Erkin Alikhanov")
    expect(event_links(page)).to_have_text([BAKU_TITLE])


def test_the_filter_form_works_without_javascript(browser, site):
    context = open_context(browser, site, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/events/")
        expect(result_count(page)).to_have_text("4 events")

        # A name typed in the box: the list resolves it to the topic's slug (suggest.py).
        page.get_by_label("Topic", exact=True).fill("asset recovery")
        page.get_by_label("Year", exact=True).fill("2022")
        page.get_by_role("button", name="Apply filters").click()

        expect(page).to_have_url(re.compile(r"[?&]topic=asset-recovery&.*year=2022"))
        expect(result_count(page)).to_have_text("1 event")
        expect(event_links(page)).to_have_text(
            ["Study visit of Azerbaijani prosecutors to Moscow on asset recovery"]
        )
    finally:
        context.close()
