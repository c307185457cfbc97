import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def local_development(settings):
    # pytest-django runs tests with DEBUG off; a laptop runs with DJANGO_DEBUG's default, on.
    settings.DEBUG = True
    return settings


def run_create_local_superuser():
    out = StringIO()
    call_command("create_local_superuser", stdout=out)
    return out.getvalue()


def printed_password(output):
    return re.search(r"with password: (\S+)", output).group(1)


def test_create_local_superuser_creates_admin_with_the_printed_password(
    local_development, django_user_model
):
    password = printed_password(run_create_local_superuser())

    admin = django_user_model.objects.get()
    assert admin.username == "admin"
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)


def test_create_local_superuser_password_is_random(local_development, django_user_model):
    first = printed_password(run_create_local_superuser())
    django_user_model.objects.all().delete()
    second = printed_password(run_create_local_superuser())

    assert first != second


def test_create_local_superuser_does_nothing_when_a_user_exists(
    local_development, django_user_model
):
    django_user_model.objects.create_user(username="editor", password="not-the-point")

    output = run_create_local_superuser()

    assert "no superuser was created" in output
    assert list(django_user_model.objects.values_list("username", flat=True)) == ["editor"]


def test_create_local_superuser_refuses_in_production(settings, django_user_model):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=false"):
        run_create_local_superuser()

    assert not django_user_model.objects.exists()
