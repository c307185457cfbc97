from django.core.management.base import BaseCommand

from cooperation.models import Delegation


class Command(BaseCommand):
    help = "Rebuild the search text (and the PostgreSQL search vector) of every visit."

    def handle(self, *args, **options):
        count = Delegation.objects.refresh_search()
        self.stdout.write(f"Refreshed the search text of {count} visit(s).")
