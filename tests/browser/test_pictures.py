"""The pictures as a reader uses them, at 1,280 px and at 390 px: a year picked on the
timeline and a cell opened in the country matrix land on the list they counted.

Screenshots of the event list's pictures and of a country page go to
tests/browser/screenshots/ (git-ignored) for a person to look at.
"""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, open_context

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(params=[DESKTOP, PHONE_390], ids=["1280px", "390px"])
def sized_page(request, browser, site):
    viewport = request.param
    options = {"is_mobile": True, "has_touch": True} if viewport is PHONE_390 else {}
    context = open_context(browser, site, viewport=viewport, **options)
    page = context.new_page()
    page.width = viewport["width"]
    yield page
    context.close()


def drawn_count(link):
    """The count a bar or cell shows in its tooltip ("2022: 2")."""
    return int(link.locator("title").text_content().rsplit(": ", 1)[1])


def test_pick_a_year_on_the_timeline_then_open_a_cell_of_the_matrix(sized_page, screenshots):
    page = sized_page
    page.goto("/events/")
    timeline = page.locator("svg.pic-timeline")
    expect(timeline).to_be_visible()
    page.locator(".pictures").screenshot(path=screenshots / f"pictures-events-{page.width}.png")

    bar = timeline.locator('a[href*="year=2022"]')
    shown = drawn_count(bar)
    bar.click()
    expect(page).to_have_url(re.compile(r"/events/\?year=2022$"))
    expect(page.locator(".result-count")).to_have_text(f"{shown} events")
    # A year chosen, the timeline counts its months.
    expect(page.locator("#timeline-heading")).to_have_text("Visits per month in 2022")

    page.goto("/events/")
    cell = page.locator('svg.pic-matrix a[href*="from_country=RU"][href*="to_country=AZ"]')
    shown = drawn_count(cell)
    cell.click()
    expect(page).to_have_url(re.compile(r"from_country=RU&to_country=AZ$"))
    expect(page.locator(".result-count")).to_have_text(
        f"{shown} event" if shown == 1 else f"{shown} events"
    )

    page.goto("/countries/az/")
    expect(page.locator("h1")).to_have_text("Azerbaijan")
    expect(page.locator("svg.pic-map circle").first).to_be_visible()
    page.screenshot(path=screenshots / f"country-az-{page.width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width
