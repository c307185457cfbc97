"""Backups of the whole registry, and restoring one into an empty database.

    manage.py backup [DIRECTORY]      (make backup)
    manage.py restore DIRECTORY       (make restore BACKUP=DIRECTORY)

A backup is a directory:

    records.json    accounts (groups, users), every record and the admin's log: a fixture
    history.json    the change history of every record: a fixture
    database.dump   on PostgreSQL only: `pg_dump --format=custom` of the whole database
    manifest.json   when it was made, the latest migration of each app, the rows of each
                    model, and each file's size and SHA-256

What the fixtures hold, and how:
- Every row keeps its id. An export takes records to another installation; a backup
  returns them to this one, whose history names each record by id (and a deleted record's
  history names one that no longer exists), as the admin's log does. Restored into an
  empty database, every row gets the id it had, so all of them still fit together.
- References are written as natural keys (slugs, usernames, groups by name, permissions by
  codename), as `dumpdata --natural-foreign` writes them: the file reads as the records it
  holds, and the permissions and content types that `migrate` makes anew, with ids of
  their own, are found by name.
- The history is written as stored, references as ids: a version may name a record deleted
  since, which has no natural key left to write. (`dumpdata cooperation_history` would
  write nothing at all: the historical models are declared in cooperation/models.py, and
  dumpdata skips an app without a models module of its own.)
- The admin's log is kept: it says who added, changed or deleted what in the admin,
  accounts and groups included, which keep no other history.
- Left out: content types and permissions (`migrate` makes them), sessions (restored, they
  would sign browsers in again), django-axes' login attempts and lockouts (short-lived
  security state, and the addresses of whoever tried), and derived data: the event index
  and the search text are rebuilt from the records by the restore.

Everything is read in one transaction, so the files and the counts show one moment of the
database; on PostgreSQL pg_dump reads that same moment (the transaction's exported
snapshot), so the dump and the fixtures agree.

A restore checks every file against the manifest before it writes anything, refuses a
database that holds any record, migrates it, then loads both fixtures with the project's
loaddata in one transaction, without recording the load in the history (the history comes
from the backup), rebuilds the event index and compares the rows of each model with the
manifest; any difference rolls the whole load back.
"""

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management import call_command
from django.core.management.commands.loaddata import Command as DjangoLoaddata
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from . import roles, transfer
from .history.records import history_untouched
from .models import EventTerm, Revision
from .records import derived

FORMAT = 1
MANIFEST = "manifest.json"
RECORDS = "records.json"
HISTORY = "history.json"
DATABASE_DUMP = "database.dump"
HISTORY_APP = "cooperation_history"

