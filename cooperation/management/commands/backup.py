"""Back up the whole registry into a folder: its records, their history and the accounts as
fixtures, a pg_dump of the database on PostgreSQL, and a manifest with the checksums.

    manage.py backup                      (into backups/<UTC time>/)
    manage.py backup /srv/backups/monday

What a backup holds, and why, is described in cooperation/backups.py.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from cooperation import backups


class Command(BaseCommand):
    help = (
        "Back up the records, their change history, the accounts and the admin's log as "
        "fixtures, plus a pg_dump of the whole database on PostgreSQL, into a new folder "
        "with a manifest of checksums. Restore it with manage.py restore."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            nargs="?",
            help="The folder to write, which must be new or empty "
            "(default: backups/<UTC time>/ in the project folder).",
        )
        parser.add_argument(
            "--no-pg-dump",
            action="store_true",
            help="On PostgreSQL, write the fixtures only, without pg_dump's copy.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")

    def handle(self, *args, directory, no_pg_dump, database, verbosity, **options):
        directory = directory or backups.default_directory(settings.BASE_DIR)
        try:
            manifest = backups.make(directory, database, pg_dump=not no_pg_dump)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Cannot write the backup to {directory}: {error}.") from None
        if verbosity >= 1:
            records, history = backups.rows_and_history(manifest["counts"])
            self.stdout.write(
                f"Backed up {records} row(s) and {history} history "
                f"row(s) to {directory}: {', '.join(manifest['files'])}."
            )
