"""The change history: every change to a record is kept with who made it, when, and what it
changed field by field; the admin shows it and reverts a record to an earlier version;
fixture imports and bulk changes are recorded too."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationMember,
    Organization,
    Person,
    ProgramCitation,
    Source,
    Status,
    Topic,
    Workshop,
)
from cooperation.records import submit_for_review
from tests import test_admin
from tests.test_admin import COOPERATION_ADMINS, admin_url, change_page_data, form_data
from tests.test_fixture import EXPECTED_ROWS, FIXTURE_PATH, cooperation_models

EVENT_URL = "/events/published-visit/"

# One saved record of every model the admin edits.
records = test_admin.records


@pytest.fixture
def world(world):
    # The admin's form shows times to the second: a publication time with microseconds
    # would come back rounded from the first save, a change of its own in the history.
    for record in (world.published, world.program):
        record.published_at = record.published_at.replace(microsecond=0)
        record.save()
    return world


def edit(admin_client, record, **changes):
    """Submit a record's admin change page with `changes`, as a records officer would."""
    url = admin_url(type(record), "change", record.pk)
    data = change_page_data(admin_client.get(url))
    data.update(changes)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    record.refresh_from_db()
    return response


def oldest(record):
    return record.history.order_by("history_date", "history_id").first()


def revert(admin_client, record, version):
    """Open the admin's page of an earlier version and press "Revert"."""
    url = reverse(
        f"admin:cooperation_{record._meta.model_name}_simple_history",
        args=[record.pk, version.history_id],
    )
    page = admin_client.get(url)
    assert page.status_code == 200
    return admin_client.post(url, {**form_data(page.context["adminform"].form), "_save": "Revert"})


def history_counts():
    return {model._meta.label: model.history.count() for model in cooperation_models()}


# --- Admin edits --------------------------------------------------------------------------


def test_admin_edit_records_who_changed_what_and_when(admin_client, admin_user, world):
    before = timezone.now()

    edit(admin_client, world.published, title_en="Working visit of the prosecutors to Baku")

    new, old = world.published.history.all()[:2]
    assert new.history_type == "~"
    assert new.history_user == admin_user
    assert before <= new.history_date <= timezone.now()
    delta = new.diff_against(old)
    assert delta.changed_fields == ["title_en"]
    assert (delta.changes[0].old, delta.changes[0].new) == (
        "Published working visit",
        "Working visit of the prosecutors to Baku",
    )


def test_one_save_of_a_programme_and_its_parties_is_one_version(admin_client, world):
    # A published programme is saved only with a source; this one gets its first here.
    ProgramCitation.objects.create(program=world.program, source=Source.objects.get())
    ukraine = Organization.objects.create(name="Prosecutor General's Office of Ukraine", slug="ua")
    versions = world.program.history.count()

    edit(
        admin_client,
        world.program,
        title_en="Programme of cooperation 2021-2023",
        parties=[world.azerbaijan.pk, ukraine.pk],
    )

    assert world.program.history.count() == versions + 1
    new = world.program.history.first()
    delta = new.diff_against(new.prev_record)
    assert set(delta.changed_fields) == {"title_en", "parties"}
    assert {row.organization for row in new.parties.all()} == {world.azerbaijan, ukraine}


def test_inline_record_saved_with_its_visit_is_recorded_with_the_editor(
    admin_client, admin_user, world
):
    guest = Person.objects.create(name="Igor Krasnov", slug="igor-krasnov")
    url = admin_url(Delegation, "change", world.published.pk)
    data = change_page_data(admin_client.get(url))
    data.update(
        {
            "members-TOTAL_FORMS": "1",
            "members-0-person": guest.pk,
            "members-0-role_en": "Prosecutor General",
            "members-0-order": "0",
        }
    )

    assert admin_client.post(url, data).status_code == 302

    member = DelegationMember.objects.get(delegation=world.published)
    (version,) = member.history.all()
    assert (version.history_type, version.history_user) == ("+", admin_user)
    assert version.role == "Prosecutor General"


