"""Readable on a phone: nothing scrolls sideways at 360 px, and the filter form can be used.

Full-page screenshots of the event list and an event page, at 1280 px and at 360 px, go to
tests/browser/screenshots/ (git-ignored) for a person to look at.
"""

import re
import struct

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .pages import EVENT_URL, PAGES

pytestmark = pytest.mark.browser

# Elements whose box reaches past the right edge of the viewport: what to fix when a page
# scrolls sideways.
OVERFLOWING = """(width) => Array.from(document.querySelectorAll('body *'))
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .slice(0, 10)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}: right edge at
        ${Math.round(el.getBoundingClientRect().right)}px`)"""


@pytest.mark.parametrize(("name", "url", "status"), PAGES, ids=[page[0] for page in PAGES])
def test_page_does_not_scroll_sideways_on_a_phone(phone_page, name, url, status):
    response = phone_page.goto(url)
    assert response.status == status
    scroll_width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], (
        f"{url} is {scroll_width}px wide at {PHONE['width']}px: "
        f"{phone_page.evaluate(OVERFLOWING, PHONE['width'])}"
    )


def test_filter_form_is_usable_on_a_phone(phone_page):
    phone_page.goto("/events/")
    # Folded behind its summary, so that the results come first (tests/browser/test_finding.py).
    phone_page.locator(".filter-panel > summary").tap()
    form = phone_page.locator("form.filter-form")
    # Hidden inputs carry the slugs of records chosen by name (combobox.js).
    controls = form.locator("input:not([type=hidden]), select, button")
    # The sixteen filters of docs/architecture.md and the submit button.
    assert controls.count() == 17
    for index in range(controls.count()):
        control = controls.nth(index)
        expect(control).to_be_visible()
        box = control.bounding_box()
        name = control.get_attribute("name") or control.inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        # WCAG 2.2 target size (minimum) asks for 24 px; the form's controls are larger.
        assert box["height"] >= 24 and box["width"] >= 24, name

    phone_page.get_by_label("Topic", exact=True).fill("Asset recovery")
    phone_page.get_by_label("Year", exact=True).fill("2023")
    phone_page.get_by_role("button", name="Apply filters").tap()
    expect(phone_page).to_have_url(re.compile(r"[?&]topic=asset-recovery&.*year=2023"))
    expect(phone_page.locator(".result-count")).to_have_text("1 event")


def png_width(path):
    # A PNG's IHDR chunk, right after the 8-byte signature and the chunk header, starts with
    # the width as a big-endian 32-bit number.
    with open(path, "rb") as png:
        return struct.unpack(">I", png.read(24)[16:20])[0]


@pytest.mark.parametrize(
    ("name", "url"),
    [("event-list", "/events/"), ("event", EVENT_URL)],
    ids=["event-list", "event"],
)
def test_full_page_screenshots(page, phone_page, screenshots, name, url):
    for shown, viewport in ((page, DESKTOP), (phone_page, PHONE)):
        shown.goto(url)
        path = screenshots / f"{name}-{viewport['width']}.png"
        shown.screenshot(path=str(path), full_page=True)
        # A full-page screenshot is as wide as the page: wider than the viewport only when
        # something sticks out sideways.
        assert png_width(path) == viewport["width"], path
