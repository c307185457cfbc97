"""Switching language on a filtered list: the same list, the same filters, another language."""

import re

import pytest
from playwright.sync_api import expect

from .pages import EVENT_URL

pytestmark = pytest.mark.browser


def switch_to(page, menu, language):
    page.get_by_role("navigation", name=menu).get_by_role("link", name=language).click()


# The topic's name as each language's page shows it in the filter's box.
TOPIC_NAMES = re.compile(
    "^(Asset recovery|Cinayət yolu ilə əldə edilmiş əmlakın qaytarılması"
    "|Возврат преступно нажитого имущества)$"
)


def expect_the_same_list(page):
    """The Baku visit alone, found by the topic and the year, which the form still holds."""
    expect(page.get_by_label(re.compile("^(Topic|Mövzu|Тема)$"))).to_have_value(TOPIC_NAMES)
    expect(page.get_by_label(re.compile("^(Year|İl|Год)$"))).to_have_value("2023")
    links = page.locator(".event-list .event-item h3 a")
    expect(links).to_have_count(1)
    expect(links.first).to_have_attribute("href", re.compile(re.escape(EVENT_URL) + "$"))


def test_switching_language_keeps_the_filters_and_the_results(page):
    page.goto("/events/")
    page.get_by_label("Topic", exact=True).fill("Asset recovery")
    page.get_by_label("Year", exact=True).fill("2023")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".result-count")).to_have_text("1 event")
    # The address holds the filled fields, the topic by its slug: the whole query string is
    # kept.
    # The fragment (#results, where focus went) is the list's own, not part of its filters.
    query = "?" + page.url.split("?", 1)[1].split("#", 1)[0]
    assert "topic=asset-recovery" in query and "year=2023" in query

    switch_to(page, "Language", "Azərbaycan dili")
    expect(page).to_have_url(re.compile(re.escape(f"/az/events/{query}") + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "az")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tədbirlər")
    expect(page.locator(".result-count")).to_have_text("1 tədbir")
    expect_the_same_list(page)
    current = page.get_by_role("navigation", name="Dil").locator("[aria-current]")
    expect(current).to_have_text("Azərbaycan dili")

    switch_to(page, "Dil", "Русский")
    expect(page).to_have_url(re.compile(re.escape(f"/ru/events/{query}") + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Мероприятия")
    expect(page.locator(".result-count")).to_have_text("1 мероприятие")
    expect_the_same_list(page)

    # Filtering again in Russian stays in Russian.
    page.get_by_role("button", name="Применить фильтры").click()
    expect(page).to_have_url(re.compile(r"/ru/events/\?"))
    expect_the_same_list(page)

    switch_to(page, "Язык", "English")
    expect(page).to_have_url(re.compile(r"://[^/]+" + re.escape(f"/events/{query}") + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Events")
    expect(page.locator(".result-count")).to_have_text("1 event")
    expect_the_same_list(page)
