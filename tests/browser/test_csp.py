"""The Content-Security-Policy in a real browser: every page renders, and Chromium reports no
violation on any public page or on the admin pages staff use every day.

Violations are caught twice: the page's `securitypolicyviolation` events (listened to from
before any of the page's own content runs) and Chromium's console, where a blocked inline
script or style is also reported.
"""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cooperation.models import Delegation

from .pages import EVENT_URL, PAGES

pytestmark = pytest.mark.browser

PASSWORD = "a long and careful passphrase"
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watch(page):
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.add_init_script(LISTEN)
    return console


def violations(page, console):
    return page.evaluate("window.__violations") + console


def test_public_pages_render_with_no_policy_violation(page):
    console = watch(page)
    for name, url, status in PAGES:
        if status != 200:
            continue
        response = page.goto(url)
        assert response.status == 200, name
        assert "default-src 'none'" in response.headers["content-security-policy"]
        expect(page.locator("h1")).to_be_visible()
        # The stylesheet applied: the header is laid out by site.css, not the browser.
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.site-header')).display")
            != "inline"
        ), name
        assert violations(page, console) == [], name


def test_the_event_pages_json_ld_is_allowed_by_its_nonce(page):
    console = watch(page)
    response = page.goto(EVENT_URL)
    nonce = page.evaluate("document.querySelector('script[type=\"application/ld+json\"]').nonce")
    assert nonce and f"'nonce-{nonce}'" in response.headers["content-security-policy"]
    assert violations(page, console) == []


def test_admin_pages_work_with_no_policy_violation(page, site, registry):
    get_user_model().objects.create_superuser("chief", password=PASSWORD)
    visit = Delegation.objects.get(slug="russian-prosecutors-working-visit-baku-2023")
    console = watch(page)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_be_visible()

    for url in (
        "/admin/",
        "/admin/cooperation/delegation/",
        "/admin/cooperation/delegation/?q=Baku",
        f"/admin/cooperation/delegation/{visit.pk}/change/",
        "/admin/cooperation/delegation/add/",
        f"/admin/cooperation/delegation/{visit.pk}/history/",
        "/admin/cooperation/organization/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        assert violations(page, console) == [], url

    # The scripted widgets still work: the autocomplete opens and searches, the calendar
    # opens, and an inline row can be added.
    page.goto(f"/admin/cooperation/delegation/{visit.pk}/change/")
    page.locator("#id_start_date").locator("xpath=..").get_by_role(
        "link", name="Choose a Date"
    ).click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#select2-id_location-container").click()
    page.locator(".select2-container--open .select2-search__field").fill("Mos")
    expect(page.locator(".select2-results__option", has_text="Moscow")).to_be_visible()
    page.keyboard.press("Escape")
    assert violations(page, console) == []
