"""axe-core finds no WCAG 2.2 A/AA violation on any public page type."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from .conftest import skip_or_fail
from .pages import PAGES

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
})"""


def describe(violation):
    lines = [f"{violation['id']} ({violation['impact']}): {violation['help']}"]
    for node in violation["nodes"]:
        lines.append(f"    at {json.dumps(node['target'])}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "url", "status"), PAGES, ids=[page[0] for page in PAGES])
def test_page_has_no_axe_violations(page, name, url, status):
    if not AXE.is_file():
        skip_or_fail(f"{AXE} is missing (`make install` runs `npm ci`)")
    response = page.goto(url)
    assert response.status == status
    # Evaluated by the browser's driver, not added to the page as a <script>: the site's
    # Content-Security-Policy rightly refuses an inline script without its nonce.
    page.evaluate(AXE.read_text())
    results = page.evaluate(AXE_RUN)
    violations = results["violations"]
    assert not violations, f"{url}:\n" + "\n".join(map(describe, violations))
