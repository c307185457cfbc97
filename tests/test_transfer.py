"""Records leaving the registry: `export_records` and the admin's fixture and CSV actions.

A fixture is judged the way another installation would use it: Django's `loaddata` loads
it into an emptied database, and the records there must be the records exported, compared
by natural key and field by field. Those tests run with `transaction=True`, so the database
can be emptied with `flush` as it would be on a fresh installation.
"""

import csv
import datetime as dt
import io
import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from cooperation import transfer
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingCitation,
    MeetingParticipant,
    Occasion,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    Series,
    Signing,
    SiteVisit,
    SiteVisitCitation,
    Source,
    Status,
    Topic,
    Workshop,
    WorkshopCitation,
)
from cooperation.records import derived
from tests.conftest import country_place

BAKU_VISIT = "russian-prosecutors-working-visit-baku-2023"


def record_models():
    """Every kind of record that travels in fixtures: the app's models with a natural key
    (the event index and the change history have none: they stay where they are made)."""
    config = apps.get_app_config("cooperation")
    return [model for model in config.get_models() if hasattr(model, "natural_key")]


def snapshot():
    """Every record in the database by natural key, field by field, in a stable order."""
    tables = {}
    for model in record_models():
        records = serializers.serialize(
            "python",
            model._default_manager.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        for record in records:
            for name, value in record["fields"].items():
                if isinstance(value, list) and value and isinstance(value[0], (list, tuple)):
                    record["fields"][name] = sorted(value)
        tables[model._meta.label] = sorted(
            json.dumps(record["fields"], sort_keys=True, default=str) for record in records
        )
    return tables


def export(*args):
    out = io.StringIO()
    call_command("export_records", *args, stdout=out)
    return out.getvalue()


def empty_and_load(fixture_text, tmp_path):
    """Empty the database as a new installation's is, then load the fixture into it."""
    path = tmp_path / "export.json"
    path.write_text(fixture_text, encoding="utf-8")
    call_command("flush", interactive=False, verbosity=0)
    assert not Delegation.objects.exists() and not Organization.objects.exists()
    call_command("loaddata", str(path), verbosity=0)


def organization(slug, **fields):
    return Organization.objects.create(
        slug=slug, name=fields.pop("name", slug.replace("-", " ").title()), **fields
    )


def place(slug, **fields):
    country = fields.pop("country", "AZ")
    if "parent" not in fields and fields.get("kind") != Place.Kind.COUNTRY:
        fields["parent"] = country_place(country)
    return Place.objects.create(
        slug=slug,
        name=fields.pop("name", slug.replace("-", " ").title()),
        country=country,
        **fields,
    )


def build_visit():
    """A visit with one of everything, whose records are all it needs, no more.

    Each tree is made child first (a smaller id than its parent's), so an export in id order
    would name a parent before the parent's record: the export must order by the tree.
    """
    department = organization("international-department", kind=Organization.Kind.DEPARTMENT)
    az_office = organization("az-office", country="AZ")
    department.parent = az_office
    department.save()
    ru_office = organization("ru-office", country="RU")
    academy = organization("law-academy", country="AZ")

    museum = place("victory-museum", kind=Place.Kind.MUSEUM)
    baku = place("baku", kind=Place.Kind.CITY)
    museum.parent = baku
    museum.save()
    moscow = place("moscow", country="RU", kind=Place.Kind.CITY)

    asset_recovery = Topic.objects.create(slug="asset-recovery", name="Asset recovery")
    cooperation = Topic.objects.create(slug="legal-cooperation", name="Legal cooperation")
    asset_recovery.parent = cooperation
    asset_recovery.save()

    source = Source.objects.create(
        url="https://example.org/visit",
        title="Prosecutors meet in Baku",
        publisher="Example News",
        language="en",
        published_on=dt.date(2023, 12, 15),
        supplied_by=department,
    )

    kamran = Person.objects.create(slug="kamran-aliyev", name="Kamran Aliyev")
    PersonName.objects.create(person=kamran, name="Камран Алиев", language="ru", script="Cyrl")
    Position.objects.create(
        person=kamran,
        organization=az_office,
        title="Prosecutor General",
        start_date=dt.date(2020, 2, 1),
    )
    # A post at a body named nowhere else in the visit: it travels with the person.
    Position.objects.create(
        person=kamran, organization=academy, title="Lecturer", end_date=dt.date(2019, 6, 30)
    )
    igor = Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
    PersonName.objects.create(person=igor, name="Игорь Краснов", language="ru", script="Cyrl")
    erkin = Person.objects.create(slug="erkin-alikhanov", name="Erkin Alikhanov")

    now = timezone.now()
    program = CooperationProgram.objects.create(
        slug="program-2021-2023",
        title="Cooperation Program 2021-2023",
        start_year=2021,
        end_year=2023,
        signed_on=dt.date(2021, 1, 12),
        signed_at=moscow,
        status=Status.PUBLISHED,
        published_at=now,
    )
    program.parties.set([az_office, ru_office])
    ProgramSignatory.objects.create(
        program=program, person=kamran, organization=az_office, title="Prosecutor General"
    )
    ProgramSignatory.objects.create(
        program=program, person=igor, organization=ru_office, title="Prosecutor General", order=1
    )
    ProgramCitation.objects.create(program=program, source=source, quotation="signed in 2021")

    council = Series.objects.create(slug="council-sessions", name="Council sessions")
    session = Occasion.objects.create(
        slug="council-session-35", name="35th session", series=council, number=35, place=baku
    )
    visit = Delegation.objects.create(
        slug="working-visit-baku",
        title="Working visit to Baku",
        occasion=session,
        sending_organization=ru_office,
        host_organization=az_office,
        program=program,
        visit_type=Delegation.VisitType.WORKING,
        start_date=dt.date(2023, 12, 14),
        end_date=dt.date(2023, 12, 16),
        location=museum,
        status=Status.PUBLISHED,
        published_at=now,
    )
    DelegationMember.objects.create(delegation=visit, person=igor, role="Head", is_head=True)
    DelegationCitation.objects.create(delegation=visit, source=source)
    welcome = Meeting.objects.create(
        delegation=visit,
        slug="welcome",
        title="Welcome",
        date=dt.date(2023, 12, 14),
        place=baku,
        host_organization=department,
    )
    MeetingParticipant.objects.create(
        meeting=welcome,
        person=erkin,
        organization=department,
        side=MeetingParticipant.Side.HOST,
        role="welcomed the guests",
    )
    MeetingParticipant.objects.create(
        meeting=welcome, organization=ru_office, side=MeetingParticipant.Side.VISITING, order=1
    )
    MeetingCitation.objects.create(activity=welcome, source=source)
    workshop = Workshop.objects.create(delegation=visit, slug="workshops", title="Workshops")
    workshop.topics.set([asset_recovery])
    WorkshopCitation.objects.create(activity=workshop, source=source)
    museum_visit = SiteVisit.objects.create(
        delegation=visit, slug="victory-museum", title="Victory Museum", place=museum, order=2
    )
    SiteVisitCitation.objects.create(activity=museum_visit, source=source)
    memorandum = CooperationProgram.objects.create(
        slug="memorandum-2023",
        kind=CooperationProgram.Kind.MEMORANDUM,
        title="Memorandum of understanding",
        signed_on=dt.date(2023, 12, 14),
        status=Status.PUBLISHED,
        published_at=now,
    )
    memorandum.parties.set([az_office, ru_office])
    ProgramCitation.objects.create(program=memorandum, source=source)
    Signing.objects.create(instrument=memorandum, delegation=visit, meeting=welcome)
    derived.refresh([visit.pk])
    return visit


def build_other_visit(program):
    """A second visit under the same programme, with records of its own: none of them
    belongs in an export of the first visit."""
    visitors = organization("visiting-ministry", country="KZ")
    hosts = Organization.objects.get(slug="az-office")
    city = place("ganja", kind=Place.Kind.CITY)
    topic = Topic.objects.create(slug="extradition", name="Extradition")
    guest = Person.objects.create(slug="guest-minister", name="Guest Minister")
    PersonName.objects.create(person=guest, name="Гость", language="ru", script="Cyrl")
    other = Delegation.objects.create(
        slug="study-visit-ganja",
        title="Study visit to Ganja",
        sending_organization=visitors,
        host_organization=hosts,
        program=program,
        visit_type=Delegation.VisitType.STUDY,
        start_date=dt.date(2024, 3, 1),
        location=city,
    )
    DelegationMember.objects.create(delegation=other, person=guest, is_head=True)
    Workshop.objects.create(delegation=other, slug="extradition", title="Extradition").topics.set(
        [topic]
    )
    organization("unrelated-court", kind=Organization.Kind.COURT)
    return other


def positions_in(fixture_text):
    records = json.loads(fixture_text)
    return records, {
        (record["model"], record["fields"].get("slug") or record["fields"].get("url")): index
        for index, record in enumerate(records)
    }


# --- The command --------------------------------------------------------------------------


def test_every_kind_of_record_can_be_exported():
    assert set(transfer.RECORD_MODELS) == set(record_models())


@pytest.mark.django_db(transaction=True)
def test_exported_visit_loads_into_an_empty_database_as_it_was(tmp_path):
    visit = build_visit()
    expected = snapshot()
    build_other_visit(visit.program)

    empty_and_load(export("--delegation", visit.slug), tmp_path)

    assert snapshot() == expected
    # The project's loaddata rebuilt the derived data: the visit is found by a member's name.
    assert list(Delegation.objects.search("Krasnov")) == [Delegation.objects.get(slug=visit.slug)]


@pytest.mark.django_db(transaction=True)
def test_baku_fixture_round_trips_through_an_export(tmp_path):
    call_command("loaddata", "baku_2023", verbosity=0)
    expected = snapshot()
    output = tmp_path / "baku.json"

    call_command("export_records", "--delegation", BAKU_VISIT, "--output", str(output))
    empty_and_load(output.read_text(encoding="utf-8"), tmp_path)

    assert snapshot() == expected
    assert sum(map(len, expected.values())) == 57


@pytest.mark.django_db(transaction=True)
def test_export_of_everything_round_trips(tmp_path):
    visit = build_visit()
    build_other_visit(visit.program)
    expected = snapshot()

    empty_and_load(export("--all", "--indent", "2"), tmp_path)

    assert snapshot() == expected


@pytest.mark.django_db(transaction=True)
def test_exported_programme_brings_its_parties_and_signatories_but_not_its_visits(tmp_path):
    visit = build_visit()

    empty_and_load(export("--program", visit.program.slug), tmp_path)

    program = CooperationProgram.objects.get()
    assert set(program.parties.values_list("slug", flat=True)) == {"az-office", "ru-office"}
    signatories = [(s.person.slug, s.organization.slug) for s in program.signatories.all()]
    assert signatories == [("kamran-aliyev", "az-office"), ("igor-krasnov", "ru-office")]
    assert program.signed_at.slug == "moscow"
    assert list(program.sources.values_list("url", flat=True)) == ["https://example.org/visit"]
    # The source's supplier comes with the parent it belongs to; the signatories' other
    # names and posts with them.
    assert Organization.objects.get(slug="international-department").parent.slug == "az-office"
    assert Person.objects.get(slug="kamran-aliyev").positions.count() == 2
    assert not Delegation.objects.exists()


def test_fixture_names_each_record_after_the_records_it_names(db):
    visit = build_visit()

    records, position = positions_in(export("--delegation", visit.slug))

    checked = 0
    for index, record in enumerate(records):
        model = apps.get_model(record["model"])
        for name, value in record["fields"].items():
            field = model._meta.get_field(name)
            target = field.related_model
            if target is None or not value or target._meta.app_label != "cooperation":
                continue
            keys = value if field.many_to_many else [value]
            for key in keys:
                if len(key) == 1:  # a slug or a URL
                    assert position[(target._meta.label_lower, key[0])] < index, (record, key)
                    checked += 1
    # Parents within one table included: the department after its office.
    assert (
        position[("cooperation.organization", "az-office")]
        < position[("cooperation.organization", "international-department")]
    )
    assert (
        position[("cooperation.place", "baku")] < position[("cooperation.place", "victory-museum")]
    )
    assert checked > 30


def test_export_of_an_unknown_slug_is_refused_and_writes_nothing(db, tmp_path):
    visit = build_visit()
    output = tmp_path / "export.json"

    with pytest.raises(CommandError, match="No delegation has the slug 'no-such-visit'"):
        call_command(
            "export_records",
            "--delegation",
            visit.slug,
            "no-such-visit",
            "--output",
            str(output),
        )
    with pytest.raises(CommandError, match="No instrument has the slug 'no-such'"):
        export("--program", "no-such")

    assert not output.exists()


def test_export_without_a_choice_says_what_to_name(db):
    with pytest.raises(CommandError, match="--delegation SLUG, --program SLUG, or --all"):
        export()


def test_export_writes_to_a_file_and_says_how_many_records(db, tmp_path):
    visit = build_visit()
    output = tmp_path / "visit.json"
    out = io.StringIO()

    call_command("export_records", "--delegation", visit.slug, "-o", str(output), stdout=out)

    records = json.loads(output.read_text(encoding="utf-8"))
    assert out.getvalue() == f"Exported {len(records)} record(s) to {output}.\n"
    assert ("cooperation.delegation", visit.slug) in {
        (record["model"], record["fields"].get("slug")) for record in records
    }


def test_export_costs_the_same_queries_for_one_visit_or_many(db):
    visit = build_visit()
    for n in range(4):
        copy = Delegation.objects.create(
            slug=f"visit-{n}",
            title=f"Visit {n}",
            sending_organization=visit.sending_organization,
            host_organization=visit.host_organization,
            program=visit.program,
            visit_type=visit.visit_type,
            start_date=visit.start_date,
            location=visit.location,
        )
        meeting = Meeting.objects.create(delegation=copy, slug="talks", title="Talks")
        MeetingParticipant.objects.create(
            meeting=meeting,
            person=Person.objects.create(slug=f"guest-{n}", name=f"Guest {n}"),
            side=MeetingParticipant.Side.VISITING,
        )
        MeetingCitation.objects.create(activity=meeting, source=Source.objects.get())

    with CaptureQueriesContext(connection) as one:
        export("--delegation", visit.slug)
    with CaptureQueriesContext(connection) as five:
        fixture = export("--delegation", visit.slug, *(f"visit-{n}" for n in range(4)))

    exported = [record["model"] for record in json.loads(fixture)]
    assert exported.count("cooperation.delegation") == 5
    assert exported.count("cooperation.meetingparticipant") == 6
    assert len(five) == len(one), [query["sql"] for query in five.captured_queries]


# --- The admin's fixture action -----------------------------------------------------------


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def run_action(client, model, action, records):
    return client.post(
        changelist(model),
        {"action": action, "index": "0", "_selected_action": [record.pk for record in records]},
    )


def downloaded(response):
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.django_db(transaction=True)
def test_admin_exports_a_selected_visit_as_a_fixture_that_loads(admin_client, admin_user, tmp_path):
    visit = build_visit()
    expected = snapshot()
    build_other_visit(visit.program)
    # Who published the visit is an account of this installation, unknown on another.
    Delegation.objects.filter(pk=visit.pk).update(published_by=admin_user)

    response = run_action(admin_client, Delegation, "export_fixture", [visit])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="working-visit-baku.json"'
    empty_and_load(downloaded(response), tmp_path)
    assert snapshot() == expected


@pytest.mark.parametrize("model", [Delegation, CooperationProgram, Organization, Meeting])
def test_fixture_export_is_offered_on_record_changelists(admin_client, db, model):
    response = admin_client.get(changelist(model))

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert choices["export_fixture"] == "Export selected as fixture (JSON)"
    assert choices["export_csv"] == "Export selected as CSV"


def test_fixture_of_several_programmes_is_named_after_them_and_holds_each(admin_client, world):
    other = CooperationProgram.objects.create(
        slug="program-2024-2026", title="Programme 2024-2026", start_year=2024, end_year=2026
    )
    other.parties.set([world.russia, world.azerbaijan])

    response = run_action(
        admin_client, CooperationProgram, "export_fixture", [world.program, other]
    )

    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (f'attachment; filename="instruments-{today}.json"')
    records = json.loads(downloaded(response))
    programs = {
        r["fields"]["slug"] for r in records if r["model"] == "cooperation.cooperationprogram"
    }
    assert programs == {"program-2021-2023", "program-2024-2026"}
    assert not any(record["model"] == "cooperation.delegation" for record in records)


def test_exported_activity_brings_its_visit_but_not_the_visits_other_activities(admin_client, db):
    visit = build_visit()
    museum_visit = SiteVisit.objects.get(delegation=visit)

    response = run_action(admin_client, SiteVisit, "export_fixture", [museum_visit])

    records = json.loads(downloaded(response))
    models = [record["model"] for record in records]
    assert models.count("cooperation.delegation") == 1
    assert models.count("cooperation.sitevisit") == 1
    assert models.count("cooperation.sitevisitcitation") == 1
    assert "cooperation.meeting" not in models
    assert "cooperation.delegationmember" not in models


def staff_user(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_fixture_that_would_carry_records_the_user_may_not_see_is_refused(
    client, django_user_model, db
):
    visit = build_visit()
    client.force_login(staff_user(django_user_model, "view_delegation"))

    response = run_action(client, Delegation, "export_fixture", [visit])

    assert response.status_code == 302
    page = client.get(response.url)
    message = [str(m) for m in page.context["messages"]][0]
    assert message.startswith("Not exported: the fixture would include ")
    assert "people" in message and "organizations" in message


def test_user_who_may_view_every_record_exports_a_fixture(client, django_user_model, db):
    visit = build_visit()
    views = [f"view_{model._meta.model_name}" for model in transfer.RECORD_MODELS]
    client.force_login(staff_user(django_user_model, *views))

    response = run_action(client, Delegation, "export_fixture", [visit])

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_user_who_may_not_view_visits_cannot_export_them(client, django_user_model, db):
    visit = build_visit()
    client.force_login(staff_user(django_user_model, "view_organization"))

    response = run_action(client, Delegation, "export_fixture", [visit])

    assert response.status_code == 403


# --- The admin's CSV action ---------------------------------------------------------------


def csv_rows(response):
    return list(csv.reader(io.StringIO(downloaded(response).removeprefix("\ufeff"))))


def changelist_headings(client, model):
    """The column headings the changelist shows (its template capitalises them), without the
    selection checkbox."""
    cl = client.get(changelist(model)).context["cl"]
    headers = list(result_headers(cl))
    return [
        capfirst(str(header["text"]))
        for name, header in zip(cl.list_display, headers, strict=True)
        if name != "action_checkbox"
    ]


def test_csv_export_has_the_changelist_columns_and_only_the_selected_rows(admin_client, world):
    head = Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
    DelegationMember.objects.create(delegation=world.published, person=head, is_head=True)
    Delegation.objects.create(
        slug="not-selected",
        title="Not selected",
        sending_organization=world.russia,
        host_organization=world.azerbaijan,
        visit_type=Delegation.VisitType.OFFICIAL,
        start_date=dt.date(2022, 5, 1),
        location=world.baku,
    )

    response = run_action(admin_client, Delegation, "export_csv", [world.published, world.draft])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="delegations.csv"'
    header, *rows = csv_rows(response)
    assert header == changelist_headings(admin_client, Delegation)
    shown = [dict(zip(header, row, strict=True)) for row in rows]
    # The selected rows only ("Not selected" is not), in the changelist's order: newest first.
    assert [row["Title"] for row in shown] == ["Draft working visit", "Published working visit"]
    published = shown[1]
    assert published["Start date"] == "2023-12-15"
    assert published["Head of delegation"] == "Igor Krasnov"
    assert published["Visit type"] == "Working visit"
    assert published["Status"] == "Published"
    assert published["Sending organization"] == world.russia.name
    assert published["End date"] == ""


def test_csv_export_names_each_visits_head_a_chunk_at_a_time(
    admin_client, world, make_event, monkeypatch
):
    # The export reads its visits a chunk at a time and the heads of each chunk in one
    # query (DelegationAdmin.attach_to_rows): every row names its own visit's head, across
    # chunks, and a visit without one has none.
    monkeypatch.setattr(transfer, "CHUNK", 2)
    visits = [make_event(start_date=dt.date(2020, 1, 1 + n)) for n in range(5)]
    for n, visit in enumerate(visits[:4]):
        person = Person.objects.create(slug=f"head-{n}", name=f"Head {n}")
        DelegationMember.objects.create(delegation=visit, person=person, is_head=True)
    response = run_action(admin_client, Delegation, "export_csv", visits)
    with CaptureQueriesContext(connection) as queries:  # the rows are read as they stream
        header, *rows = csv_rows(response)
    shown = {row[header.index("Title")]: row[header.index("Head of delegation")] for row in rows}
    assert sorted(shown.values()) == ["", "Head 0", "Head 1", "Head 2", "Head 3"]
    heads = [q for q in queries.captured_queries if "delegationmember" in q["sql"]]
    assert len(heads) == 3  # one per chunk of two visits


def test_a_visits_head_is_named_outside_a_changelist_too(world):
    # A visit read by any other door than a changelist's page or an export has its heads
    # read for it alone when the column asks.
    head = Person.objects.create(slug="igor-krasnov", name="Igor Krasnov")
    DelegationMember.objects.create(delegation=world.published, person=head, is_head=True)
    model_admin = admin.site._registry[Delegation]
    assert model_admin.head(Delegation.objects.get(pk=world.published.pk)) == "Igor Krasnov"
    assert model_admin.head(Delegation.objects.get(pk=world.draft.pk)) is None


def test_csv_export_of_programmes_uses_the_admins_computed_columns(admin_client, world):
    response = run_action(admin_client, CooperationProgram, "export_csv", [world.program])

    header, *rows = csv_rows(response)
    assert header == changelist_headings(admin_client, CooperationProgram)
    row = dict(zip(header, rows[0], strict=True))
    assert row["Period"] == "2021–2023"
    assert set(row["Parties"].split("; ")) == {world.russia.name, world.azerbaijan.name}
    assert len(rows) == 1


@pytest.mark.parametrize(
    "model",
    # django-axes' sign-in log: rows only a failed sign-in writes (test_security.py); changes
    # waiting for review: rows only the write path writes (test_workflow.py).
    [
        model
        for model in admin.site._registry
        if model._meta.app_label != "axes" and model._meta.model_name != "revision"
    ],
    ids=lambda model: model._meta.label_lower,
)
def test_csv_export_of_every_changelist_has_its_columns_and_rows(admin_client, db, model):
    build_visit()
    Group.objects.get_or_create(name="Reviewers")
    rows_shown = list(admin_client.get(changelist(model)).context["cl"].result_list)
    assert rows_shown

    response = admin_client.post(
        changelist(model),
        {
            "action": "export_csv",
            "index": "0",
            "select_across": "1",
            "_selected_action": [row.pk for row in rows_shown],
        },
    )

    assert response.status_code == 200
    header, *rows = csv_rows(response)
    assert header == changelist_headings(admin_client, model)
    assert len(rows) == len(rows_shown)


def test_view_only_user_exports_csv(client, django_user_model, world):
    client.force_login(staff_user(django_user_model, "view_organization"))

    response = run_action(client, Organization, "export_csv", [world.azerbaijan])

    assert response.status_code == 200
    header, *rows = csv_rows(response)
    row = dict(zip(header, rows[0], strict=True))
    assert row["Name"] == world.azerbaijan.name
    assert row["Country"] == "Azerbaijan"
    assert row["Parent"] == ""
    assert len(rows) == 1
