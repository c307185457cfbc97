"""Restore a backup made by `manage.py backup` into an empty database.

    manage.py restore backups/20261128T093000Z
    manage.py restore --check backups/20261128T093000Z

How a restore goes, and what it refuses, is described in cooperation/backups.py.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from cooperation import backups


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database: check every file against the backup's "
        "manifest, migrate, load the fixtures in one transaction, rebuild the search data "
        "and compare the rows of each model with the manifest. Nothing is written when a "
        "file is missing or damaged, and a database that holds any record is refused. "
        "On PostgreSQL the backup's database.dump can be restored instead, into a new "
        "database, with: pg_restore --no-owner --exit-on-error --single-transaction "
        "--dbname NEW_DATABASE DIRECTORY/database.dump, then manage.py migrate (check "
        "the files first with --check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The backup's folder.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only check the backup's files against its manifest; write nothing.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The empty database to restore into."
        )

    def handle(self, *args, directory, check, database, verbosity, **options):
        try:
            if check:
                manifest = backups.verify(directory)
            else:
                restored, index_rows = backups.restore(directory, database, verbosity)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        if verbosity < 1:
            return
        if check:
            files = ", ".join(manifest["files"])
            self.stdout.write(f"{directory}: every file is whole ({files}).")
            return
        records, history = backups.rows_and_history(restored)
        self.stdout.write(
            f"Restored {records} row(s) and {history} history row(s) "
            f"from {directory}, as many of each as the backup holds; "
            f"the event index has {index_rows} row(s)."
        )