# The two staff roles, which `migrate` creates (cooperation/roles.py) before a restore loads
# the backup's own groups in their place.
ROLES = roles.ROLES


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why."""


# --- What a backup holds ------------------------------------------------------------------


def record_models():
    """The models of records.json, each after those it names."""
    return [
        Group,
        get_user_model(),
        *transfer.ordered_models(transfer.RECORD_MODELS),
        Revision,
        LogEntry,
    ]


def history_models():
    return list(apps.get_app_config(HISTORY_APP).get_models())


def counted_models():
    """Every table a backup fills: the models of both fixtures and their many-to-many links
    (a user's groups, a group's permissions, a workshop's topics)."""
    models = [*record_models(), *history_models()]
    links = [
        field.remote_field.through
        for model in models
        for field in model._meta.many_to_many
        if field.remote_field.through._meta.auto_created
    ]
    return models + links


def row_counts(using):
    return {
        model._meta.label_lower: model._base_manager.using(using).count()
        for model in counted_models()
    }


def rows_and_history(counts):
    """(record rows, history rows) in a manifest's or a restore's counts per table."""
    history = sum(count for label, count in counts.items() if label.startswith(f"{HISTORY_APP}."))
    return sum(counts.values()) - history, history


def record_rows(using):
    yield from Group.objects.using(using).order_by("pk")
    yield from get_user_model()._base_manager.using(using).order_by("pk")
    yield from transfer.rows(transfer.everything(), using, accounts=True)
    # Changes waiting for review: staff work like any record, after the records they change.
    yield from Revision.objects.using(using).order_by("pk")
    entries = LogEntry.objects.using(using).select_related("user", "content_type")
    yield from entries.order_by("pk").iterator(chunk_size=2000)


def history_rows(using):
    for model in history_models():
        yield from model._base_manager.using(using).order_by("pk").iterator(chunk_size=2000)


def latest_migrations(using):
    """{app label: the names of its latest applied migrations} (two where a merge waits)."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    latest = {}
    for app_label, name in sorted(applied):
        node = loader.graph.node_map.get((app_label, name))
        children = node.children if node else set()
        if not any(child[0] == app_label and child in applied for child in children):
            latest.setdefault(app_label, []).append(name)
    return latest


# --- Making a backup ----------------------------------------------------------------------


def default_directory(base):
    """backups/<UTC time> under `base`, e.g. backups/20261128T093000Z."""
    return Path(base) / "backups" / timezone.now().strftime("%Y%m%dT%H%M%SZ")


def make(directory, using, pg_dump=True):
    """Write a backup of the database `using` into `directory` (new, or an empty folder);
    return its manifest.

    The files are written into a temporary folder beside it, renamed at the end: a backup
    that failed half way leaves nothing that looks like a backup.
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} already exists and is not an empty folder.")
    connection = connections[using]
    dump_with = None
    if pg_dump and connection.vendor == "postgresql":
        dump_with = postgresql_program("pg_dump", connection)
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Readable by its owner only (mkdtemp): a backup holds drafts and password hashes.
    working = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        with one_moment(using) as snapshot:
            created_at = timezone.now()
            if dump_with:
                if snapshot is None:
                    raise BackupError(
                        "pg_dump cannot read the moment the fixtures are read from inside "
                        "a transaction: back up outside one, or with --no-pg-dump."
                    )
                run_pg_dump(dump_with, connection, working / DATABASE_DUMP, snapshot)
            write_fixture(working / RECORDS, record_rows(using), natural_foreign_keys=True)
            write_fixture(working / HISTORY, history_rows(using), natural_foreign_keys=False)
            manifest = {
                "format": FORMAT,
                "created_at": created_at.isoformat().replace("+00:00", "Z"),
                "database": connection.vendor,
                "migrations": latest_migrations(using),
                "counts": row_counts(using),
            }
        names = [RECORDS, HISTORY] + ([DATABASE_DUMP] if dump_with else [])
        manifest["files"] = {
            name: {"bytes": (working / name).stat().st_size, "sha256": sha256(working / name)}
            for name in names
        }
        (working / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if directory.exists():
            directory.rmdir()
        working.rename(directory)
    except BaseException:
        shutil.rmtree(working, ignore_errors=True)
        raise
    return manifest


@contextlib.contextmanager
def one_moment(using):
    """A transaction that reads the database as it is at one moment. On PostgreSQL it
    yields the id of its snapshot, for pg_dump to read the same moment; None elsewhere, or
    inside a transaction begun before (whose isolation can no longer be chosen)."""
    connection = connections[using]
    outer = connection.in_atomic_block
    with transaction.atomic(using=using):
        snapshot = None
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
        yield snapshot


def write_fixture(path, objects, natural_foreign_keys):
    with open(path, "w", encoding="utf-8") as stream:
        serializers.serialize(
            "json",
            objects,
            stream=stream,
            # To the microsecond: a restored record keeps the very timestamps it had.
            cls=transfer.ExactJSONEncoder,
            use_natural_foreign_keys=natural_foreign_keys,
            use_natural_primary_keys=False,
        )


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def postgresql_program(name, connection):
    """The path of a PostgreSQL client program (pg_dump, pg_restore) for the server of
    `connection`: from $PG_BINDIR when set (as tests/with_postgres.sh reads it), else the
    one of the server's major version where Debian keeps it, else the first on PATH.

    A pg_dump older than the server refuses to dump it; Debian's /usr/bin/pg_dump picks a
    version by itself, so the server's own comes first.
    """
    connection.ensure_connection()
    major = connection.pg_version // 10000
    if os.environ.get("PG_BINDIR"):
        candidates = [Path(os.environ["PG_BINDIR"]) / name]
    else:
        candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
        if on_path := shutil.which(name):
            candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"{name} is not installed (looked for {', '.join(map(str, candidates))}). Install "
        f"the PostgreSQL {major} client (Debian: apt-get install postgresql-client-{major}), "
        "set PG_BINDIR to the folder that holds it, or back up the fixtures alone with "
        "--no-pg-dump."
    )


def client_command(program, connection, arguments):
    """argv and environment to run `program` against the database of `connection`, with
    the connection settings Django's own dbshell passes to psql."""
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, arguments)
    return [program, *args[1:]], {**os.environ, **(env or {})}


def run_pg_dump(program, connection, path, snapshot):
    args, env = client_command(
        program,
        connection,
        ["--format=custom", f"--file={path}", f"--snapshot={snapshot}", "--no-password"],
    )
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")


# --- Restoring ----------------------------------------------------------------------------


