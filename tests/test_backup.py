"""Backups: `manage.py backup` and `manage.py restore` (cooperation/backups.py).

The round trip is judged the way an installation would live it: the registry is backed up,
the database emptied with `flush` (as a new installation's is), the backup restored, and
then every row must be back with its id and natural keys, every record's history still its
own, and every public page the same to the byte. Those tests run with `transaction=True`,
so that the restore commits for real, as it does outside the tests.

The pg_dump copy is tested on PostgreSQL only: pg_restore must read it back into a new
database with the rows the manifest counts. Where pg_dump is missing that test is skipped,
except under CI=true, where it is a failure.
"""

import datetime as dt
import functools
import io
import json
import re
import subprocess
import uuid

import psycopg
import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from cooperation import backups, roles
from cooperation.models import (
    Delegation,
    EventTerm,
    EventTermCount,
    EventTermList,
    Organization,
    Status,
    Topic,
)
from cooperation.records import derived
from tests import required
from tests.browser.pages import EVENT_URL, PAGES

VISIT = "russian-prosecutors-working-visit-baku-2023"

# Every public page type over the Baku records, and the other things the public reads.
PUBLIC_URLS = [url for _, url, _ in PAGES] + [
    f"{EVENT_URL}calendar.ics",
    "/events/export.csv",
    "/events/export.json",
    "/feeds/events.atom",
    "/sitemap.xml",
]


def backup(directory, *args):
    out = io.StringIO()
    call_command("backup", str(directory), *args, stdout=out)
    return out.getvalue()


def restore(directory, *args):
    out = io.StringIO()
    call_command("restore", str(directory), *args, stdout=out)
    return out.getvalue()


def empty_database():
    call_command("flush", interactive=False, verbosity=0)
    assert not Delegation.objects.exists() and not User.objects.exists()


def make_roles():
    """The Editors and Publishers groups, as `migrate` makes them on a fresh database
    (`flush` removes them and does not make them again)."""
    roles.sync_roles()


def build_registry():
    """The Baku records and what a year of staff work adds to them: accounts with roles, an
    edit by a publisher, a draft, a record deleted (so ids have gaps, and a version names a
    record that is gone), and the admin's log of it."""
    make_roles()
    call_command("loaddata", "baku_2023", verbosity=0)
    publisher = User.objects.create_user("publisher", password="a long passphrase", is_staff=True)
    publisher.groups.add(Group.objects.get(name=roles.PUBLISHERS))
    User.objects.create_superuser("admin", password="another long passphrase")

    visit = Delegation.objects.get(slug=VISIT)
    visit._history_user = publisher
    visit.purpose = "Talks on extradition and asset recovery."
    visit.save()
    # As the admin does after a save: the search text holds the new purpose.
    derived.refresh([visit.pk])
    LogEntry.objects.create(
        user=publisher,
        content_type=ContentType.objects.get_for_model(Delegation),
        object_id=str(visit.pk),
        object_repr=str(visit),
        action_flag=CHANGE,
        change_message="Changed purpose.",
    )

    draft = Delegation.objects.create(
        slug="draft-return-visit",
        title="Return visit to Moscow",
        sending_organization=visit.host_organization,
        host_organization=visit.sending_organization,
        location=visit.location,
        visit_type=Delegation.VisitType.WORKING,
        start_date=dt.date(2024, 5, 20),
        status=Status.DRAFT,
    )
    derived.refresh([draft.pk])

    broader = Topic.objects.create(slug="mutual-legal-assistance", name="Mutual legal assistance")
    narrower = Topic.objects.create(
        slug="letters-rogatory", name="Letters rogatory", parent=broader
    )
    narrower.parent = None
    narrower.save()
    broader.delete()


def public_pages(client):
    """Each public page's status and body, read from the database (not the page cache).

    The bodies are compared, not the headers, whose validators change with every write; a
    CSP nonce changes with every response, so it is masked.
    """
    cache.clear()
    pages = {}
    for url in PUBLIC_URLS:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        pages[url] = (response.status_code, re.sub(rb'nonce="[^"]*"', b'nonce="-"', body))
    return pages


