"""Write visits and programmes, with every record they need, as a fixture for `loaddata`.

    manage.py export_records --delegation SLUG [SLUG ...] --program SLUG --output visit.json
    manage.py export_records --all > registry.json

What a fixture holds is described in cooperation/transfer.py.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from cooperation import transfer
from cooperation.models import CooperationProgram, Delegation


class Command(BaseCommand):
    help = (
        "Write the named visits and programmes, with every record they need to load on an "
        "empty database, as a natural-key JSON fixture for loaddata."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delegation",
            nargs="+",
            action="extend",
            default=[],
            metavar="SLUG",
            help="A visit to export, by its slug; may be given more than once.",
        )
        parser.add_argument(
            "--program",
            nargs="+",
            action="extend",
            default=[],
            metavar="SLUG",
            help="A programme to export (without its visits), by its slug.",
        )
        parser.add_argument(
            "--all", action="store_true", help="Export every record of the registry."
        )
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="Write to FILE instead of standard output."
        )
        parser.add_argument("--indent", type=int, metavar="N", help="Indent the JSON by N spaces.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database to export from."
        )

    def handle(self, *args, **options):
        using = options["database"]
        if options["indent"] is not None and options["indent"] < 0:
            raise CommandError("--indent takes a number of spaces, 0 or more.")
        if options["all"]:
            if options["delegation"] or options["program"]:
                raise CommandError("--all exports every record; name no visit or programme.")
            records = transfer.everything()
        else:
            chosen = {
                Delegation: self.ids(Delegation, options["delegation"], using),
                CooperationProgram: self.ids(CooperationProgram, options["program"], using),
            }
            if not any(chosen.values()):
                raise CommandError(
                    "Name what to export: --delegation SLUG, --program SLUG, or --all."
                )
            records = transfer.collect(chosen, using)

        output = options["output"]
        if not output:
            # The serializer writes the JSON piece by piece; no line ending goes between.
            self.stdout.ending = None
            transfer.write_fixture(records, self.stdout, options["indent"], using)
            return
        try:
            with open(output, "w", encoding="utf-8") as stream:
                count = transfer.write_fixture(records, stream, options["indent"], using)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
        if options["verbosity"] >= 1:
            self.stdout.write(f"Exported {count} record(s) to {output}.")

    def ids(self, model, slugs, using):
        slugs = list(dict.fromkeys(slugs))
        found = dict(
            model._base_manager.using(using).filter(slug__in=slugs).values_list("slug", "pk")
        )
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            kind = model._meta.verbose_name
            names = ", ".join(repr(slug) for slug in unknown)
            slug = "slug" if len(unknown) == 1 else "slugs"
            raise CommandError(f"No {kind} has the {slug} {names}.")
        return set(found.values())
