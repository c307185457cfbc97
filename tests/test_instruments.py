"""Instruments (programmes, memoranda, agreements…) as a reader and a records officer meet
them: a visit that carries out one programme and is where a memorandum is signed; who
signed it counts as taking part in the visit; its topics have pages; the rules that keep
a signing true."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cooperation.models import (
    CooperationProgram,
    Meeting,
    Person,
    ProgramSignatory,
    Signing,
    Status,
    Topic,
)
from cooperation.records import derived
from tests.conftest import listed


@pytest.fixture
def signed(world):
    """The published visit (under the 2021-2023 programme) is where a memorandum on legal
    assistance was signed, at its talks, by a person named nowhere else."""
    visit = world.published
    talks = Meeting.objects.create(
        delegation=visit, slug="talks", title="Talks", date=visit.start_date
    )
    memorandum = CooperationProgram.objects.create(
        kind=CooperationProgram.Kind.MEMORANDUM,
        title="Memorandum on legal assistance",
        slug="memorandum",
        signed_on=visit.start_date,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
    )
    memorandum.parties.set([world.russia, world.azerbaijan])
    assistance = Topic.objects.create(name="Legal assistance", slug="legal-assistance")
    memorandum.topics.add(assistance)
    signer = Person.objects.create(name="Signer", slug="signer")
    ProgramSignatory.objects.create(
        program=memorandum, person=signer, organization=world.russia, title="Deputy"
    )
    Signing.objects.create(instrument=memorandum, delegation=visit, meeting=talks)
    derived.refresh([visit.pk])
    return memorandum


def test_a_visit_page_names_the_programme_it_carries_out_and_what_was_signed(client, signed):
    page = client.get("/events/published-visit/").text

    assert "Carried out under" in page and 'href="/programs/program-2021-2023/"' in page
    assert "Signed during this visit" in page and 'href="/programs/memorandum/"' in page
    assert "Signed here:" in page  # at the talks, in the timeline


def test_the_instrument_page_names_its_type_and_the_visit_it_was_signed_during(client, signed):
    page = client.get("/programs/memorandum/").text

    assert "Memorandum of understanding" in page
    assert "Signed during" in page and 'href="/events/published-visit/"' in page
    assert 'href="/events/published-visit/#meeting-talks"' in page
    assert 'href="/topics/legal-assistance/"' in page
    # A memorandum has a term only where the sources give one, and no visits "under" it.
    assert "not stated in the sources" in page
    assert "Events under this programme" not in page


def test_who_signed_it_and_what_it_is_about_count_for_the_visit(client, signed):
    assert listed(client, instrument="memorandum") == {"published-visit"}
    assert listed(client, person="signer") == {"published-visit"}
    assert listed(client, topic="legal-assistance") == {"published-visit"}
    topic = client.get("/topics/legal-assistance/").text
    assert "Programmes and agreements on this topic" in topic
    assert 'href="/programs/memorandum/"' in topic


def test_a_draft_instrument_is_not_named_on_the_visit_page(client, signed):
    signed.status, signed.published_at = Status.DRAFT, None
    signed.save()

    page = client.get("/events/published-visit/").text

    assert "/programs/memorandum/" not in page
    assert client.get("/programs/memorandum/").status_code == 404


def test_a_signing_names_a_meeting_of_its_visit_on_a_day_of_it(world, signed, make_event):
    signing = Signing.objects.get()
    other = Meeting.objects.create(delegation=make_event(slug="other"), slug="m", title="M")
    signing.meeting = other
    with pytest.raises(ValidationError) as refused:
        signing.full_clean()
    assert "Choose a meeting of this visit." in str(refused.value)

    signed.signed_on = world.published.start_date + dt.timedelta(days=30)
    signed.save()
    signing = Signing.objects.get()
    with pytest.raises(ValidationError) as refused:
        signing.full_clean()
    assert "not a day of this meeting" in str(refused.value)


def test_a_programme_needs_its_period_and_another_instrument_does_not(world):
    programme = CooperationProgram(title="Programme", slug="programme")
    with pytest.raises(ValidationError) as refused:
        programme.full_clean()
    assert "start_year" in refused.value.message_dict
    memorandum = CooperationProgram(
        kind=CooperationProgram.Kind.MEMORANDUM, title="Memorandum", slug="memorandum"
    )
    memorandum.full_clean()
