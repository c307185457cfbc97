"""Choosing a filter's record by its name (cooperation/suggest.py): names typed without the
autocomplete become slugs, the suggestions the autocomplete reads, and the boxes showing
names, on /events/ and its Russian and Azerbaijani pages."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext

from cooperation import records
from cooperation.models import (
    CooperationProgram,
    DelegationMember,
    Organization,
    Person,
    PersonName,
    Status,
)

AZ_RU = "Генеральная прокуратура Азербайджанской Республики"
RU_RU = "Генеральная прокуратура Российской Федерации"


@pytest.fixture
def named(world, make_event):
    """The shared world, its offices with their Russian names, a member of the published
    visit with a Cyrillic spelling of his name, and a draft visit's office and programme
    that no public page may name."""
    Organization.objects.filter(pk=world.azerbaijan.pk).update(name_ru=AZ_RU)
    Organization.objects.filter(pk=world.russia.pk).update(name_ru=RU_RU)
    with records.change():
        world.erkin = Person.objects.create(name="Erkin Alikhanov", slug="erkin-alikhanov")
        PersonName.objects.create(
            person=world.erkin, name="Эркин Алиханов", language="ru", script="Cyrl"
        )
        PersonName.objects.create(
            person=world.erkin, name="Erkin Əlixanov", language="az", script="Latn"
        )
        DelegationMember.objects.create(delegation=world.published, person=world.erkin)
    secret = Organization.objects.create(name="Secret Draft Bureau", slug="secret-bureau")
    hidden_programme = CooperationProgram.objects.create(
        title="Hidden Draft Programme", slug="hidden-programme", status=Status.DRAFT
    )
    make_event(
        slug="secret-visit",
        status=Status.DRAFT,
        sending_organization=secret,
        program=hidden_programme,
    )
    return world


def redirected(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 302, response.content[:500]
    target = urlsplit(response["Location"])
    return target.path, parse_qsl(target.query)


def choices(response):
    """The (label, link) of each record a name could mean, as the 400 page lists them."""
    block = re.search(r'class="name-choices".*?</ul>', response.text, re.S)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block.group(0)) if block else []


def test_an_exact_name_redirects_to_the_list_with_its_slug(client, named):
    path, query = redirected(
        client,
        "/events/",
        organization="Prosecutor General's Office of the Republic of Azerbaijan",
        year="2023",
    )
    assert (path, query) == ("/events/", [("organization", "az-pgo"), ("year", "2023")])
    assert "published-visit" in client.get(path, query).text


@pytest.mark.parametrize("prefix", ["/ru", ""])
def test_an_organizations_russian_name_resolves_on_russian_and_english_pages(client, named, prefix):
    # Case and spacing aside, as search compares names (languages.fold).
    path, query = redirected(client, f"{prefix}/events/", organization=f"  {AZ_RU.upper()} ")
    assert (path, query) == (f"{prefix}/events/", [("organization", "az-pgo")])


def test_a_persons_other_spelling_resolves_and_the_box_shows_the_pages_script(client, named):
    assert redirected(client, "/events/", person="Эркин Алиханов")[1] == [
        ("person", "erkin-alikhanov")
    ]
    # "Eliyev" finds "Əliyev" in search; so here: ə is typed e, the name in any case.
    assert redirected(client, "/az/events/", person="erkin elixanov")[1] == [
        ("person", "erkin-alikhanov")
    ]
    russian = client.get("/ru/events/", {"person": "erkin-alikhanov"})
    assert russian.status_code == 200
    assert 'value="Эркин Алиханов"' in russian.text
    assert 'data-value="erkin-alikhanov"' in russian.text


def test_a_name_of_several_records_answers_400_with_a_link_to_each(client, named):
    response = client.get(
        "/ru/events/", {"organization": "Генеральная прокуратура", "year": "2023"}
    )
    assert response.status_code == 400
    # The page speaks the address's language (cooperation/suggest.py's message, in Russian).
    with translation.override("ru"):
        message = gettext("“%(name)s” could name more than one record: choose one below.")
    assert message % {"name": "Генеральная прокуратура"} in html.unescape(response.text)
    assert sorted(choices(response)) == [
        ("?organization=az-pgo&amp;year=2023", AZ_RU),
        ("?organization=ru-pgo&amp;year=2023", RU_RU),
    ]


def test_a_name_of_no_public_record_answers_400_saying_so(client, named):
    for name, value in [
        ("organization", "Nobody at all"),
        ("organization", "Secret Draft Bureau"),  # only a draft visit's
        ("program", "Hidden Draft Programme"),
    ]:
        response = client.get("/events/", {name: value})
        assert response.status_code == 400, value
        assert f"No record with events is named “{value}”." in response.text
        assert choices(response) == []
        assert "secret-bureau" not in response.text and "hidden-programme" not in response.text


def test_empty_parameters_are_dropped_from_the_address(client, named):
    assert redirected(client, "/events/?q=&program=&country=+&year=2023") == (
        "/events/",
        [("year", "2023")],
    )
    assert redirected(client, "/ru/events/?q=&sort=")[0] == "/ru/events/"
    response = client.get("/events/?q=&program=")
    assert response["Location"] == "/events/"


def test_a_country_is_chosen_by_its_name_in_any_language(client, named):
    assert redirected(client, "/events/", to_country="Азербайджан")[1] == [("to_country", "AZ")]
    assert redirected(client, "/events/", from_country="russia")[1] == [("from_country", "RU")]
    page = client.get("/ru/events/", {"to_country": "AZ"})
    assert 'value="Азербайджан"' in page.text and 'data-value="AZ"' in page.text


def test_suggestions_rank_beginnings_first_and_show_the_pages_language(client, named):
    found = client.get("/ru/events/suggest/organization/", {"q": "генеральная"}).json()
    assert [r["value"] for r in found["results"]] == ["az-pgo", "ru-pgo"]
    assert found["results"][0] == {"value": "az-pgo", "label": AZ_RU, "lang": "ru"}
    # A word inside the name matches too, after the names it begins.
    english = client.get("/events/suggest/organization/", {"q": "office"}).json()["results"]
    assert {r["value"] for r in english} == {"az-pgo", "ru-pgo"}
    assert english[0]["lang"] == "en"
    person = client.get("/events/suggest/person/", {"q": "алих"}).json()["results"]
    assert person == [{"value": "erkin-alikhanov", "label": "Erkin Alikhanov", "lang": "en"}]
    places = client.get("/events/suggest/place/", {"q": "ba"}).json()["results"]
    # Baku begins with the letters, Azerbaijan (the country holding it) only holds them.
    assert [r["value"] for r in places] == ["baku", "country-az"]
    countries = client.get("/events/suggest/from_country/", {"q": "r"}).json()["results"]
    assert [r["value"] for r in countries] == ["RU"]  # the only sending side's country


def test_suggestions_never_name_a_draft(client, named):
    for name, text in [("organization", "secret"), ("program", "hidden"), ("instrument", "co")]:
        response = client.get(f"/events/suggest/{name}/", {"q": text})
        assert response.status_code == 200
        assert response.json()["results"] == [], name
    programme = client.get("/events/suggest/program/", {"q": "programme"}).json()["results"]
    assert programme == []
    assert client.get("/events/suggest/program/", {"q": "coop"}).json()["results"] == [
        {"value": "program-2021-2023", "label": "Cooperation Program 2021-2023", "lang": "en"}
    ]


def test_suggestions_refuse_what_cannot_be_asked(client, named):
    assert client.get("/events/suggest/visit_type/", {"q": "a"}).status_code == 404
    assert client.get("/events/suggest/nothing/", {"q": "a"}).status_code == 404
    assert client.get("/events/suggest/person/", {"q": "a\x00b"}).status_code == 400
    assert client.get("/events/suggest/person/", {"q": "x" * 300}).status_code == 400
    empty = client.get("/events/suggest/person/", {"q": "  "})
    assert empty.status_code == 200 and empty.json()["results"] == []


def test_the_box_of_an_active_filter_shows_the_records_name(client, named):
    page = client.get("/events/", {"organization": "az-pgo", "place": "baku"})
    assert page.status_code == 200
    box = re.search(r'<input[^>]*name="organization"[^>]*>', page.text).group(0)
    assert 'value="Prosecutor General&#x27;s Office of the Republic of Azerbaijan"' in box
    assert 'data-value="az-pgo"' in box
    assert 'data-suggest="/events/suggest/organization/"' in box
    assert re.search(r'<input[^>]*name="place"[^>]*value="Baku"', page.text)
    # The next list, of no organization, has an empty box: what one request chose stays
    # in that request's form (the form class and the filters' definitions are shared).
    other = client.get("/events/", {"place": "baku"})
    box = re.search(r'<input[^>]*name="organization"[^>]*>', other.text).group(0)
    assert "value=" not in box and "data-value" not in box
    assert client.get("/events/", {"sort": "title"}).status_code == 200
