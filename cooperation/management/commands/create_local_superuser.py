"""Give a fresh local database an `admin` account, so a newcomer can open /admin/ at once."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = (
        f"Create a superuser '{USERNAME}' with a random password, printed once, when the "
        "database has no user at all. Local development only: refuses when DEBUG is off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # A production site gets its accounts on purpose, with `createsuperuser`.
            raise CommandError(
                "Refusing to create a local superuser with DJANGO_DEBUG=false; "
                "use `manage.py createsuperuser` on a production site."
            )
        user_model = get_user_model()
        if user_model.objects.exists():
            self.stdout.write("A user already exists, so no superuser was created.")
            return
        password = secrets.token_urlsafe(16)
        user_model.objects.create_superuser(
            **{user_model.USERNAME_FIELD: USERNAME}, email="", password=password
        )
        self.stdout.write(
            self.style.SUCCESS(f"Created superuser '{USERNAME}' with password: {password}")
        )
        self.stdout.write("Keep it now: it is stored only as a hash and never shown again.")
