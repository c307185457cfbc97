from django.contrib.auth.management import create_permissions
from django.db import migrations

# The two staff roles. Editors keep the records: they view, add and change every record and
# may delete reference records and drafts. Publishers may do all that and also publish,
# unpublish and delete published records (the "publish" permissions; the admin enforces
# what they mean).
#
# Frozen: the roles as they were at this point of the history, from the models as they were
# then. Since then cooperation/roles.py defines them and makes them so after every
# `migrate`; nothing imports this module.
EDITORS = "Editors"
PUBLISHERS = "Publishers"
PUBLISH_CODENAMES = ("publish_delegation", "publish_cooperationprogram")


def create_roles(apps, schema_editor):
    # Permissions are normally created after `migrate` has finished; on a fresh database
    # they do not exist yet when this runs, so create them (and their content types) now.
    # create_permissions skips an app without a models module, which the migration state's
    # stand-in for the app does not have.
    app_config = apps.get_app_config("cooperation")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    try:
        create_permissions(
            app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias
        )
    finally:
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias

    # Every record the admin keeps; the event index is derived data that nobody edits.
    models = [model for model in app_config.get_models() if model._meta.managed]
    content_types = ContentType.objects.using(db).filter(
        app_label="cooperation", model__in=[model._meta.model_name for model in models]
    )
    record_permissions = Permission.objects.using(db).filter(
        content_type__in=content_types,
        codename__regex=r"^(view|add|change|delete)_",
    )
    publish_permissions = Permission.objects.using(db).filter(
        content_type__app_label="cooperation", codename__in=PUBLISH_CODENAMES
    )

    editors, _ = Group.objects.using(db).get_or_create(name=EDITORS)
    editors.permissions.add(*record_permissions)
    publishers, _ = Group.objects.using(db).get_or_create(name=PUBLISHERS)
    publishers.permissions.add(*record_permissions, *publish_permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=(EDITORS, PUBLISHERS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0007_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
    ]
