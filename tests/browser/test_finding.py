"""Finding events on a wide screen and on a phone: the facets beside the results or folded
after the count, "Filters (n active)" on a phone, focus on the count after filtering, chips
that remove their filter. Screenshots go to tests/browser/screenshots/ (git-ignored)."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, open_context

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
FILTERED = "/events/?topic=asset-recovery&year=2023"


@pytest.fixture
def phone_390(browser, site):
    context = open_context(browser, site, viewport=PHONE_390, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_facets_sit_beside_the_results_on_a_wide_screen(page, screenshots):
    page.goto(FILTERED)
    facets = page.locator(".facet-panel")
    results = page.locator(".list-body")
    expect(facets).to_be_visible()
    expect(page.locator("form.filter-form")).to_be_visible()
    assert (
        facets.bounding_box()["x"] + facets.bounding_box()["width"] <= results.bounding_box()["x"]
    )
    # Each facet names its values with their counts: the year facet lists 2023 with 1.
    year = page.locator("section.facet", has=page.get_by_role("heading", name="Year"))
    expect(year).to_contain_text("2023")
    page.screenshot(path=str(screenshots / f"finding-{DESKTOP['width']}.png"), full_page=True)


def test_on_a_phone_the_count_and_results_come_first(phone_390, screenshots):
    phone_390.goto(FILTERED)
    count = phone_390.locator(".result-count")
    summary = phone_390.locator(".filter-panel > summary")
    expect(count).to_have_text("1 event")
    expect(summary).to_have_text("Filters (2 active)")
    # Folded: the form is not shown until asked for, and the first result is on screen.
    expect(phone_390.locator("form.filter-form")).to_be_hidden()
    expect(phone_390.locator(".facets")).to_be_hidden()
    first = phone_390.locator(".event-item").first
    assert first.bounding_box()["y"] < PHONE_390["height"]
    phone_390.screenshot(path=str(screenshots / "finding-390.png"), full_page=True)

    summary.tap()
    expect(phone_390.locator("form.filter-form")).to_be_visible()
    phone_390.get_by_label("Year", exact=True).fill("2022")
    phone_390.get_by_role("button", name="Apply filters").tap()
    expect(phone_390).to_have_url(re.compile(r"year=2022.*#results$"))
    # Focus is on the count, which says what the filters found.
    expect(count).to_be_focused()
    expect(count).to_contain_text("event")


@pytest.mark.parametrize("viewport", ["wide", "phone"])
def test_a_chip_removes_its_filter(page, phone_390, viewport):
    shown = page if viewport == "wide" else phone_390
    shown.goto(FILTERED)
    chip = shown.get_by_role("link", name=re.compile(r"^Year: 2023"))
    chip.click()
    expect(shown).to_have_url(re.compile(r"/events/\?topic=asset-recovery$"))
    expect(shown.get_by_role("link", name=re.compile(r"^Year: "))).to_have_count(0)
    expect(shown.locator(".result-count")).to_be_visible()


def test_show_all_lists_every_value_and_leads_back(page):
    page.goto("/events/facets/year/?topic=asset-recovery")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Year")
    page.get_by_role("link", name="2023").click()
    expect(page).to_have_url(re.compile(r"topic=asset-recovery&year=2023"))
    expect(page.locator(".result-count")).to_have_text("1 event")
