"""The publication workflow: draft, in review, published, and back to draft.

Who may view, add, change, submit, publish, unpublish and delete programmes and visits,
checked through every route the admin offers (forms, actions, deletion) and through
requests a browser would never send; that nothing is published without a source; and that
staff preview a draft at its public address while everyone else still gets a 404.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from cooperation import records
from cooperation.models import (
    CooperationProgram,
    Delegation,
    DelegationCitation,
    ProgramCitation,
    Revision,
    Source,
    Status,
)
from cooperation.records.rules import FROM_REVIEW, NO_SOURCE, ONLY_PUBLISHERS
from cooperation.roles import sync_roles
from tests.test_admin import admin_url, change_page_data, delegation_add_data, inline_prefix

ROLES = ("editor", "publisher", "superuser", "staff")

# What each role may do to a visit; everything else is refused.
ALLOWED = {
    "view": {"editor", "publisher", "superuser"},
    "add": {"editor", "publisher", "superuser"},
    "change": {"editor", "publisher", "superuser"},
    "submit": {"editor", "publisher", "superuser"},
    "publish": {"publisher", "superuser"},
    "unpublish": {"publisher", "superuser"},
    "delete published": {"publisher", "superuser"},
}


def matrix(action):
    return [(role, role in ALLOWED[action]) for role in ROLES]


@pytest.fixture
def roles(db):
    """The Editors and Publishers groups, as `migrate` makes them (cooperation/roles.py).

    `migrate` made them in the test database; a module that empties the database with
    `flush` (which restores permissions, not groups) leaves them to be made again.
    """
    sync_roles()


@pytest.fixture
def users(roles, django_user_model):
    def staff(username, group=None, **extra):
        user = django_user_model.objects.create_user(username, is_staff=True, **extra)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return {
        "editor": staff("editor", "Editors"),
        "publisher": staff("publisher", "Publishers"),
        "superuser": staff("root", is_superuser=True),
        # Staff, so the admin lets them in, but with no role.
        "staff": staff("outsider"),
    }


@pytest.fixture
def login(client, users):
    def as_role(role):
        client.force_login(users[role])
        return client

    return as_role


def run_action(client, model, action, records):
    return client.post(
        admin_url(model, "changelist"),
        {
            "action": action,
            "_selected_action": [record.pk for record in records],
            "index": "0",
            "select_across": "0",
        },
    )


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def admin_request(user):
    """A request to call the admin's own methods with, as `user`, collecting its messages."""
    request = RequestFactory().post("/admin/")
    request.user = user
    request._messages = CookieStorage(request)
    return request


def in_review(record):
    records.submit_for_review(record)


def reload(record):
    return type(record).objects.get(pk=record.pk)


@pytest.fixture
def draft_program(world):
    program = CooperationProgram.objects.create(
        title="Cooperation Program 2024-2026",
        slug="program-2024-2026",
        start_year=2024,
        end_year=2026,
    )
    program.parties.set([world.russia, world.azerbaijan])
    return program


# --- The roles ----------------------------------------------------------------------------


def test_roles_differ_only_in_the_publish_permissions(roles):
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    publishers = set(
        Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True)
    )

    assert publishers - editors == {"publish_delegation", "publish_cooperationprogram"}
    assert editors <= publishers
    for model in ("delegation", "cooperationprogram", "source", "meeting", "organization"):
        for action in ("view", "add", "change", "delete"):
            assert f"{action}_{model}" in editors
    assert Permission.objects.filter(codename="publish_delegation").exists()


# --- The permission matrix, through the admin pages ---------------------------------------


@pytest.mark.parametrize(("role", "allowed"), matrix("view"))
def test_viewing_visits_in_the_admin(login, world, role, allowed):
    client = login(role)

    changelist = client.get(admin_url(Delegation, "changelist"))
    change_page = client.get(admin_url(Delegation, "change", world.draft.pk))

    assert changelist.status_code == change_page.status_code == (200 if allowed else 403)
    if allowed:
        assert "Draft working visit" in changelist.text


