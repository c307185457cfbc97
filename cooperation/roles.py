"""The two staff roles, Editors and Publishers: which permissions each group holds.

Editors keep the records: they view, add, change and delete every record of the app (the
admin narrows what deleting a published one takes). Publishers may do all that and also
publish, unpublish and delete published records: the app's `publish_*` permissions, whose
meaning the admin enforces.

The roles are defined here, from the app's models, and made so after every `migrate`
(`sync_roles`, connected in apps.py): a model added to the app is in both roles once the
migration that creates it has run, and a permission taken from a role by hand comes back.
Other groups are left as they are.
"""

from django.apps import apps as global_apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, router, transaction

EDITORS = "Editors"
PUBLISHERS = "Publishers"
ROLES = (EDITORS, PUBLISHERS)

APP_LABEL = "cooperation"
PUBLISH_PREFIX = "publish_"


def record_models():
    """The models whose records staff keep: every model of the app that Django manages.
    The event index (EventTerm, EventTermCount, EventTermList) is derived data that nobody
    edits."""
    return [
        model for model in global_apps.get_app_config(APP_LABEL).get_models() if model._meta.managed
    ]


def permission_codenames():
    """{role: the codenames of its permissions, all of them the cooperation app's}."""
    keep = {
        get_permission_codename(action, model._meta)
        for model in record_models()
        for action in model._meta.default_permissions
    }
    publish = {
        codename
        for model in global_apps.get_app_config(APP_LABEL).get_models()
        for codename, _ in model._meta.permissions
        if codename.startswith(PUBLISH_PREFIX)
    }
    return {EDITORS: keep, PUBLISHERS: keep | publish}


def sync_roles(using=DEFAULT_DB_ALIAS):
    """Create the two groups if they are missing and give each exactly its permissions:
    the missing ones are added, any other taken away. Writes nothing when they already
    hold them."""
    # Django creates the app's permissions after `migrate` too, in a receiver that may run
    # after this one: they must exist before they are granted.
    create_permissions(global_apps.get_app_config(APP_LABEL), verbosity=0, using=using)
    with transaction.atomic(using=using):
        for name, codenames in permission_codenames().items():
            group, _ = Group.objects.using(using).get_or_create(name=name)
            wanted = set(
                Permission.objects.using(using)
                .filter(content_type__app_label=APP_LABEL, codename__in=codenames)
                .values_list("pk", flat=True)
            )
            held = set(group.permissions.values_list("pk", flat=True))
            if missing := wanted - held:
                group.permissions.add(*missing)
            if extra := held - wanted:
                group.permissions.remove(*extra)


def sync_after_migrate(using=DEFAULT_DB_ALIAS, plan=None, apps=global_apps, **kwargs):
    """post_migrate of the cooperation app: the roles as defined here.

    Not after `flush`, which sends post_migrate too (without a plan) and empties the groups
    with every other table: a flushed database is refilled by a restore or `loaddata`,
    which bring their own groups. Not on a database where the app or the auth tables are
    not migrated.
    """
    if plan is None:
        return
    try:
        apps.get_app_config(APP_LABEL)
        apps.get_model("auth", "Group")
        apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return
    if router.allow_migrate_model(using, Group) and router.allow_migrate_model(using, Permission):
        sync_roles(using)
