"""Django's loaddata behind the registry's trust boundary (cooperation/records/fixtures.py).

Before a record is written, every fixture named is found, read and validated whole:
only the registry's record models, every record valid as the admin would have it, the
rules across records holding, no published record taken off the site unless
--allow-unpublish says so. Any problem stops the load with all of them listed, each with
its file, position, model and natural key; nothing is written.

Then Django's own loaddata (its public `handle`) loads the files inside one change of the
write path (cooperation/records/__init__.py): the load is whole or not at all, each record
it creates or changes gets one historical row naming the fixture and the importer, and the
visits it reaches get their search text and event-index rows rebuilt in the same
transaction. Loading the same fixture twice changes nothing, not even the history.
"""

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.management.commands import loaddata

from cooperation import records
from cooperation.records import fixtures


class Command(loaddata.Command):
    help = (
        "Load the registry's records from JSON fixtures, validated whole before anything "
        "is written (the same checks as manage.py check_fixture)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--importer",
            help="Who is importing, as the change history should name them "
            "(default: the operating-system user running the command).",
        )
        parser.add_argument(
            "--allow-unpublish",
            action="store_true",
            help="Let the fixture take published records off the public site (by saying "
            "they are drafts or in review); without it such a fixture is refused.",
        )

    def handle(self, *fixture_labels, **options):
        using = options["database"]
        importer = options["importer"] or os_user()
        allow_unpublish = options["allow_unpublish"]
        paths = self.validated(fixture_labels, using, allow_unpublish)
        try:
            with records.change(using=using, importing=True) as block:
                block.allow_unpublish = allow_unpublish
                for path in paths:
                    block.reason = f"Imported from fixture {fixture_name(path)} by {importer}"
                    super().handle(str(path), **{**options, "verbosity": 0})
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        except CommandError:
            raise
        except Exception as error:
            raise CommandError(f"Problem installing fixtures: {error}") from error
        if options["verbosity"] >= 1:
            saved = len(block.saved)
            self.stdout.write(f"Installed {saved} record(s) from {len(paths)} fixture(s).")
            if block.recorded:
                self.stdout.write(
                    f"Recorded {block.recorded} new or changed record(s) in the history."
                )
            if block.refreshed:
                self.stdout.write(f"Refreshed the search text of {block.refreshed} visit(s).")

    def validated(self, labels, using, allow_unpublish):
        paths, problems = [], []
        for label in labels:
            path = fixtures.find(label)
            if path is None:
                raise CommandError(f"No fixture named '{label}' found.")
            try:
                items = fixtures.read(path)
            except ValueError as error:
                raise CommandError(str(error)) from error
            problems += [
                f"{path}, {problem}" for problem in fixtures.validate(items, using, allow_unpublish)
            ]
            paths.append(path)
        if problems:
            raise CommandError(
                f"Nothing was loaded: {len(problems)} problem(s).\n" + "\n".join(problems)
            )
        return paths


def fixture_name(path):
    # The name the history gives as the source of the records: "baku_2023" whether the
    # fixture was named so or given as a path to baku_2023.json.
    return path.name.removesuffix(".json")


def os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No login name in the environment and no entry in the password database.
        return "an unnamed system user"