def test_history_page_shows_the_change_and_who_made_it(admin_client, world):
    edit(admin_client, world.published, title_en="Renamed visit", visit_type="official")

    response = admin_client.get(admin_url(Delegation, "history", world.published.pk))

    assert response.status_code == 200
    page = response.text
    assert "Published working visit" in page
    assert "Renamed visit" in page
    # Choices read as the form offers them, not as stored.
    assert "Working visit" in page and "Official visit" in page
    assert ">admin</a>" in page


@pytest.mark.parametrize("model", COOPERATION_ADMINS, ids=lambda model: model._meta.model_name)
def test_every_record_has_a_history_page_offering_each_version(admin_client, records, model):
    record = records[model]
    record.save()
    versions = list(record.history.all())

    response = admin_client.get(admin_url(model, "history", record.pk))

    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == len(versions) >= 2
    for version in versions:
        assert f'href="{version.revert_url()}"' in response.text


@pytest.mark.parametrize(
    "path",
    ["not-a-number/history/", "{pk}/history/not-a-number/", "{pk}/history/999999/"],
)
def test_history_page_of_nothing_is_404(admin_client, world, path):
    url = f"/admin/cooperation/delegation/{path.format(pk=world.published.pk)}"

    assert admin_client.get(url).status_code == 404


# --- Reverting ----------------------------------------------------------------------------


def test_revert_brings_the_earlier_title_back_to_the_public_page_and_search(
    admin_client, admin_user, client, world
):
    edit(admin_client, world.published, title_en="Mistyped visit title")
    assert "Mistyped visit title" in client.get(EVENT_URL).text

    response = revert(admin_client, world.published, oldest(world.published))

    assert response.status_code == 302
    world.published.refresh_from_db()
    assert world.published.title == "Published working visit"
    page = client.get(EVENT_URL).text
    assert "Published working visit" in page
    assert "Mistyped" not in page
    assert "Published working visit" in client.get("/events/?q=published").text
    assert 'class="event-item"' not in client.get("/events/?q=mistyped").text
    version = world.published.history.first()
    assert version.history_user == admin_user
    assert version.history_change_reason.startswith("Reverted to the version of ")


def test_revert_leaves_publication_as_it_is(admin_client, client, world):
    world.published.return_to_draft()
    world.published.save()

    response = revert(admin_client, world.published, oldest(world.published))

    assert response.status_code == 302
    world.published.refresh_from_db()
    assert world.published.status == Status.DRAFT
    assert client.get(EVENT_URL).status_code == 404


def test_revert_of_a_workshop_rebuilds_the_search_of_its_visit(admin_client, client, world):
    workshop = Workshop.objects.create(
        delegation=world.published, slug="talks", title="Extradition workshop"
    )
    workshop.topics.add(Topic.objects.create(name="Legal assistance", slug="legal-assistance"))
    edit(admin_client, workshop, title_en="Asset recovery workshop")
    assert 'class="event-item"' in client.get("/events/?q=asset").text

    assert revert(admin_client, workshop, oldest(workshop)).status_code == 302

    assert 'class="event-item"' not in client.get("/events/?q=asset").text
    assert 'class="event-item"' in client.get("/events/?q=extradition").text


def test_staff_who_may_only_view_cannot_revert(client, world):
    viewer = User.objects.create_user("viewer", password="unused-password", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_delegation"))
    client.force_login(viewer)
    world.published.title = "Later title"
    world.published.save()
    url = reverse(
        "admin:cooperation_delegation_simple_history",
        args=[world.published.pk, oldest(world.published).history_id],
    )

    page = client.get(url)
    response = client.post(url, {"title_en": "Published working visit", "_save": "Revert"})

    assert page.status_code == 200
    assert "Published working visit" in page.text
    assert 'value="Revert"' not in page.text
    assert response.status_code == 403
    world.published.refresh_from_db()
    assert world.published.title == "Later title"


def test_deleted_record_is_not_reverted(admin_client, world):
    person = Person.objects.create(name="Erkin Alikhanov", slug="erkin-alikhanov")
    version = person.history.get()
    person.delete()

    url = reverse("admin:cooperation_person_simple_history", args=[version.id, version.history_id])

    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"name": "Erkin Alikhanov"}).status_code == 404
    assert not Person.objects.exists()


