"""The admin as staff meet it with a screen reader, a keyboard or a 1,280 px window.

axe-core finds no violation (WCAG 2.2 A/AA and axe's best practices) on the sign-in page and
on the changelist, add form and change form of the visit, the programme and the reference
records a visit names (tests/browser/admin_pages.py): every input the project draws has a
name, the autocomplete boxes included (cooperation/static/cooperation/admin/
autocomplete_names.js). The visit's page, the longest form, fits a 1,280 px window with
every row open: a field's translations fold under its English text, an activity's fields
under its title (templates/admin/includes/fieldset.html, templates/admin/nesting/); and the
visits' changelist shows title, dates, type and status in the window.

One browser page serves the module's tests; each signs in again, since each test starts
from an empty database. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""

import pytest
from playwright.sync_api import expect

from .admin_pages import add_occasion, admin_pages
from .conftest import DESKTOP, open_context
from .test_accessibility import AXE, describe

pytestmark = pytest.mark.browser

# The public pages' rules (tests/browser/test_accessibility.py) and axe's best practices,
# which name what the admin lacked: a level-one heading on the sign-in page, a visible
# label on the search box.
AXE_RUN = """axe.run(document, {
    runOnly: {type: 'tag', values: [
        'wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'
    ]}
})"""
PASSWORD = "a long and careful passphrase"
WIDTH = DESKTOP["width"]
VISIT_TITLE = "Working visit of the Russian Prosecutor General's Office delegation to Baku"


@pytest.fixture(scope="module")
def admin_page(browser, live_server):
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing (`make install` runs `npm ci`)")
    context = open_context(browser, live_server.url)
    yield context.new_page()
    context.close()


@pytest.fixture
def signed_in(admin_page, registry, django_user_model):
    """The module's page, signed in as a superuser, over the registry and an occasion."""
    add_occasion()
    django_user_model.objects.create_superuser("chief", password=PASSWORD)
    admin_page.context.clear_cookies()
    admin_page.goto("/admin/login/")
    admin_page.get_by_label("Username").fill("chief")
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Log in").click()
    expect(admin_page.locator("#user-tools")).to_be_visible()
    return admin_page


def axe_violations(page):
    # Evaluated by the driver, not added as a <script>: the policy refuses inline scripts.
    page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)["violations"]


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def unfold_everything(page):
    """Every folded group opened, and a new row added to the members' table and to the
    first meeting's participants, as staff entering a visit would."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.get_by_role("button", name="Add another Delegation member", exact=True).click()
    meeting = page.locator("#meetings-0")
    meeting.get_by_role("button", name="Add another Meeting participant", exact=True).click()
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def test_sign_in_page_has_a_heading_and_no_axe_violation(admin_page):
    admin_page.context.clear_cookies()
    response = admin_page.goto("/admin/login/")
    assert response.status == 200
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Log in")
    found = axe_violations(admin_page)
    assert not found, "/admin/login/:\n" + "\n".join(map(describe, found))


def test_admin_pages_have_no_axe_violation(signed_in):
    page = signed_in
    problems = {}
    for name, url in admin_pages()[1:]:
        response = page.goto(url)
        assert response.status == 200, url
        found = axe_violations(page)
        if name == "admin-delegation-change":
            # What the folded groups and the rows added by "Add another" hold, too.
            unfold_everything(page)
            found += axe_violations(page)
        if found:
            problems[url] = "\n".join(map(describe, found))
    assert not problems, "\n".join(f"{url}:\n{text}" for url, text in problems.items())


def test_visit_pages_fit_a_1280_px_window(signed_in, screenshots):
    page = signed_in

    # --- The changelist: title, dates, type and status in the window.
    page.goto("/admin/cooperation/delegation/")
    assert page_width(page) <= WIDTH
    for column in ("title", "start_date", "end_date", "visit_type", "status"):
        # Fully inside the window and inside the table's own scrolling box.
        expect(page.locator(f"#result_list thead th.column-{column}")).to_be_in_viewport(ratio=1)
    page.screenshot(path=str(screenshots / f"admin-visit-list-{WIDTH}.png"), full_page=True)

    # --- The visit's page, as it opens.
    page.get_by_role("link", name=VISIT_TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change delegation")
    assert page_width(page) <= WIDTH
    page.screenshot(path=str(screenshots / f"admin-visit-{WIDTH}.png"), full_page=True)

    # A field's other languages fold under its English text.
    expect(page.locator("#id_title_en")).to_be_visible()
    expect(page.locator("#id_title_az")).to_be_hidden()
    # The visit's own title row comes first; each activity has one of its own.
    page.locator(".form-row.field-title_en").first.get_by_text("Title in other languages").click()
    expect(page.locator("#id_title_az")).to_be_visible()
    expect(page.locator("#id_title_ru")).to_be_visible()

    # A saved meeting's fields fold under its title; its Delete box stays beside the title.
    meeting = page.locator("#meetings-0")
    expect(meeting.locator("#id_meetings-0-title_en")).to_be_hidden()
    controls = [page.locator("#id_meetings-0-DELETE")]
    meeting.get_by_text("Details of this meeting").click()
    expect(meeting.locator("#id_meetings-0-title_en")).to_be_visible()
    # Order and Delete of each table's rows within the window's width.
    controls += [
        page.locator("#id_meetings-0-order"),
        page.locator("#id_meetings-0-participants-0-order"),
        page.locator("#id_meetings-0-participants-0-DELETE"),
        page.locator("#id_delegationcitation_set-0-order"),
        page.locator("#id_delegationcitation_set-0-DELETE"),
    ]
    for control in controls:
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, control
    assert page_width(page) <= WIDTH

    # Every group open and a row added to each table: still no scrolling sideways.
    unfold_everything(page)
    assert page_width(page) <= WIDTH
    page.screenshot(path=str(screenshots / f"admin-visit-unfolded-{WIDTH}.png"), full_page=True)
