from django.core.management.base import BaseCommand

from cooperation.records import derived


class Command(BaseCommand):
    help = (
        "Rebuild every visit's derived data: its search text, its PostgreSQL search vector "
        "and its rows of the event index."
    )

    def handle(self, *args, **options):
        count = derived.rebuild_all()
        self.stdout.write(f"Refreshed the search text of {count} visit(s).")
