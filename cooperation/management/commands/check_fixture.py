"""Check a fixture file without loading it: exactly the validation `loaddata` runs before it
writes anything (cooperation/records/fixtures.py), so the two always agree. The database is
left exactly as it was, whatever the fixture holds.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from cooperation.records import fixtures


class Command(BaseCommand):
    help = (
        "Check a JSON fixture without writing anything: exit status 0 when loaddata would "
        "load it, 1 with every problem otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("fixture", help="Path to a JSON fixture file.")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database whose records the fixture's references are resolved against.",
        )
        parser.add_argument(
            "--allow-unpublish",
            action="store_true",
            help="As loaddata --allow-unpublish: taking published records off is no problem.",
        )

    def handle(self, *args, fixture, database, verbosity, allow_unpublish, **options):
        try:
            records = fixtures.read(Path(fixture))
        except ValueError as error:
            raise CommandError(str(error)) from error
        problems = fixtures.validate(records, database, allow_unpublish)
        for problem in problems:
            self.stderr.write(f"{fixture}, {problem}")
        if problems:
            raise CommandError(
                f"{fixture}: {len(problems)} problem(s) in {len(records)} record(s)."
            )
        if verbosity >= 1:
            self.stdout.write(f"{fixture}: {len(records)} record(s), no problems.")
