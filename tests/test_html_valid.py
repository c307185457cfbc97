"""Every public page type is valid HTML5, as the Nu Html Checker (vnu.jar) reads it, and
every id its ARIA attributes, labels and in-page links point at is on the page.

The pages are rendered once through Django's test client with the Baku fixture loaded, and
the checker runs once over all of them: its JVM takes seconds to start, so one run per test
session, and one test per page so that a failure names the page.

vnu.jar comes from `npm ci` (package.json); it needs `java`. Where either is missing the
tests are skipped, except under CI=true, where a missing checker is a failure.
"""

import functools
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from tests import required
from tests.browser.admin_pages import ADMIN_PAGE_NAMES, add_occasion, admin_pages
from tests.browser.pages import PAGES

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


skip_or_fail = functools.partial(required.skip_or_fail, "the HTML checker")


def render_pages(directory):
    """Each page's file and status, with the fixture loaded for the length of the rendering."""
    rendered = {}
    with transaction.atomic():
        call_command("loaddata", "baku_2023", verbosity=0)
        client = Client()
        for name, url, _ in PAGES:
            response = client.get(url)
            path = directory / f"{name}.html"
            path.write_bytes(response.content)
            rendered[name] = (path, response.status_code)
        render_admin_pages(directory, rendered)
        # Nothing of this module's data outlives it: the tests after it start from empty.
        transaction.set_rollback(True)
    return rendered


def render_admin_pages(directory, rendered):
    """The admin pages of tests/browser/admin_pages.py, the sign-in page before signing in
    and the others as a superuser."""
    add_occasion()
    user = get_user_model().objects.create_superuser("chief", password="a long passphrase")
    client = Client()
    for name, url in admin_pages():
        if name != "admin-login" and "_auth_user_id" not in client.session:
            client.force_login(user)
        response = client.get(url)
        path = directory / f"{name}.html"
        path.write_bytes(response.content)
        rendered[name] = (path, response.status_code)


@pytest.fixture(scope="module")
def rendered_pages(django_db_setup, django_db_blocker, tmp_path_factory):
    """Per page name: (the HTML file, the status it was served with)."""
    with django_db_blocker.unblock():
        return render_pages(tmp_path_factory.mktemp("html"))


@pytest.fixture(scope="module")
def checked_pages(rendered_pages):
    """Per page name: (status, the checker's error messages)."""
    java = shutil.which("java")
    if java is None:
        skip_or_fail("java is not installed (Debian: apt-get install default-jre-headless)")
    if not VNU_JAR.is_file():
        skip_or_fail(f"{VNU_JAR} is missing (run `make install`, which runs `npm ci`)")

    rendered = rendered_pages
    files = [str(path) for path, _ in rendered.values()]
    result = subprocess.run(
        [java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--errors-only"]
        + files,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # vnu exits 1 when it found errors; the JSON tells which. Anything unreadable is a fault
    # of the checker run itself.
    try:
        messages = json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(
            f"vnu.jar gave no JSON report (exit {result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}",
            pytrace=False,
        )
    by_name = {}
    for name, (path, status) in rendered.items():
        found = [m for m in messages if m.get("url", "").endswith("/" + path.name)]
        by_name[name] = (status, found)
    unplaced = [m for m in messages if not any(m in found for _, found in by_name.values())]
    if unplaced:
        pytest.fail(f"vnu.jar reported messages for no page: {unplaced}", pytrace=False)
    return by_name


def describe(message):
    where = f"line {message.get('lastLine', '?')}, column {message.get('lastColumn', '?')}"
    extract = message.get("extract", "").strip().replace("\n", " ")
    return f"- {message.get('type')}: {message.get('message')} ({where}): {extract}"


# The mark makes pytest-django create the test database that `checked_pages` renders from.
@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url", "status"), PAGES, ids=[page[0] for page in PAGES])
def test_page_is_valid_html(checked_pages, name, url, status):
    got_status, errors = checked_pages[name]
    assert got_status == status, f"{url} answered {got_status}, expected {status}"
    assert not errors, f"{url} is not valid HTML:\n" + "\n".join(map(describe, errors))


# The admin's pages: the sign-in page, and the changelists and forms staff work in.
@pytest.mark.django_db
@pytest.mark.parametrize("name", ADMIN_PAGE_NAMES)
def test_admin_page_is_valid_html(checked_pages, name):
    status, errors = checked_pages[name]
    assert status == 200, f"{name} answered {status}"
    assert not errors, f"{name} is not valid HTML:\n" + "\n".join(map(describe, errors))


class IdReferences(HTMLParser):
    """The ids a page has, and the ids it points at (ARIA relations, labels, #fragment links)."""

    IDREF_ATTRIBUTES = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-owns")

    def __init__(self):
        super().__init__()
        self.ids = set()
        self.references = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in self.IDREF_ATTRIBUTES:
            for ref in (attrs.get(name) or "").split():
                self.references.append((f"<{tag} {name}>", ref))
        if tag == "label" and attrs.get("for"):
            self.references.append(("<label for>", attrs["for"]))
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.references.append(("<a href>", href[1:]))


# Neither checker fails a dangling reference (axe only lists it for review), yet a screen
# reader then reads no error message for a field, and a link to "#…" goes nowhere.
@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url", "status"), PAGES, ids=[page[0] for page in PAGES])
def test_page_points_only_at_ids_it_has(rendered_pages, name, url, status):
    assert_points_only_at_ids_it_has(rendered_pages[name][0], url)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ADMIN_PAGE_NAMES)
def test_admin_page_points_only_at_ids_it_has(rendered_pages, name):
    assert_points_only_at_ids_it_has(rendered_pages[name][0], name)


def assert_points_only_at_ids_it_has(path, label):
    parser = IdReferences()
    parser.feed(path.read_text(encoding="utf-8"))
    dangling = [(where, ref) for where, ref in parser.references if ref not in parser.ids]
    assert parser.references, f"{label}: no reference found at all; is the parser reading it?"
    assert not dangling, f"{label} points at ids it does not have: {dangling}"
