"""The admin's forms as a screen reader and a 1,280 px window get them: a field's other
languages folded under its English input, a saved activity's fields under its title, each
opening by itself where it holds an error; every input of a table's row labelled with its
column and its row (cooperation/templatetags/admin_layout.py, templates/admin/includes/).

The browser's view of the same pages (axe, the window's width) is
tests/browser/test_admin_accessibility.py.
"""

import datetime as dt

import pytest
from lxml import html

from cooperation import records
from cooperation.models import Delegation, DelegationMember, Meeting, Person
from tests.test_admin import admin_url, change_page_data

pytestmark = pytest.mark.django_db


def tree(response):
    assert response.status_code == 200, response.content[:2000]
    return html.fromstring(response.content)


def label_text(page, field_id):
    (label,) = page.xpath(f'//label[@for="{field_id}"]')
    return " ".join(label.text_content().split())


def folding(page, field_id):
    """The <details> an input is folded in, or None."""
    folds = page.get_element_by_id(field_id).xpath("ancestor::details")
    return folds[-1] if folds else None


@pytest.fixture
def visit(world):
    """The draft visit, with an Azerbaijani title, a member and a saved meeting."""
    visit = world.draft
    with records.change():
        visit.title_az = "Layihə işgüzar səfəri"
        visit.save()
        person = Person.objects.create(name="Igor Krasnov", slug="igor-krasnov")
        DelegationMember.objects.create(
            delegation=visit, person=person, role="Prosecutor General", is_head=True, order=1
        )
        Meeting.objects.create(
            delegation=visit, slug="talks", title="Talks", date=dt.date(2024, 3, 1), order=1
        )
    return visit


def test_a_fields_other_languages_fold_under_its_english_input(admin_client, visit):
    page = tree(admin_client.get(admin_url(Delegation, "change", visit.pk)))

    assert folding(page, "id_title_en") is None
    folded = folding(page, "id_title_az")
    assert folded is not None and folding(page, "id_title_ru") is folded
    assert "open" not in folded.attrib
    summary = " ".join(folded.find("summary").text_content().split())
    assert summary == "Title in other languages (filled: az)"


def test_a_translation_with_an_error_is_shown_unfolded(admin_client, visit):
    url = admin_url(Delegation, "change", visit.pk)
    data = {**change_page_data(admin_client.get(url)), "title_ru": "x" * 300}

    page = tree(admin_client.post(url, data))

    folded = folding(page, "id_title_ru")
    assert "open" in folded.attrib
    assert "at most 255 characters" in folded.text_content()
    # The other fields' translations, without errors, stay folded.
    assert "open" not in folding(page, "id_summary_az").attrib


def test_a_saved_activity_folds_under_its_title_and_opens_on_an_error(admin_client, visit):
    url = admin_url(Delegation, "change", visit.pk)
    response = admin_client.get(url)
    page = tree(response)

    meeting = page.get_element_by_id("meetings-0")
    assert meeting.find("h3").text_content().split()[:2] == ["Meeting:", "Talks"]
    assert "open" not in folding(page, "id_meetings-0-title_en").attrib
    # The row "Add another" copies is open: a new meeting is entered at once.
    assert "open" in folding(page, "id_meetings-__prefix__-title_en").attrib

    data = {**change_page_data(response), "meetings-0-title_en": ""}
    page = tree(admin_client.post(url, data))

    assert "open" in folding(page, "id_meetings-0-title_en").attrib
    assert "This field is required." in folding(page, "id_meetings-0-title_en").text_content()


def test_each_input_of_a_tables_row_is_named_for_its_column_and_row(admin_client, visit):
    page = tree(admin_client.get(admin_url(Delegation, "change", visit.pk)))

    assert label_text(page, "id_members-0-person") == "Person, row 1"
    assert label_text(page, "id_members-0-role_en") == "Role [en], row 1"
    assert label_text(page, "id_members-0-order") == "Order, row 1"
    assert label_text(page, "id_members-0-DELETE") == "Delete row 1"
    # The other languages' labels show the language, in the cell's fold.
    assert label_text(page, "id_members-0-role_az") == "Role [az], row 1"
    assert folding(page, "id_members-0-role_az") is not None
    # The row "Add another" copies.
    assert label_text(page, "id_members-__prefix__-role_en") == "Role [en], new row"
    # One column for the role in every language, one header each.
    headers = [
        " ".join(th.text_content().split())
        for th in page.xpath('//*[@id="members-group"]//thead//th')
    ]
    assert headers == ["Person", "Role [en]", "Head of delegation", "Order", "Delete?"]


def test_the_date_and_time_of_publication_are_labelled(admin_client, world):
    page = tree(admin_client.get(admin_url(Delegation, "change", world.published.pk)))

    assert label_text(page, "id_published_at_0") == "Published at: Date:"
    assert label_text(page, "id_published_at_1") == "Published at: Time:"


def test_an_autocomplete_starts_with_a_named_empty_choice(admin_client, world):
    page = tree(admin_client.get(admin_url(Delegation, "add")))

    # Required (the sending body) or not (the programme), a single choice opens on it.
    for field_id in ("id_sending_organization", "id_program"):
        first = page.get_element_by_id(field_id).xpath("option")[0]
        assert (first.get("value"), first.text) == ("", "---------")


def test_the_changelist_search_box_has_a_label_of_words(admin_client, world):
    page = tree(admin_client.get(admin_url(Delegation, "changelist")))

    assert label_text(page, "searchbar") == "Search delegations"