@pytest.mark.parametrize(("role", "allowed"), matrix("add"))
def test_adding_a_draft_visit(login, admin_client, world, role, allowed):
    _, data = delegation_add_data(admin_client, world)

    response = login(role).post(admin_url(Delegation, "add"), data)

    assert response.status_code == (302 if allowed else 403)
    assert Delegation.objects.filter(slug="study-visit-moscow").exists() == allowed


@pytest.mark.parametrize(("role", "allowed"), matrix("change"))
def test_changing_a_draft_visit(login, admin_client, world, role, allowed):
    url = admin_url(Delegation, "change", world.draft.pk)
    data = {**change_page_data(admin_client.get(url)), "title_en": "Renamed draft visit"}

    response = login(role).post(url, data)

    assert response.status_code == (302 if allowed else 403)
    assert (reload(world.draft).title == "Renamed draft visit") == allowed


@pytest.mark.parametrize(("role", "allowed"), matrix("submit"))
def test_submitting_a_draft_for_review(login, world, role, allowed):
    response = run_action(login(role), Delegation, "submit_for_review", [world.draft])

    assert response.status_code == (302 if allowed else 403)
    assert reload(world.draft).status == (Status.IN_REVIEW if allowed else Status.DRAFT)
    if allowed:
        assert messages_of(response) == ["1 delegation submitted for review."]


@pytest.mark.parametrize(("role", "allowed"), matrix("publish"))
def test_publishing_with_the_action(login, users, world, role, allowed):
    world.draft.status = Status.IN_REVIEW
    world.draft.save()

    response = run_action(login(role), Delegation, "publish", [world.draft])

    draft = reload(world.draft)
    if allowed:
        assert response.status_code == 302
        assert messages_of(response) == ["1 delegation published."]
        assert draft.status == Status.PUBLISHED
        assert draft.published_by == users[role]
        # Whole seconds, as the admin's inputs show it: the next save changes nothing.
        assert draft.published_at is not None and draft.published_at.microsecond == 0
    else:
        # An editor is not offered the action (posting its name changes nothing, see
        # below); staff without a role may not use the list at all.
        assert response.status_code == (302 if role == "editor" else 403)
        assert draft.status == Status.IN_REVIEW
        assert draft.published_at is None and draft.published_by is None


@pytest.mark.parametrize(("role", "allowed"), matrix("unpublish"))
def test_returning_a_published_visit_to_draft(login, world, role, allowed):
    published_at = world.published.published_at

    response = run_action(login(role), Delegation, "return_to_draft", [world.published])

    event = reload(world.published)
    if allowed:
        assert response.status_code == 302
        assert messages_of(response) == ["1 delegation returned to draft."]
        assert event.status == Status.DRAFT
        assert event.published_at is None
    else:
        assert response.status_code == (302 if role == "editor" else 403)
        assert event.status == Status.PUBLISHED
        assert event.published_at == published_at


@pytest.mark.parametrize(("role", "allowed"), matrix("delete published"))
def test_deleting_a_published_visit(login, world, role, allowed):
    client = login(role)
    url = admin_url(Delegation, "delete", world.published.pk)

    page = client.get(url)
    response = client.post(url, {"post": "yes"})

    assert page.status_code == (200 if allowed else 403)
    assert response.status_code == (302 if allowed else 403)
    assert Delegation.objects.filter(pk=world.published.pk).exists() != allowed


@pytest.mark.parametrize(("role", "allowed"), matrix("delete published"))
def test_bulk_deleting_a_published_visit(login, world, role, allowed):
    client = login(role)
    data = {
        "action": "delete_selected",
        "_selected_action": [world.published.pk],
        "index": "0",
        "post": "yes",
    }

    response = client.post(admin_url(Delegation, "changelist"), data)

    assert response.status_code == (302 if allowed else 403)
    assert Delegation.objects.filter(pk=world.published.pk).exists() != allowed