# --- Bulk changes -------------------------------------------------------------------------


def test_bulk_delete_from_the_list_is_recorded_with_the_editor(admin_client, admin_user, db):
    people = [Person.objects.create(name=f"Guest {n}", slug=f"guest-{n}") for n in (1, 2)]

    response = admin_client.post(
        admin_url(Person, "changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in people], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Person.objects.exists()
    deletions = Person.history.filter(history_type="-")
    assert sorted(deletions.values_list("slug", flat=True)) == ["guest-1", "guest-2"]
    assert {version.history_user for version in deletions} == {admin_user}


def test_publishing_a_selection_records_each_record(admin_client, admin_user, world):
    submit_for_review(world.draft)
    response = admin_client.post(
        admin_url(Delegation, "changelist"),
        {"action": "publish", "_selected_action": [world.draft.pk]},
    )

    assert response.status_code == 302
    version = world.draft.history.first()
    assert (version.history_type, version.history_user) == ("~", admin_user)
    assert version.diff_against(version.prev_record).changed_fields == [
        "published_at",
        "published_by",
        "status",
    ]


# --- Fixture imports ----------------------------------------------------------------------


def load(fixture, **options):
    call_command("loaddata", fixture, verbosity=0, **options)


def test_loaddata_records_every_imported_record_with_fixture_and_importer(db):
    load("baku_2023", importer="Records Officer")

    for model in cooperation_models():
        versions = model.history.all()
        assert versions.count() == EXPECTED_ROWS[model._meta.label], model
        assert {(v.history_type, v.history_change_reason) for v in versions} <= {
            ("+", "Imported from fixture baku_2023 by Records Officer")
        }
    # Each version holds the many-to-many rows the record was imported with.
    assert CooperationProgram.history.get().parties.count() == 2
    assert Workshop.history.get().topics.count() == 8


def test_loaddata_names_the_system_user_when_no_importer_is_given(db, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "clerk")

    load("baku_2023")

    version = Delegation.history.get()
    assert version.history_change_reason == "Imported from fixture baku_2023 by clerk"


def test_loading_the_fixture_twice_records_nothing_more(db):
    load("baku_2023")
    before = history_counts()

    load("baku_2023")

    assert history_counts() == before


def test_loading_a_corrected_fixture_records_only_what_changed(db, tmp_path):
    load("baku_2023")
    before = history_counts()
    records = json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))
    (source,) = [r for r in records if r["model"] == "cooperation.source"]
    source["fields"]["publisher"] = "Trend International News Agency"
    corrected = tmp_path / "baku_2023_corrected.json"
    corrected.write_text(json.dumps(records), encoding="utf-8")

    load(str(corrected), importer="Records Officer")

    after = history_counts()
    assert after.pop("cooperation.Source") == before.pop("cooperation.Source") + 1
    assert after == before
    version = Source.history.first()
    assert version.history_type == "~"
    assert version.history_change_reason == (
        "Imported from fixture baku_2023_corrected by Records Officer"
    )
    change = version.diff_against(version.prev_record).changes
    assert [(c.field, c.old, c.new) for c in change] == [
        ("publisher", "Trend News Agency", "Trend International News Agency")
    ]


@pytest.mark.django_db(transaction=True)
def test_failed_import_records_nothing(tmp_path):
    records = json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))
    (visit,) = [r for r in records if r["model"] == "cooperation.delegation"]
    visit["fields"]["end_date"] = "2023-12-14"  # before the visit starts
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(records), encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        load(str(broken))

    # Refused by the validation before anything was written, not by the database.
    assert "A visit cannot end before it starts." in str(refused.value)
    assert set(history_counts().values()) == {0}
