"""Settings read from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def settings_under(**env):
    """DATABASES as a fresh process builds it from `env`."""
    code = (
        "import json, django; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_statement_timeout_applies_to_postgresql_only():
    postgres = "postgres://user@127.0.0.1:5432/registry"
    assert (
        settings_under(DATABASE_URL=postgres, DATABASE_STATEMENT_TIMEOUT="30")["options"]
        == "-c statement_timeout=30000"
    )
    assert "options" not in settings_under(DATABASE_URL=postgres, DATABASE_STATEMENT_TIMEOUT="")
    assert "options" not in settings_under(
        DATABASE_URL="sqlite:///:memory:", DATABASE_STATEMENT_TIMEOUT="30"
    )


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    postgres = "postgres://user@127.0.0.1:5432/registry"
    # psycopg prepares a statement run this many times on a connection (only the version
    # read binds on the server: cooperation/registry_version.py).
    assert settings_under(DATABASE_URL=postgres)["prepare_threshold"] == 5
    off = settings_under(DATABASE_URL=postgres, DATABASE_PREPARED_STATEMENTS="false")
    assert off["prepare_threshold"] is None
    assert "prepare_threshold" not in settings_under(DATABASE_URL="sqlite:///:memory:")


def test_the_postgresql_test_run_has_a_statement_timeout(db):
    # `make test-postgres` sets DATABASE_STATEMENT_TIMEOUT=120: a runaway query fails in two
    # minutes instead of holding its locks until CI gives up.
    if connection.vendor != "postgresql" or not os.environ.get("DATABASE_STATEMENT_TIMEOUT"):
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "2min"