def test_editor_may_delete_a_draft_visit(login, world):
    response = login("editor").post(
        admin_url(Delegation, "delete", world.draft.pk), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Delegation.objects.filter(pk=world.draft.pk).exists()


def test_editor_is_offered_no_publish_action_and_publisher_is(login, world):
    def offered(role):
        response = login(role).get(admin_url(Delegation, "changelist"))
        return {name for name, _ in response.context["action_form"].fields["action"].choices}

    assert {"submit_for_review", "return_to_draft"} <= offered("editor")
    assert "publish" not in offered("editor")
    assert "publish" in offered("publisher")


def test_editor_change_to_a_published_visit_waits_for_review(login, world):
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    page = editor.get(url)
    published_at = world.published.published_at
    data = {
        **change_page_data(page),
        "title_en": "Corrected title",
        # Not on the editor's form: a crafted request sends them anyway.
        "status": Status.DRAFT,
        "published_at_0": "2020-01-01",
        "published_at_1": "10:00:00",
    }

    response = editor.post(url, data)

    assert response.status_code == 302
    assert "Your change is kept for review" in " ".join(messages_of(response))
    event = reload(world.published)
    # The public keeps the published version...
    assert event.title == "Published working visit"
    assert (event.status, event.published_at) == (Status.PUBLISHED, published_at)
    assert "Corrected title" not in Client().get("/events/published-visit/").text
    # ...while the editor's form shows the change, waiting for review.
    revision = Revision.objects.get(delegation=event, state=Revision.State.PENDING)
    assert revision.created_by.username == "editor"
    again = editor.get(url)
    assert again.context["adminform"].form.initial["title_en"] == "Corrected title"
    # The page shows the editor the publication fields without letting them edit them.
    assert "status" not in page.context["adminform"].form.fields
    assert "published_at" not in page.context["adminform"].form.fields


def test_publisher_sees_the_difference_and_approves_it(login, world):
    public = Client()
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Corrected title"})
    publisher = login("publisher")
    review = admin_url(Delegation, "review", world.published.pk)

    page = publisher.get(review)

    assert (
        "Delegation: Published working visit",
        "Title [en]",
        "Published working visit",
        "Corrected title",
    ) in [tuple(row) for row in page.context["differences"]]
    etag = public.get("/events/published-visit/").headers["ETag"]
    response = publisher.post(review, {"decision": "approve"})
    assert response.status_code == 302
    assert reload(world.published).title == "Corrected title"
    assert reload(world.published).status == Status.PUBLISHED
    page = public.get("/events/published-visit/")
    assert "Corrected title" in page.text and page.headers["ETag"] != etag
    revision = Revision.objects.get(delegation=world.published)
    assert revision.state == Revision.State.APPROVED
    assert revision.decided_by.username == "publisher"
    # The approval is in the visit's history, by the publisher.
    latest = world.published.history.latest()
    assert latest.history_user.username == "publisher"
    assert latest.history_change_reason == "Approved the change of editor"


def test_editor_cannot_approve_a_change(login, world):
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Corrected title"})

    response = editor.post(
        admin_url(Delegation, "review", world.published.pk), {"decision": "approve"}
    )

    assert response.status_code == 403
    assert reload(world.published).title == "Published working visit"


@pytest.mark.parametrize(
    ("role", "sees", "decides"),
    [
        ("editor", 200, 403),
        ("publisher", 200, 302),
        ("superuser", 200, 302),
        # Staff without a role may not view visits: no page, no decision.
        ("staff", 404, 404),
    ],
)
def test_who_sees_and_who_decides_a_change_waiting_for_review(login, world, role, sees, decides):
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Corrected title"})
    review = admin_url(Delegation, "review", world.published.pk)
    client = login(role)

    assert client.get(review).status_code == sees
    assert client.post(review, {"decision": "approve"}).status_code == decides
    approved = decides == 302
    assert (reload(world.published).title == "Corrected title") is approved
    state = Revision.State.APPROVED if approved else Revision.State.PENDING
    assert Revision.objects.get(delegation=world.published).state == state


def test_changes_waiting_for_review_are_listed_for_staff_and_written_by_none(login, world):
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Corrected title"})

    listing = login("publisher").get(admin_url(Revision, "changelist"))

    review = admin_url(Delegation, "review", world.published.pk)
    assert f'<a href="{review}">Published working visit</a>' in listing.text
    assert login("editor").get(admin_url(Revision, "add")).status_code == 403


def test_anonymous_review_request_is_sent_to_sign_in(client, world):
    response = client.get(admin_url(Delegation, "review", world.published.pk))

    assert response.status_code == 302 and "/admin/login/" in response.url


def test_an_editor_change_to_a_published_programme_waits_for_review(login, world, client):
    ProgramCitation.objects.create(
        program=world.program, source=Source.objects.get(url="https://example.org/report")
    )
    editor = login("editor")
    url = admin_url(CooperationProgram, "change", world.program.pk)

    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Renamed programme"})

    assert reload(world.program).title == "Cooperation Program 2021-2023"
    assert Revision.objects.get(program=world.program).state == Revision.State.PENDING
    client.logout()
    assert "Renamed programme" not in client.get("/programs/program-2021-2023/").text


def test_editor_edits_build_on_the_change_waiting_for_review(login, world):
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Corrected title"})

    # The second edit starts from the form as the first one left it.
    editor.post(url, {**change_page_data(editor.get(url)), "summary_en": "A new summary."})

    login("publisher").post(
        admin_url(Delegation, "review", world.published.pk), {"decision": "approve"}
    )
    visit = reload(world.published)
    assert (visit.title, visit.summary) == ("Corrected title", "A new summary.")
    assert Revision.objects.count() == 1


def test_rejected_change_leaves_the_public_version(login, world):
    editor = login("editor")
    url = admin_url(Delegation, "change", world.published.pk)
    editor.post(url, {**change_page_data(editor.get(url)), "title_en": "Corrected title"})

    login("publisher").post(
        admin_url(Delegation, "review", world.published.pk), {"decision": "reject"}
    )

    assert reload(world.published).title == "Published working visit"
    assert Revision.objects.get().state == Revision.State.REJECTED
    assert (
        editor.get(url).context["adminform"].form.initial["title_en"] == "Published working visit"
    )


# --- Requests the forms would never send --------------------------------------------------


def test_editor_posting_published_status_to_the_change_form_is_refused(login, world):
    client = login("editor")
    url = admin_url(Delegation, "change", world.draft.pk)
    page = client.get(url)
    data = {**change_page_data(page), "status": Status.PUBLISHED}

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [ONLY_PUBLISHERS]
    assert reload(world.draft).status == Status.DRAFT
    # The editor's form offers the steps they may take, and not publication.
    choices = [value for value, _ in page.context["adminform"].form.fields["status"].choices]
    assert choices == [Status.DRAFT, Status.IN_REVIEW]


def test_editor_posting_published_status_to_the_add_form_is_refused(login, admin_client, world):
    _, data = delegation_add_data(admin_client, world, status=Status.PUBLISHED)

    response = login("editor").post(admin_url(Delegation, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [ONLY_PUBLISHERS]
    assert not Delegation.objects.filter(slug="study-visit-moscow").exists()


def test_editor_posting_the_publish_action_changes_nothing(login, world):
    response = run_action(login("editor"), Delegation, "publish", [world.draft])

    assert messages_of(response) == ["No action selected."]
    assert reload(world.draft).status == Status.DRAFT


def test_editor_posting_published_status_to_a_programme_is_refused(login, draft_program):
    client = login("editor")
    url = admin_url(CooperationProgram, "change", draft_program.pk)
    data = {**change_page_data(client.get(url)), "status": Status.PUBLISHED}

    response = client.post(url, data)

    assert response.status_code == 200
    assert reload(draft_program).status == Status.DRAFT


def test_return_to_draft_by_an_editor_skips_published_rows_and_names_them(login, world):
    world.draft.status = Status.IN_REVIEW
    world.draft.save()

    response = run_action(
        login("editor"), Delegation, "return_to_draft", [world.draft, world.published]
    )

    assert reload(world.draft).status == Status.DRAFT
    assert reload(world.published).status == Status.PUBLISHED
    assert messages_of(response) == [
        "1 delegation returned to draft.",
        f"Left on the public site: Published working visit. {ONLY_PUBLISHERS}",
    ]


def test_deleting_rows_as_an_editor_keeps_the_published_ones(users, world):
    # The bulk delete refuses before it gets here (see above); the admin's own deletion of a
    # selection holds the rule too.
    request = admin_request(users["editor"])
    model_admin = admin.site.get_model_admin(Delegation)

    model_admin.delete_queryset(
        request, Delegation.objects.filter(pk__in=[world.draft.pk, world.published.pk])
    )

    assert list(Delegation.objects.values_list("slug", flat=True)) == ["published-visit"]
    assert [str(message) for message in request._messages] == [
        "Not deleted: Published working visit. Only a publisher can delete a published record."
    ]


@pytest.mark.parametrize("stored", [Status.DRAFT, Status.PUBLISHED])
def test_editor_cannot_change_a_publication_through_any_door(users, world, stored):
    # However a save comes to carry a publication (a stale page, a script acting for an
    # editor), the write path refuses it and keeps what is stored.
    event = world.published if stored == Status.PUBLISHED else world.draft
    before = reload(event)
    event.title = "Edited title"
    if stored == Status.PUBLISHED:
        event.return_to_draft()
    else:
        event.publish(users["editor"])

    with pytest.raises(ValidationError) as refused:
        records.save(event, user=users["editor"])

    assert any(ONLY_PUBLISHERS in message for message in refused.value.messages)
    after = reload(event)
    assert after.title == before.title
    assert (after.status, after.published_at, after.published_by) == (
        before.status,
        before.published_at,
        before.published_by,
    )


def test_a_draft_is_not_published_without_review(users, world):
    event = reload(world.draft)
    event.publish(users["publisher"])

    with pytest.raises(ValidationError) as refused:
        records.save(event, user=users["publisher"])

    assert any(FROM_REVIEW in message for message in refused.value.messages)
    assert reload(world.draft).status == Status.DRAFT


# --- Sources ------------------------------------------------------------------------------


def test_publish_action_skips_records_without_a_source_and_names_them(login, world, make_event):
    unsourced = make_event(title="Unsourced visit", status=Status.IN_REVIEW)
    DelegationCitation.objects.filter(delegation=unsourced).delete()
    in_review(world.draft)

    response = run_action(login("publisher"), Delegation, "publish", [world.draft, unsourced])

    assert reload(world.draft).status == Status.PUBLISHED
    assert reload(unsourced).status == Status.IN_REVIEW
    assert messages_of(response) == [
        "1 delegation published.",
        "Not published, because they cite no source yet: Unsourced visit.",
    ]


def test_publish_action_skips_drafts_not_yet_in_review(login, world):
    response = run_action(login("publisher"), Delegation, "publish", [world.draft])

    assert reload(world.draft).status == Status.DRAFT
    assert messages_of(response) == [
        "Not published, because they are drafts not yet in review: Draft working visit."
    ]


def test_publishing_from_the_form_while_removing_the_last_source_is_refused(login, world):
    in_review(world.draft)
    client = login("publisher")
    url = admin_url(Delegation, "change", world.draft.pk)
    page = client.get(url)
    prefix = inline_prefix(page, DelegationCitation)
    data = {**change_page_data(page), "status": Status.PUBLISHED, f"{prefix}-0-DELETE": "on"}

    response = client.post(url, data)

    assert response.status_code == 200
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    )
    assert formset.non_form_errors() == [NO_SOURCE]
    assert reload(world.draft).status == Status.IN_REVIEW
    assert DelegationCitation.objects.filter(delegation=world.draft).exists()


def test_publishing_from_the_form_records_when_and_by_whom(login, users, world):
    in_review(world.draft)
    client = login("publisher")
    url = admin_url(Delegation, "change", world.draft.pk)
    data = {**change_page_data(client.get(url)), "status": Status.PUBLISHED}

    response = client.post(url, data)

    assert response.status_code == 302
    event = reload(world.draft)
    assert event.status == Status.PUBLISHED
    assert event.published_at is not None
    assert event.published_by == users["publisher"]
    # Shown, read-only, in the Publication part of the form.
    page = client.get(url)
    assert "published_by" not in page.context["adminform"].form.fields
    field = page.text.split("field-published_by", 1)[1].split("form-row", 1)[0]
    assert '<div class="readonly">' in field and ">publisher</" in field


def test_programme_is_published_with_the_source_added_on_the_same_form(login, users, draft_program):
    source = Source.objects.create(
        url="https://example.org/programme",
        title="Programme signed",
        publisher="Example News",
        language="en",
    )
    in_review(draft_program)
    client = login("publisher")
    url = admin_url(CooperationProgram, "change", draft_program.pk)
    page = client.get(url)
    prefix = inline_prefix(page, ProgramCitation)
    without_source = {**change_page_data(page), "status": Status.PUBLISHED}
    with_source = {
        **without_source,
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-source": source.pk,
        f"{prefix}-0-order": "0",
    }

    refused = client.post(url, without_source)
    assert refused.status_code == 200
    assert NO_SOURCE in refused.text
    assert reload(draft_program).status == Status.IN_REVIEW

    response = client.post(url, with_source)
    assert response.status_code == 302
    program = reload(draft_program)
    assert program.status == Status.PUBLISHED
    assert program.published_by == users["publisher"]
    assert list(program.sources.all()) == [source]


def test_publisher_not_shown_the_sources_publishes_only_what_cites_one(
    client, django_user_model, world, make_event
):
    # May publish visits but not see their citations: the form has no rows to check, so
    # the stored sources decide.
    user = django_user_model.objects.create_user("narrow", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_delegation", "change_delegation", "publish_delegation"]
        )
    )
    client.force_login(user)
    unsourced = make_event(title="Unsourced visit", status=Status.IN_REVIEW)
    DelegationCitation.objects.filter(delegation=unsourced).delete()
    in_review(world.draft)

    def publish(event):
        url = admin_url(Delegation, "change", event.pk)
        page = client.get(url)
        assert not any(
            inline.formset.model is DelegationCitation
            for inline in page.context["inline_admin_formsets"]
        )
        response = client.post(url, {**change_page_data(page), "status": Status.PUBLISHED})
        assert response.status_code == 302
        return messages_of(response)

    assert any(NO_SOURCE in message for message in publish(unsourced))
    assert reload(unsourced).status == Status.IN_REVIEW
    assert not any(NO_SOURCE in message for message in publish(world.draft))
    assert reload(world.draft).status == Status.PUBLISHED
    assert reload(world.draft).published_by == user


# --- The public site follows at once ------------------------------------------------------


def test_publishing_and_unpublishing_update_the_public_pages(login, world, client):
    # The place page lists visits from the event index, which holds published ones only.
    assert "Draft working visit" not in client.get("/places/baku/").text
    in_review(world.draft)

    run_action(login("publisher"), Delegation, "publish", [world.draft])
    client.logout()

    assert "Draft working visit" in client.get("/places/baku/").text
    assert client.get("/events/draft-visit/").status_code == 200

    run_action(login("publisher"), Delegation, "return_to_draft", [world.draft])
    client.logout()

    assert "Draft working visit" not in client.get("/places/baku/").text
    assert client.get("/events/draft-visit/").status_code == 404


def test_unpublishing_a_programme_unlinks_it_from_its_visits_search(login, world, client):
    # A visit is found by its programme's title only while the programme is published.
    assert "Published working visit" in client.get("/events/?q=cooperation").text

    run_action(login("publisher"), CooperationProgram, "return_to_draft", [world.program])
    client.logout()

    assert reload(world.program).status == Status.DRAFT
    assert client.get("/programs/program-2021-2023/").status_code == 404
    assert "Published working visit" not in client.get("/events/?q=cooperation").text


# --- Previews -----------------------------------------------------------------------------

BANNER = "Draft – not public"


@pytest.mark.parametrize("role", ["editor", "publisher", "superuser"])
def test_staff_preview_a_draft_visit_with_a_banner(login, world, role):
    response = login(role).get("/events/draft-visit/")

    assert response.status_code == 200
    assert "Draft working visit" in response.text
    assert '<div class="preview-banner" role="status">' in response.text
    assert BANNER in response.text
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert "ETag" not in response


def test_published_visit_shows_staff_no_banner(login, world):
    response = login("editor").get("/events/published-visit/")

    assert response.status_code == 200
    assert BANNER not in response.text


@pytest.mark.parametrize("who", ["anonymous", "member of the public", "staff without a role"])
def test_draft_visit_is_404_to_everyone_else(client, users, django_user_model, world, who):
    if who == "member of the public":
        client.force_login(django_user_model.objects.create_user("reader"))
    elif who == "staff without a role":
        client.force_login(users["staff"])

    response = client.get("/events/draft-visit/")

    assert response.status_code == 404
    assert "Draft working visit" not in response.text


def test_anonymous_request_after_a_preview_is_still_404(login, world, client):
    preview = login("editor").get("/events/draft-visit/")
    assert preview.status_code == 200
    client.logout()

    first = client.get("/events/draft-visit/")
    again = client.get("/events/draft-visit/")

    assert first.status_code == again.status_code == 404
    assert "Draft working visit" not in first.text + again.text


def test_staff_preview_a_draft_programme_and_the_public_gets_404(login, draft_program, client):
    assert client.get("/programs/program-2024-2026/").status_code == 404

    preview = login("editor").get("/programs/program-2024-2026/")
    assert preview.status_code == 200
    assert BANNER in preview.text
    assert "no-store" in preview["Cache-Control"]
    client.logout()

    response = client.get("/programs/program-2024-2026/")
    assert response.status_code == 404
    assert "Cooperation Program 2024-2026" not in response.text


def test_draft_calendar_stays_404_even_for_staff(login, world):
    # The preview is a page to check, not something to subscribe to.
    response = login("editor").get("/events/draft-visit/calendar.ics")

    assert response.status_code == 404


def test_editor_returns_a_record_in_review_to_draft(login, world):
    client = login("editor")
    submitted = run_action(client, Delegation, "submit_for_review", [world.draft])
    assert messages_of(submitted) == ["1 delegation submitted for review."]
    assert reload(world.draft).status == Status.IN_REVIEW
    client.get(submitted.url)  # where the message is shown, once

    response = run_action(client, Delegation, "return_to_draft", [world.draft])

    assert messages_of(response) == ["1 delegation returned to draft."]
    event = reload(world.draft)
    assert event.status == Status.DRAFT
    assert event.published_at is None and event.published_by is None


def test_a_publication_that_cannot_finish_changes_nothing(login, world, client, monkeypatch):
    # The search text and event index are rebuilt in the same transaction as the saves: if
    # the rebuild fails, the visit stays a draft instead of being public but unlisted.
    def broken(ids, using):
        raise RuntimeError("the event index could not be written")

    in_review(world.draft)
    monkeypatch.setattr("cooperation.records.derived.refresh", broken)
    publisher = login("publisher")
    publisher.raise_request_exception = False
    response = run_action(publisher, Delegation, "publish", [world.draft])
    assert response.status_code == 500
    world.draft.refresh_from_db()
    assert world.draft.status == Status.IN_REVIEW and world.draft.published_at is None
    client.logout()
    assert client.get("/events/draft-visit/").status_code == 404
