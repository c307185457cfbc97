"""The staff roles (cooperation/roles.py): made after `migrate` from the app's models, kept
exactly so, and migrations that never lean on the project's live code."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation import roles

ACTIONS = ("add", "change", "delete", "view")
PUBLISH = {"publish_delegation", "publish_cooperationprogram"}
# The event index: derived data, in tables Django does not manage, edited by nobody.
DERIVED = {"eventterm", "eventtermcount", "eventtermlist"}

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted(ROOT.glob("cooperation/**/migrations/*.py"))


def held(name):
    """(app label, codename) of every permission the group `name` holds."""
    return set(
        Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename")
    )


def all_roles():
    return {name: held(name) for name in roles.ROLES}


@pytest.fixture
def record_model_names():
    names = {model._meta.model_name for model in apps.get_app_config("cooperation").get_models()}
    # Not an empty world: the test below would pass over nothing.
    assert {"delegation", "cooperationprogram", "source"} <= names
    return names - DERIVED


@pytest.mark.django_db
def test_migrate_makes_both_roles_with_exactly_their_permissions(record_model_names):
    Group.objects.filter(name__in=roles.ROLES).delete()

    call_command("migrate", verbosity=0)

    editors = {("cooperation", f"{a}_{m}") for m in record_model_names for a in ACTIONS}
    assert held("Editors") == editors
    assert held("Publishers") == editors | {("cooperation", c) for c in PUBLISH}


@pytest.mark.django_db
def test_sync_twice_writes_nothing_the_second_time():
    roles.sync_roles()
    before = all_roles()

    with CaptureQueriesContext(connection) as queries:
        roles.sync_roles()

    writes = [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert all_roles() == before
    assert Group.objects.filter(name__in=roles.ROLES).count() == 2


@pytest.mark.django_db
def test_a_permission_taken_from_publishers_by_hand_comes_back():
    roles.sync_roles()
    publishers = Group.objects.get(name="Publishers")
    publishers.permissions.remove(Permission.objects.get(codename="publish_delegation"))
    assert ("cooperation", "publish_delegation") not in held("Publishers")

    roles.sync_roles()

    assert ("cooperation", "publish_delegation") in held("Publishers")


@pytest.mark.django_db
def test_a_permission_given_by_hand_is_taken_back_and_other_groups_are_left_alone():
    roles.sync_roles()
    view_user = Permission.objects.get(content_type__app_label="auth", codename="view_user")
    Group.objects.get(name="Editors").permissions.add(view_user)
    translators = Group.objects.create(name="Translators")
    translators.permissions.add(view_user)

    roles.sync_roles()

    assert ("auth", "view_user") not in held("Editors")
    assert held("Translators") == {("auth", "view_user")}


@pytest.mark.django_db
def test_a_missing_role_is_made_again():
    Group.objects.filter(name="Editors").delete()

    roles.sync_roles()

    assert ("cooperation", "change_delegation") in held("Editors")


@pytest.mark.django_db
def test_permissions_follow_the_models_of_the_app():
    roles.sync_roles()
    editors, publishers = held("Editors"), held("Publishers")

    for model in apps.get_app_config("cooperation").get_models():
        change = ("cooperation", f"change_{model._meta.model_name}")
        if model._meta.managed:
            assert change in editors, model
        else:
            assert change not in publishers, model
    publish = set(
        Permission.objects.filter(
            content_type__app_label="cooperation", codename__startswith="publish_"
        ).values_list("content_type__app_label", "codename")
    )
    assert {codename for _, codename in publish} == PUBLISH
    assert publish <= publishers
    assert not publish & editors
    assert publishers - editors == publish


def imports_of_the_project(path):
    """Where the migration at `path` imports the project's own code: `import cooperation…`,
    `from cooperation…`, a relative import, or importlib.import_module("cooperation…")."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names = [str(node.args[0].value)]
        else:
            continue
        found += [
            f"line {node.lineno}: {name}"
            for name in names
            if name.startswith(".") or name.split(".")[0] == "cooperation"
        ]
    return found


def test_the_import_check_sees_each_way_of_importing_the_project(tmp_path):
    path = tmp_path / "0099_example.py"
    path.write_text(
        "import cooperation.models\n"
        "from django.db import migrations\n"
        "def forwards(apps, schema_editor):\n"
        "    from cooperation import eventindex\n"
        "    from ..models import Delegation\n"
        "    importlib.import_module('cooperation.languages')\n",
        encoding="utf-8",
    )

    assert imports_of_the_project(path) == [
        "line 1: cooperation.models",
        "line 4: cooperation",
        "line 5: ..models",
        "line 6: cooperation.languages",
    ]


@pytest.mark.parametrize(
    "path", MIGRATIONS, ids=lambda path: f"{path.parent.parent.name}/{path.name}"
)
def test_no_migration_imports_the_project(path):
    # A migration must do tomorrow what it does today: it carries its own SQL and code
    # instead of calling the live modules, which change.
    assert imports_of_the_project(path) == []


def test_every_migration_folder_is_checked():
    folders = {path.parent.relative_to(ROOT).as_posix() for path in MIGRATIONS}
    assert {"cooperation/migrations", "cooperation/history/migrations"} <= folders
