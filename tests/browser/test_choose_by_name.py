"""Choosing an organization by typing part of its Russian name, with the keyboard only, at
1,280 px on the Russian list and at 390 px on the English one: the autocomplete is a
WAI-ARIA combobox (axe finds nothing wrong with its list open), and the filtered list's
address carries the slug and no empty parameter. Screenshots of the open list go to
tests/browser/screenshots/."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from .conftest import DESKTOP, open_context
from .test_accessibility import AXE, AXE_RUN, describe

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
SLUG = "prosecutor-generals-office-azerbaijan"


@pytest.mark.parametrize(
    ("viewport", "prefix", "shown"),
    [
        (DESKTOP, "/ru", "Генеральная прокуратура Азербайджанской Республики"),
        (PHONE_390, "", "Prosecutor General's Office of the Republic of Azerbaijan"),
    ],
    ids=["1280-ru", "390-en"],
)
def test_an_organization_is_chosen_by_part_of_its_russian_name(
    browser, site, screenshots, viewport, prefix, shown
):
    from playwright.sync_api import expect

    context = open_context(browser, site, viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{prefix}/events/")
        box = page.locator("#id_organization")
        if not box.is_visible():  # the filters folded away on a small screen
            page.locator("details:has(#id_organization) > summary").click()
        expect(box).to_have_attribute("role", "combobox")
        expect(box).to_have_attribute("aria-expanded", "false")
        box.click()
        box.press_sequentially("прокуратура азерб", delay=30)

        listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
        expect(listbox).to_have_attribute("role", "listbox")
        expect(box).to_have_attribute("aria-expanded", "true")
        options = listbox.get_by_role("option")
        expect(options).to_have_count(1)
        expect(options.first).to_have_text(shown)
        expect(page.get_by_role("status")).to_contain_text("1")

        box.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
        expect(options.first).to_have_attribute("aria-selected", "true")

        page.evaluate(AXE.read_text())
        violations = page.evaluate(AXE_RUN)["violations"]
        assert not violations, "\n".join(map(describe, violations))
        page.screenshot(path=str(screenshots / f"choose-by-name-{viewport['width']}.png"))

        box.press("Enter")  # picks the suggestion, does not submit
        expect(box).to_have_value(shown)
        expect(box).to_have_attribute("aria-expanded", "false")
        assert urlsplit(page.url).query == ""

        with page.expect_navigation():
            box.press("Enter")  # now submits the form
        address = urlsplit(page.url)
        query = parse_qsl(address.query, keep_blank_values=True)
        assert address.path == f"{prefix}/events/"
        assert ("organization", SLUG) in query
        assert all(value.strip() for _name, value in query), query
        expect(page.locator("#id_organization")).to_have_value(shown)
        expect(page.locator(".event-list")).to_contain_text("2023")
    finally:
        context.close()
