"""A visit recorded, reviewed and published through the admin, as new staff would do it.

An editor logs in, records a visit with its delegation, source and activities through the
admin's forms and autocompletes, and submits it for review; a publisher logs in and
publishes it; a visitor, who could not see it before, then finds it in the public list.
"""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from cooperation.models import Delegation, Status

from .conftest import log_in, open_context

pytestmark = pytest.mark.browser

TITLE = "Working visit of Russian prosecutors to Baku on the protection of minors"
SLUG = "working-visit-of-russian-prosecutors-to-baku-on-the-protection-of-minors"
EVENT_URL = f"/events/{SLUG}/"
AZERBAIJAN = "Prosecutor General's Office of the Republic of Azerbaijan"
RUSSIA = "Prosecutor General's Office of the Russian Federation"
PROGRAM = (
    "Cooperation Program between the Prosecutor General's Offices of Azerbaijan and Russia "
    "for 2021-2023"
)
SOURCE = "Trend News Agency: Russian prosecutors' delegation on working visit to Azerbaijan"
BUILDING = "New administrative building of the Prosecutor General's Office of Azerbaijan"
MEETING = "Talks at the Prosecutor General's Office of Azerbaijan"
WORKSHOP = "Workshop on juvenile justice"
TOPICS = ["Combating crimes against minors", "Protection of the rights of minors"]
SITE_VISIT = "Visit to the Heydar Aliyev Center"


def log_out(page):
    # The admin's logout is a form posted by the button in the page header.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in again")).to_be_visible()


