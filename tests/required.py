"""A part some tests need that a machine may lack (a browser, a server, a checker).

On a developer's machine such tests are skipped, with the reason and the package that
brings the part; under CI=true, where .ci/run installs every part, a missing one is a
failure, never a skip.
"""

import os

import pytest


def skip_or_fail(needs, reason):
    """Skip, or under CI=true fail, saying that `needs` (e.g. "the browser tests") cannot
    run for `reason`."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs {needs}: {reason}", pytrace=False)
    pytest.skip(reason)
