"""A many-party meeting entered on its visit's page, as new staff would do it: the meeting,
its five participating offices, its topics and its source in one save, then reviewed and
published; and the slug rule as the admin's script applies it while a title is typed."""

import pytest
from playwright.sync_api import expect

from cooperation.models import Delegation, Meeting, Organization, Status
from tests.slug_cases import CASES, PROGRAMME

from .conftest import log_in, open_context
from .test_csp import violations, watch
from .test_staff_workflow import choose, log_out, messages, row_of, run_action

pytestmark = pytest.mark.browser

VISIT = "Draft visit on asset recovery"
VISIT_URL = "/events/draft-asset-recovery-visit-2023/"
MEETING = "Meeting of the Prosecutors General of five states on asset recovery"
MEETING_SLUG = "meeting-of-the-prosecutors-general-of-five-states-on-asset-recovery"
TOPICS = ["Asset recovery", "Extradition in criminal cases"]
SOURCE = "Trend News Agency: Russian prosecutors' delegation on working visit to Azerbaijan"
# (search, office), in the order they are entered.
OFFICES = [
    ("Republic of Azerbaijan", "Prosecutor General's Office of the Republic of Azerbaijan"),
    ("Russian", "Prosecutor General's Office of the Russian Federation"),
    ("Kazakhstan", "Prosecutor General's Office of the Republic of Kazakhstan"),
    ("Uzbekistan", "Prosecutor General's Office of the Republic of Uzbekistan"),
    ("Belarus", "Prosecutor General's Office of the Republic of Belarus"),
]


@pytest.fixture
def offices(registry):
    for country, code in (("Kazakhstan", "KZ"), ("Uzbekistan", "UZ"), ("Belarus", "BY")):
        Organization.objects.create(
            name=f"Prosecutor General's Office of the Republic of {country}",
            slug=f"prosecutor-generals-office-{country.lower()}",
            country=code,
            kind=Organization.Kind.PROSECUTION_SERVICE,
        )


def test_editor_enters_a_five_party_meeting_on_the_visit_page_and_it_is_published(
    browser, site, staff, offices
):
    staff_context = open_context(browser, site)
    public_context = open_context(browser, site)
    try:
        page = staff_context.new_page()
        console = watch(page)
        log_in(page, staff.editor)
        page.get_by_role("link", name="Delegations", exact=True).click()
        page.get_by_role("link", name=VISIT, exact=True).click()

        # --- The meeting, on the visit's page.
        page.get_by_role("button", name="Add another Meeting", exact=True).click()
        meeting = page.locator("#meetings-0")
        expect(meeting).to_be_visible()
        page.locator("#id_meetings-0-title_en").fill(MEETING)
        page.locator("#id_meetings-0-title_en").press("Tab")
        expect(page.locator("#id_meetings-0-slug")).to_have_value(MEETING_SLUG)
        page.locator("#id_meetings-0-date").fill("2023-09-01")
        for search, topic in zip(("Asset", "Extradition"), TOPICS, strict=True):
            choose(page, "id_meetings-0-topics", search, topic)

        # Its participants: the rows offered, then two more added with "Add another".
        participants = "meetings-0-participants"
        offered = page.locator(f"#{participants}-group .djn-item").count()
        add_participant = meeting.get_by_role(
            "button", name="Add another Meeting participant", exact=True
        )
        for _ in range(len(OFFICES) - offered):
            add_participant.click()
        for index, (search, office) in enumerate(OFFICES):
            choose(page, f"id_{participants}-{index}-organization", search, office)
            side = "Host side" if index == 0 else "Other party"
            page.locator(f"#id_{participants}-{index}-side").select_option(label=side)
        # Each row has a number of its own, the added ones following the offered ones.
        numbers = [
            page.locator(f"#id_{participants}-{index}-order").input_value()
            for index in range(len(OFFICES))
        ]
        assert numbers == ["1", "2", "3", "4", "5"]

        # Its source.
        meeting.get_by_role("button", name="Add another Meeting citation", exact=True).click()
        choose(page, "id_meetings-0-meetingcitation_set-0-source", "Trend", SOURCE)

        page.get_by_role("button", name="Save", exact=True).first.click()
        expect(messages(page)).to_have_text([f"The delegation “{VISIT}” was changed successfully."])
        assert violations(page, console) == []

        saved = Meeting.objects.get(slug=MEETING_SLUG)
        assert [(p.order, p.organization.name) for p in saved.participants.all()] == [
            (number, office) for number, (_, office) in enumerate(OFFICES, start=1)
        ]
        assert sorted(topic.name for topic in saved.topics.all()) == TOPICS
        assert [str(source) for source in saved.sources.all()] == [SOURCE]

        # The visit's page shows it all again, as saved.
        page.locator("#result_list").get_by_role("link", name=VISIT, exact=True).click()
        for index, (_, office) in enumerate(OFFICES):
            expect(
                page.locator(f"#id_{participants}-{index}-organization option:checked")
            ).to_have_text(office)
        expect(
            page.locator("#id_meetings-0-meetingcitation_set-0-source option:checked")
        ).to_have_text(SOURCE)

        # --- Reviewed and published.
        page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
            "link", name="Delegations"
        ).click()
        run_action(page, VISIT, "Submit for review")
        expect(messages(page)).to_have_text(["1 delegation submitted for review."])
        log_out(page)
        log_in(page, staff.publisher)
        page.get_by_role("link", name="Delegations", exact=True).click()
        run_action(page, VISIT, "Publish")
        expect(messages(page)).to_have_text(["1 delegation published."])
        expect(row_of(page, VISIT).locator(".field-status")).to_have_text("Published")
        assert Delegation.objects.get(title=VISIT).status == Status.PUBLISHED

        # --- The public event page shows the meeting, its five offices in order, its topics.
        visitor = public_context.new_page()
        assert visitor.goto(VISIT_URL).status == 200
        shown = visitor.locator(f"#meeting-{MEETING_SLUG}")
        expect(shown.get_by_role("heading", level=3)).to_have_text(MEETING)
        offices_shown = shown.locator("h4:has-text('Participants') + ul li a")
        expect(offices_shown).to_have_text([office for _, office in OFFICES])
        expect(shown.locator(".topics a")).to_have_text(TOPICS)
    finally:
        staff_context.close()
        public_context.close()


def test_the_admin_slug_script_follows_the_registry_rule(page, staff):
    log_in(page, staff.editor)
    page.goto("/admin/cooperation/delegation/add/")
    answers = page.evaluate(
        "(cases) => cases.map(([text, max]) => window.registrySlug.slugFor(text, max))",
        [[text, max_length] for text, max_length, _ in CASES],
    )
    assert answers == [slug for _, _, slug in CASES]

    # As typed: the title's slug is cut at a word, the programme's years kept.
    maxlength = int(page.locator("#id_slug").get_attribute("maxlength"))
    page.locator("#id_title_en").fill(PROGRAMME)
    page.locator("#id_title_en").press("Tab")
    slug = page.locator("#id_slug").input_value()
    assert len(slug) <= maxlength
    assert slug.endswith("-2021-2023")
    assert slug == page.evaluate(
        "([text, max]) => window.registrySlug.slugFor(text, max)", [PROGRAMME, maxlength]
    )