def verify(directory):
    """The manifest of the backup in `directory`, once every file it lists is there whole."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a folder.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{directory} holds no {MANIFEST}: it is not a backup made by manage.py backup."
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"{path} cannot be read: {error}.") from None
    if not well_formed(manifest):
        raise BackupError(f"{path} is not a backup manifest this version can read.")
    problems = []
    for name, expected in manifest["files"].items():
        file = directory / name
        if not file.is_file():
            problems.append(f"{file} is missing.")
        elif file.stat().st_size != expected["bytes"]:
            size = file.stat().st_size
            problems.append(
                f"{file} is damaged: {size} bytes, the manifest says {expected['bytes']}."
            )
        elif (found := sha256(file)) != expected["sha256"]:
            said = expected["sha256"]
            problems.append(f"{file} is damaged: its SHA-256 is {found}, the manifest says {said}.")
    if problems:
        raise BackupError("The backup is not whole:\n  " + "\n  ".join(problems))
    return manifest


def well_formed(manifest):
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return False
    files = manifest["files"]
    return (
        manifest.get("format") == FORMAT
        and {RECORDS, HISTORY} <= files.keys()
        # Plain names of files in the backup's folder, nothing elsewhere.
        and all(Path(name).name == name and name not in ("", ".", "..") for name in files)
        and all(
            isinstance(entry, dict)
            and isinstance(entry.get("bytes"), int)
            and isinstance(entry.get("sha256"), str)
            for entry in files.values()
        )
        and isinstance(manifest.get("counts"), dict)
        and isinstance(manifest.get("migrations"), dict)
    )


def unknown_migrations(manifest):
    """The migrations of the backup's database that this code does not have, for the apps
    whose rows the backup holds: a backup of a newer version, whose records may not fit."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    apps_backed_up = {model._meta.app_label for model in counted_models()}
    return [
        f"{app_label}.{name}"
        for app_label, names in sorted(manifest["migrations"].items())
        if app_label in apps_backed_up
        for name in names
        if (app_label, name) not in known
    ]


def records_in(using):
    """{model label: rows} of the tables a restore fills that already hold rows.

    The roles `migrate` creates are no records: the restore replaces them. A table not yet
    created holds nothing.
    """
    tables = set(connections[using].introspection.table_names())
    group_permissions = Group.permissions.through
    held = {}
    for model in counted_models():
        if model._meta.db_table not in tables:
            continue
        rows = model._base_manager.using(using)
        if model is Group:
            rows = rows.exclude(name__in=ROLES)
        elif model is group_permissions:
            rows = rows.exclude(group__name__in=ROLES)
        if count := rows.count():
            held[model._meta.label_lower] = count
    return held


def refuse_unless_empty(using):
    held = list(records_in(using).items())
    if held:
        rows = ", ".join(f"{label}: {count}" for label, count in held[:4])
        if len(held) > 4:
            rows += f" and {len(held) - 4} more tables"
        raise BackupError(
            f"The database already holds records ({rows}). A restore only fills an empty "
            "database and never writes over one: restore into a new database, or back this "
            "one up and empty it first (manage.py flush)."
        )


def restore(directory, using, verbosity=1):
    """Restore the backup in `directory` into the empty database `using`; return
    (rows restored per model label, rows of the event index built)."""
    directory = Path(directory)
    manifest = verify(directory)
    newer = unknown_migrations(manifest)
    if newer:
        raise BackupError(
            "The backup comes from a newer version of the registry: this code lacks the "
            f"migrations {', '.join(newer)}. Restore it with the version that made it."
        )
    # Before migrate, which would otherwise change the tables of a database in use.
    refuse_unless_empty(using)
    call_command("migrate", database=using, interactive=False, verbosity=max(verbosity - 1, 0))
    with transaction.atomic(using=using):
        refuse_unless_empty(using)
        Group.objects.using(using).filter(name__in=ROLES).delete()
        # Django's own loaddata, not the registry's: a backup carries accounts and the
        # records' own history, which a record fixture may not (cooperation/records/
        # fixtures.py), and its files were verified against their checksums above.
        with history_untouched():
            call_command(
                DjangoLoaddata(),
                str(directory / RECORDS),
                str(directory / HISTORY),
                database=using,
                verbosity=0,
            )
        # The derived data of every visit, built again in bulk, every term counted afresh.
        derived.rebuild_all(using)
        index_rows = EventTerm.objects.using(using).count()
        restored = row_counts(using)
        expected = manifest["counts"]
        differences = [
            f"{label}: {expected.get(label, 0)} in the backup, {restored.get(label, 0)} restored"
            for label in sorted(expected.keys() | restored.keys())
            if expected.get(label, 0) != restored.get(label, 0)
        ]
        if differences:
            raise BackupError(
                "The restored rows differ from the backup's, so nothing was restored:\n  "
                + "\n  ".join(differences)
            )
    return restored, index_rows
