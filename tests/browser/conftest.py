"""A real Chromium, driven through Playwright, against pytest-django's live server.

One browser per test session (starting Chromium takes a second or two), a new context per
test, so no cookie, cache or history leaks from one test into the next. Each test loads the
Baku fixture and a few more published events into its own database (`registry`): the live
server runs in another thread, so the data must be committed, which is what pytest-django's
`transactional_db` (implied by `live_server`) gives, on SQLite and on PostgreSQL alike.

Chromium comes from Debian (`apt-get install chromium`); Playwright cannot download its own
browser build here. Without it the tests are skipped, except under CI=true, where that is
a failure.
"""

import datetime as dt
import functools
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from cooperation import roles
from cooperation.models import Delegation, Organization, Place, Status, Topic, Workshop
from cooperation.records import derived
from tests import required

# Playwright's sync API runs an asyncio event loop in this thread, so Django's guard against
# blocking database calls from async code would refuse every ORM call a test (or a fixture's
# teardown) makes while the browser is open. Nothing here is async code: the guard's
# documented switch turns it off.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).parent / "screenshots"


skip_or_fail = functools.partial(required.skip_or_fail, "the browser tests")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        skip_or_fail(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (make install)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def registry(transactional_db, make_event):
    """The Baku record and four more events, so that every filter has something to narrow.

    Published: Baku (2023, asset recovery among its topics), a 2022 study visit to Moscow on
    asset recovery, a 2023 visit on environmental crime, a 2022 conference on extradition.
    A draft 2023 visit on asset recovery must never show.
    """
    call_command("loaddata", "baku_2023", verbosity=0)
    azerbaijan = Organization.objects.get(slug="prosecutor-generals-office-azerbaijan")
    russia = Organization.objects.get(slug="prosecutor-generals-office-russia")
    baku = Place.objects.get(slug="baku")
    moscow = Place.objects.get(slug="moscow")
    topics = Topic.objects.in_bulk(field_name="slug")

    def event(title, slug, start, visit_type, topic, **fields):
        made = make_event(
            title=title,
            slug=slug,
            start_date=start,
            visit_type=visit_type,
            **fields,
        )
        workshop = Workshop.objects.create(
            delegation=made, slug="workshop", title=f"Workshop: {topics[topic].name}", order=1
        )
        workshop.topics.set([topics[topic]])
        # Written through the ORM, not the admin: derived data is refreshed by hand.
        derived.refresh([made.pk])
        return made

    event(
        "Study visit of Azerbaijani prosecutors to Moscow on asset recovery",
        "azerbaijani-prosecutors-study-visit-moscow-2022",
        dt.date(2022, 6, 14),
        Delegation.VisitType.STUDY,
        "asset-recovery",
        sending_organization=azerbaijan,
        host_organization=russia,
        location=moscow,
    )
    event(
        "Working visit on environmental crime prosecution",
        "environmental-crime-working-visit-2023",
        dt.date(2023, 4, 20),
        Delegation.VisitType.WORKING,
        "state-prosecution-in-environmental-crime-cases",
        sending_organization=russia,
        host_organization=azerbaijan,
        location=baku,
    )
    event(
        "Conference on extradition in criminal cases",
        "extradition-conference-2022",
        dt.date(2022, 10, 3),
        Delegation.VisitType.CONFERENCE,
        "extradition-in-criminal-cases",
        sending_organization=russia,
        host_organization=azerbaijan,
        location=baku,
    )
    event(
        "Draft visit on asset recovery",
        "draft-asset-recovery-visit-2023",
        dt.date(2023, 9, 1),
        Delegation.VisitType.WORKING,
        "asset-recovery",
        status=Status.DRAFT,
        sending_organization=russia,
        host_organization=azerbaijan,
        location=baku,
    )


PASSWORD = "a long test password"


@pytest.fixture
def staff(registry, django_user_model):
    """An editor and a publisher, each with the role's group and a password to log in with.

    `migrate` made the groups (cooperation/roles.py), but a live-server test before this
    one emptied the database with `flush`, which does not bring them back: they are made
    again, with the permissions the roles define (nothing is written when they are there).
    """
    roles.sync_roles()

    def member(username, first_name, group):
        user = django_user_model.objects.create_user(
            username, password=PASSWORD, first_name=first_name, is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return SimpleNamespace(
        editor=member("leyla", "Leyla", roles.EDITORS),
        publisher=member("rashad", "Rashad", roles.PUBLISHERS),
    )


def log_in(page, user):
    """Log `user` (one of `staff`) in through the admin's login form."""
    from playwright.sync_api import expect  # imported where used, like the browser

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(f"Welcome, {user.first_name}")


@pytest.fixture
def site(live_server, registry):
    """The live server's base URL, with the registry's records in its database."""
    return live_server.url


def open_context(browser, site, viewport=DESKTOP, **options):
    context = browser.new_context(base_url=site, viewport=viewport, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def page(browser, site):
    """A page in a fresh desktop-sized context."""
    context = open_context(browser, site)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser, site):
    """A page in a fresh context as wide as a small phone."""
    context = open_context(browser, site, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