def snapshot():
    """Every row a backup holds, with its id, field by field, references as natural keys
    (history rows as stored), plus the derived search data the restore rebuilds."""
    tables = {}
    for model in backups.record_models() + backups.history_models():
        natural = model._meta.app_label != backups.HISTORY_APP
        rows = serializers.serialize(
            "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=natural
        )
        for row in rows:
            for name, value in row["fields"].items():
                if isinstance(value, list):
                    row["fields"][name] = sorted(value)
        tables[model._meta.label] = [(row["pk"], row["fields"]) for row in rows]
    tables["search text"] = list(Delegation.objects.order_by("pk").values_list("pk", "search_text"))
    tables["event index"] = sorted(
        EventTerm.objects.values_list("delegation_id", "term", "start_date")
    )
    tables["event counts"] = sorted(EventTermCount.objects.values_list("term", "events"))
    tables["event lists"] = sorted(
        (visit, sorted(terms.split(" ")))
        for visit, terms in EventTermList.objects.values_list("delegation_id", "terms")
    )
    return tables


def every_table_count():
    """Rows of every table Django knows of: what "nothing was written" is checked against."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
    }


# --- The round trip -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_emptied_database_gives_back_the_same_rows_and_pages(tmp_path, client):
    build_registry()
    before, pages_before = snapshot(), public_pages(client)
    assert pages_before[EVENT_URL][0] == 200 and b"Baku" in pages_before[EVENT_URL][1]

    backup(tmp_path / "backup", "--no-pg-dump")
    empty_database()
    # What `migrate` leaves in a new database before the restore: the staff roles.
    make_roles()
    output = restore(tmp_path / "backup")

    assert "as many of each as the backup holds" in output
    assert snapshot() == before
    assert public_pages(client) == pages_before


@pytest.mark.django_db(transaction=True)
def test_restored_history_is_the_backups_without_a_version_for_the_restore(tmp_path):
    build_registry()
    visit = Delegation.objects.get(slug=VISIT)
    versions = list(visit.history.values_list("history_type", "history_change_reason"))

    backup(tmp_path / "backup", "--no-pg-dump")
    empty_database()
    restore(tmp_path / "backup")

    visit = Delegation.objects.get(slug=VISIT)
    assert list(visit.history.values_list("history_type", "history_change_reason")) == versions
    assert visit.history.first().history_user.username == "publisher"
    assert not Delegation.history.filter(history_change_reason__contains="records.json")


@pytest.mark.django_db(transaction=True)
def test_restored_database_takes_new_records_and_edits(tmp_path):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    empty_database()
    restore(tmp_path / "backup")

    # Each table's next id comes after the restored ones (PostgreSQL's sequences included).
    topic = Topic.objects.create(slug="extradition-law", name="Extradition law")
    organization = Organization.objects.get(slug="prosecutor-generals-office-azerbaijan")
    organization.name += " (renamed)"
    organization.save()

    assert topic.history.get().history_type == "+"
    assert organization.history.first().history_type == "~"


# --- What a backup holds ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_leaves_out_only_what_migrate_makes_sessions_lockouts_and_derived_data(
    tmp_path,
):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")

    in_backup = {
        record["model"]
        for name in (backups.RECORDS, backups.HISTORY)
        for record in json.loads((tmp_path / "backup" / name).read_text(encoding="utf-8"))
    }
    manifest = json.loads((tmp_path / "backup" / backups.MANIFEST).read_text(encoding="utf-8"))
    counted = set(manifest["counts"])
    left_out = {model._meta.label_lower for model in apps.get_models()} - counted
    made_by_migrate = {"contenttypes.contenttype", "auth.permission"}
    derived = {"cooperation.eventterm", "cooperation.eventtermcount", "cooperation.eventtermlist"}

    assert in_backup <= counted
    assert {"auth.user", "auth.group", "admin.logentry", "cooperation.delegation"} <= in_backup
    assert "cooperation_history.historicaldelegation" in in_backup
    assert all(
        label in made_by_migrate | derived or label.split(".")[0] in ("sessions", "axes")
        for label in left_out
    ), left_out
    assert manifest["counts"]["cooperation.delegation"] == 2
    # The latest migration the database has, as the migration loader names it.
    latest = max(
        name
        for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        if app == "cooperation"
    )
    assert manifest["migrations"]["cooperation"] == [latest]


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_a_folder_that_holds_files(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(CommandError, match="already exists and is not an empty folder"):
        backup(tmp_path / "backup", "--no-pg-dump")

    assert [path.name for path in (tmp_path / "backup").iterdir()] == ["notes.txt"]


# --- What a restore refuses ---------------------------------------------------------------


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "a changed byte in the records": (backups.RECORDS, flip_a_byte, "is damaged"),
    "a changed byte in the history": (backups.HISTORY, flip_a_byte, "is damaged"),
    "the history cut short": (backups.HISTORY, cut_in_half, "is damaged"),
    "the records missing": (backups.RECORDS, lambda path: path.unlink(), "is missing"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_backup_is_refused_and_nothing_is_written(tmp_path, damage):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    empty_database()
    before = every_table_count()
    name, damage_it, problem = DAMAGE[damage]
    damage_it(tmp_path / "backup" / name)

    with pytest.raises(CommandError, match=f"{re.escape(name)} {problem}"):
        restore(tmp_path / "backup")
    with pytest.raises(CommandError, match=f"{re.escape(name)} {problem}"):
        restore(tmp_path / "backup", "--check")

    assert every_table_count() == before


@pytest.mark.django_db(transaction=True)
def test_check_finds_a_whole_backup_whole_and_writes_nothing(tmp_path):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    empty_database()
    before = every_table_count()

    output = restore(tmp_path / "backup", "--check")

    assert "every file is whole" in output
    assert every_table_count() == before


@pytest.mark.django_db(transaction=True)
def test_restore_into_a_database_that_holds_records_is_refused(tmp_path):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    # A change since the backup, which a restore over it would lose.
    Organization.objects.filter(slug="prosecutor-generals-office-azerbaijan").update(
        name="Renamed since the backup"
    )
    before, rows_before = snapshot(), every_table_count()

    with pytest.raises(CommandError, match="already holds records"):
        restore(tmp_path / "backup")

    assert every_table_count() == rows_before
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_group_that_migrate_does_not_make(tmp_path):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    empty_database()
    Group.objects.create(name="Translators")

    with pytest.raises(CommandError, match=r"already holds records \(auth\.group: 1\)"):
        restore(tmp_path / "backup")

    assert list(Group.objects.values_list("name", flat=True)) == ["Translators"]


@pytest.mark.django_db(transaction=True)
def test_backup_of_a_newer_version_is_refused(tmp_path):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    manifest_path = tmp_path / "backup" / backups.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["migrations"]["cooperation"] = ["0042_from_the_future"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    empty_database()
    before = every_table_count()

    with pytest.raises(CommandError, match=r"newer version.*cooperation\.0042_from_the_future"):
        restore(tmp_path / "backup")

    assert every_table_count() == before


@pytest.mark.django_db(transaction=True)
def test_restore_with_counts_unlike_the_manifests_is_rolled_back(tmp_path):
    build_registry()
    backup(tmp_path / "backup", "--no-pg-dump")
    manifest_path = tmp_path / "backup" / backups.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["counts"]["cooperation.delegation"] = 3
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    empty_database()

    with pytest.raises(CommandError, match="cooperation.delegation: 3 in the backup, 2 restored"):
        restore(tmp_path / "backup")

    assert not Delegation.objects.exists()
    assert not Delegation.history.exists()
    assert not User.objects.exists()


# --- The pg_dump copy ---------------------------------------------------------------------


skip_or_fail = functools.partial(required.skip_or_fail, "the pg_dump backup test")


def table_rows(database, models):
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=database,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
    ) as other:
        return {
            model._meta.label_lower: other.execute(
                f'SELECT COUNT(*) FROM "{model._meta.db_table}"'
            ).fetchone()[0]
            for model in models
        }


@pytest.mark.django_db(transaction=True)
def test_backup_on_postgresql_holds_a_pg_dump_that_pg_restore_reads_back(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump backs up PostgreSQL databases only")
    try:
        pg_restore = backups.postgresql_program("pg_restore", connection)
        backups.postgresql_program("pg_dump", connection)
    except backups.BackupError as error:
        skip_or_fail(str(error))
    build_registry()

    backup(tmp_path / "backup")

    manifest = backups.verify(tmp_path / "backup")
    assert backups.DATABASE_DUMP in manifest["files"]
    database = f"restored_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    try:
        args, env = backups.client_command(
            pg_restore,
            connection,
            ["--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={database}"],
        )
        # settings_to_cmd_args_env ends with the test database's name: the dump goes there.
        args[-1] = str(tmp_path / "backup" / backups.DATABASE_DUMP)
        subprocess.run(args, env=env, check=True, capture_output=True)
        restored = table_rows(database, backups.counted_models())
        index_rows = table_rows(database, [EventTerm])["cooperation.eventterm"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    assert restored == manifest["counts"]
    assert index_rows == EventTerm.objects.count() > 0