def choose(page, field_id, search, option, among=None):
    """Pick `option` in the autocomplete of the select `field_id`: open the widget, type
    `search`, wait until the results are those of the search (`among`, or `option` alone)
    rather than the list shown on opening, and click `option`."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    # One search box is open at a time: the dropdown's, or the box inside a multiple choice.
    search_box = page.locator(".select2-container--open .select2-search__field")

    def answers_search(response):
        query = parse_qs(urlparse(response.url).query)
        return "/admin/autocomplete/" in response.url and query.get("term") == [search]

    with page.expect_response(answers_search):
        search_box.fill(search)
    results = page.locator(".select2-container--open .select2-results__option")
    expect(results).to_have_text(among or [option])
    results.filter(has_text=re.compile(f"^{re.escape(option)}$")).click()
    expect(page.locator(f"#{field_id} option:checked")).to_contain_text([option])


def add_inline_row(page, prefix, link_text, index=0):
    page.get_by_role("button", name=link_text, exact=True).click()
    expect(page.locator(f"#{prefix}-{index}")).to_be_visible()


def fill_activity(page, prefix, title, slug, date):
    page.locator(f"#id_{prefix}-0-title_en").fill(title)
    page.locator(f"#id_{prefix}-0-title_en").press("Tab")
    expect(page.locator(f"#id_{prefix}-0-slug")).to_have_value(slug)
    page.locator(f"#id_{prefix}-0-date").fill(date)


def messages(page):
    """What the admin says after a save or an action; one item per message."""
    return page.locator(".messagelist li")


def action_menu(page):
    # Its label wraps it together with the options' text, so it is found by name.
    return page.locator("select[name=action]")


def run_action(page, title, action):
    page.get_by_role("checkbox", name=f"Select this object for an action - {title}").check()
    action_menu(page).select_option(label=action)
    page.get_by_role("button", name="Go", exact=True).click()


def action_labels(page):
    return action_menu(page).locator("option").all_inner_texts()


def row_of(page, title):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))


def test_editor_records_a_visit_publisher_publishes_it_and_the_public_sees_it(browser, site, staff):
    staff_context = open_context(browser, site)
    public_context = open_context(browser, site)
    try:
        page = staff_context.new_page()
        visitor = public_context.new_page()

        # --- The editor records the visit.
        log_in(page, staff.editor)
        page.get_by_role("link", name="Delegations", exact=True).click()
        page.get_by_role("link", name="Add delegation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add delegation")

        # The English title, next to the Azerbaijani and Russian ones.
        page.locator("#id_title_en").fill(TITLE)
        page.locator("#id_title_en").press("Tab")
        expect(page.locator("#id_slug")).to_have_value(SLUG)
        choose(page, "id_sending_organization", "Russian", RUSSIA)
        choose(page, "id_host_organization", "Republic of Azerbaijan", AZERBAIJAN)
        choose(page, "id_program", "2021-2023", PROGRAM)
        page.get_by_label("Visit type").select_option(label="Working visit")
        page.locator("#id_start_date").fill("2023-05-15")
        page.locator("#id_end_date").fill("2023-05-17")
        # The museum's slug names the city, so both are found.
        choose(page, "id_location", "Baku", "Baku", among=["Baku", "Victory Museum"])
        page.locator("#id_summary_en").fill(
            "Prosecutors compared how their services protect children."
        )

        # The members' table offers one empty row.
        # Listed once, though another recorded spelling of his name matches too.
        choose(page, "id_members-0-person", "Krasnov", "Igor Krasnov")
        page.locator("#id_members-0-role_en").fill("Prosecutor General")
        page.locator("#id_members-0-is_head").check()

        add_inline_row(page, "delegationcitation_set", "Add another Delegation citation")
        choose(page, "id_delegationcitation_set-0-source", "Trend", SOURCE)

        add_inline_row(page, "meetings", "Add another Meeting")
        fill_activity(
            page,
            "meetings",
            MEETING,
            "talks-at-the-prosecutor-generals-office-of-azerbaijan",
            "2023-05-15",
        )
        choose(page, "id_meetings-0-place", "administrative building", BUILDING)
        choose(page, "id_meetings-0-host_organization", "Republic of Azerbaijan", AZERBAIJAN)

        add_inline_row(page, "workshops", "Add another Workshop")
        fill_activity(page, "workshops", WORKSHOP, "workshop-on-juvenile-justice", "2023-05-16")
        choose(page, "id_workshops-0-place", "administrative building", BUILDING)
        choose(page, "id_workshops-0-topics", "crimes against", TOPICS[0])
        choose(page, "id_workshops-0-topics", "rights of minors", TOPICS[1])
        expect(page.locator("#id_workshops-0-topics option:checked")).to_have_text(TOPICS)

        add_inline_row(page, "site_visits", "Add another Site visit")
        fill_activity(
            page, "site_visits", SITE_VISIT, "visit-to-the-heydar-aliyev-center", "2023-05-17"
        )
        choose(page, "id_site_visits-0-place", "Heydar", "Heydar Aliyev Center")

        page.get_by_role("button", name="Save", exact=True).first.click()
        expect(messages(page)).to_have_text([f"The delegation “{TITLE}” was added successfully."])
        expect(row_of(page, TITLE).locator(".field-status")).to_have_text("Draft")

        # An editor may submit the visit for review, but is offered no way to publish it.
        labels = action_labels(page)
        assert "Submit for review" in labels
        assert "Publish" not in labels
        run_action(page, TITLE, "Submit for review")
        expect(messages(page)).to_have_text(["1 delegation submitted for review."])
        expect(row_of(page, TITLE).locator(".field-status")).to_have_text("In review")

        # Until it is published, the public neither lists it nor opens it.
        visitor.goto("/events/")
        expect(visitor.locator(".result-count")).to_have_text("4 events")
        expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
        assert visitor.goto(EVENT_URL).status == 404

        log_out(page)

        # --- The publisher publishes it.
        log_in(page, staff.publisher)
        page.get_by_role("link", name="Delegations", exact=True).click()
        expect(row_of(page, TITLE).locator(".field-status")).to_have_text("In review")
        assert "Publish" in action_labels(page)
        run_action(page, TITLE, "Publish")
        expect(messages(page)).to_have_text(["1 delegation published."])
        expect(row_of(page, TITLE).locator(".field-status")).to_have_text("Published")
        published = Delegation.objects.get(slug=SLUG)
        assert (published.status, published.published_by) == (Status.PUBLISHED, staff.publisher)

        # --- The visitor, with the list they saw before in the cache, now finds the visit.
        visitor.goto("/events/")
        expect(visitor.locator(".result-count")).to_have_text("5 events")
        visitor.locator(".event-list").get_by_role("link", name=TITLE, exact=True).click()
        expect(visitor).to_have_url(re.compile(re.escape(EVENT_URL) + "$"))
        expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
        facts = visitor.locator(".facts")
        expect(facts).to_contain_text(AZERBAIJAN)
        expect(facts).to_contain_text(RUSSIA)
        expect(facts).to_contain_text("Baku")
        expect(facts.get_by_role("link", name=PROGRAM)).to_be_visible()
        expect(visitor.locator("#people-heading + ul li")).to_have_text(
            ["Igor Krasnov, Prosecutor General (head of delegation)"]
        )

        activities = visitor.locator(".timeline > li")
        expect(activities.locator("h3")).to_have_text([MEETING, WORKSHOP, SITE_VISIT])
        expect(activities.locator(".activity-when")).to_have_text(
            [re.compile(r"· Meeting$"), re.compile(r"· Workshop$"), re.compile(r"· Site visit$")]
        )
        expect(activities.nth(0)).to_contain_text(f"Place: {BUILDING}")
        expect(activities.nth(0)).to_contain_text(f"Hosted by {AZERBAIJAN}")
        expect(activities.nth(1).locator(".topics li")).to_have_text(TOPICS)
        expect(activities.nth(2)).to_contain_text("Place: Heydar Aliyev Center")
        expect(
            visitor.get_by_text("Russian prosecutors' delegation on working visit")
        ).to_be_visible()
    finally:
        staff_context.close()
        public_context.close()
