"""Records in English, Azerbaijani and Russian: kept side by side, shown in the page's
language (or, said so, in English), found in any language and script, and exported with
their language."""

import csv
import html
import io
import json
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cooperation import records
from cooperation.languages import fold
from cooperation.models import Delegation, Meeting, Organization, Place, Topic, Workshop
from cooperation.records import derived
from cooperation.templatetags.records import untranslated_note
from tests.test_admin import admin_url, change_page_data, form_data

VISIT = "russian-prosecutors-working-visit-baku-2023"
VISIT_URL = f"/events/{VISIT}/"
ORGANIZATION_URL = "/organizations/prosecutor-generals-office-russia/"


@pytest.fixture
def baku(db):
    call_command("loaddata", "baku_2023", verbosity=0)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def found(client, q, prefix=""):
    response = client.get(f"{prefix}/events/", {"q": q})
    assert response.status_code == 200
    return [event.slug for event in response.context["events"]]


def note(language):
    with translation.override(language):
        return untranslated_note()


def json_ld(text):
    script = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', text, re.S)
    return json.loads(script[1])


# --- The Baku fixture in three languages ----------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "title", "host", "topic"),
    [
        (
            "",
            "Working visit of the Russian Prosecutor General's Office delegation to Baku",
            "Prosecutor General's Office of the Republic of Azerbaijan",
            "Extradition in criminal cases",
        ),
        (
            "/az",
            "Rusiya Baş Prokurorluğu nümayəndə heyətinin Bakıya işgüzar səfəri",
            "Azərbaycan Respublikasının Baş Prokurorluğu",
            "Cinayət işləri üzrə ekstradisiya",
        ),
        (
            "/ru",
            "Рабочий визит делегации Генеральной прокуратуры России в Баку",
            "Генеральная прокуратура Азербайджанской Республики",
            "Экстрадиция по уголовным делам",
        ),
    ],
)
def test_baku_visit_reads_in_the_pages_language(client, baku, prefix, title, host, topic):
    text = page(client, prefix + VISIT_URL)

    assert f"<h1>{title}</h1>" in text
    assert host in text
    assert topic in text
    # Every text of the fixture is translated: nothing falls back to English.
    assert 'class="untranslated"' not in text


def test_baku_fixture_has_every_text_in_every_language(baku):
    from cooperation.languages import codes, language_columns
    from cooperation.translation import translator

    missing = []
    for model in translator.get_registered_models(abstract=False):
        originals = {field.translated_field.name for field in language_columns(model)}
        for record in model.objects.all():
            for name in originals:
                if getattr(record, f"{name}_en"):
                    missing += [
                        f"{model.__name__} {record.pk} {name}_{code}"
                        for code in codes()
                        if not getattr(record, f"{name}_{code}")
                    ]
    assert missing == []


def test_organization_page_in_russian_names_the_office_as_it_names_itself(client, baku):
    text = page(client, "/ru" + ORGANIZATION_URL)
    assert "<h1>Генеральная прокуратура Российской Федерации" in text


def test_person_keeps_the_spelling_of_each_script(client, baku):
    text = page(client, "/az/people/kamran-aliyev/")
    assert "Kamran Əliyev" in text and "Камран Алиев" in text


# --- Search across languages and scripts ----------------------------------------------------


# A person the visit involves (a meeting's participant), by each of their spellings.
@pytest.mark.parametrize(
    "q", ["Alikhanov", "Əlixanov", "ƏLİXANOV", "Elixanov", "Алиханов", "АЛИХАНОВ"]
)
@pytest.mark.parametrize("prefix", ["", "/az", "/ru"])
def test_a_name_in_any_script_finds_the_visit(client, baku, q, prefix):
    assert found(client, q, prefix) == [VISIT]


@pytest.mark.parametrize(
    "q",
    [
        "işgüzar səfəri",  # the Azerbaijani title
        "isguzar sefer",  # ... typed without the Azerbaijani letters
        "Гейдара",  # the Russian summary
        "экстрадиция",  # a Russian topic name, in lower case
        "Zəfər Muzeyi",  # an Azerbaijani place name
        "Научно-консультативный",  # a Russian organization name
    ],
)
def test_words_of_any_language_find_the_visit_on_every_page(client, baku, q):
    for prefix in ("", "/az", "/ru"):
        assert found(client, q, prefix) == [VISIT], (q, prefix)


def test_search_text_is_the_same_whatever_language_is_active(baku):
    visit = Delegation.objects.get(slug=VISIT).pk
    documents = set()
    for language in ("en", "az", "ru"):
        with translation.override(language):
            documents.add(derived.search_documents([visit])[visit])
    (document,) = documents
    for text in ("bakı", "baku", "баку", "əlixanov", "алиханов", "центр гейдара алиева"):
        assert fold(text) in document, text


def test_refreshing_under_another_language_keeps_the_search(client, baku):
    with translation.override("ru"):
        derived.rebuild_all()
    assert found(client, "işgüzar") == [VISIT]
    assert found(client, "Working visit") == [VISIT]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Əliyev", "eliyev"),
        ("ƏLİYEV", "eliyev"),
        ("Bakı", "baki"),
        ("Şəki Gəncə Quba", "seki gence quba"),
        ("Çağırış Ödəniş Ümid", "cagiris odenis umid"),
        ("Алёна", "алена"),
        ("Йошкар-Ола", "йошкар-ола"),
        ("Müller Straße", "muller strasse"),
        # Runs of other letters inside English text, as a visit's search text holds them.
        (
            "Kamran Əliyev met Алёна Йова in Bakı, 2023",
            "kamran eliyev met алена йова in baki, 2023",
        ),
        ("Working visit (Prosecutor General)", "working visit (prosecutor general)"),
    ],
)
def test_fold_writes_letters_as_they_are_typed_without_them(text, folded):
    assert fold(text) == folded


def test_admin_search_finds_a_visit_by_its_azerbaijani_title_or_a_cyrillic_name(admin_client, baku):
    for q in ["işgüzar səfəri", "Алиханов", "Əlixanov"]:
        response = admin_client.get(admin_url(Delegation, "changelist"), {"q": q})
        assert response.status_code == 200
        assert [v.slug for v in response.context["cl"].result_list] == [VISIT], q


def test_admin_finds_a_programme_by_its_russian_title(admin_client, baku):
    response = admin_client.get(admin_url(Delegation, "changelist"), {"q": "Программа"})
    assert [v.slug for v in response.context["cl"].result_list] == [VISIT]


# --- What a page shows where a translation is missing ---------------------------------------


@pytest.fixture
def english_only(make_event):
    """A published visit written in English only."""
    return make_event(title="Talks on mutual legal assistance", slug="english-only")


def test_missing_translation_is_shown_in_english_and_said_so(client, english_only):
    text = page(client, "/az/events/english-only/")

    assert '<h1><span lang="en">Talks on mutual legal assistance</span></h1>' in text
    # Said once, at the end of the visit's header (tests/test_languages_done.py).
    assert text.count(f'<p class="untranslated">{note("az")}</p>') >= 1
    # The browser's title and the search engine's description read what the page shows.
    assert "<title>Talks on mutual legal assistance" in text


def test_english_page_says_nothing_about_translations(client, english_only):
    text = page(client, "/events/english-only/")
    assert "<h1>Talks on mutual legal assistance</h1>" in text
    assert 'class="untranslated"' not in text


def test_a_translation_once_written_replaces_the_english_text(client, english_only):
    english_only.title_az = "Qarşılıqlı hüquqi yardım üzrə danışıqlar"
    english_only.save()

    text = page(client, "/az/events/english-only/")

    assert "<h1>Qarşılıqlı hüquqi yardım üzrə danışıqlar</h1>" in text
    # The title of the visit in English stays on the English page.
    assert "<h1>Talks on mutual legal assistance</h1>" in page(client, "/events/english-only/")


def test_a_summary_without_translation_is_marked_as_a_block(client, make_event):
    make_event(slug="summarised", summary="First paragraph.\n\nSecond paragraph.")
    text = page(client, "/ru/events/summarised/")
    assert (
        '<div lang="en"><p>First paragraph.</p>\n\n<p>Second paragraph.</p></div>'
        f'<p class="untranslated">{note("ru")}</p>'
    ) in text


def test_names_of_untranslated_bodies_in_a_list_are_marked_english(client, english_only):
    text = page(client, "/az/events/")
    assert f'<span lang="en">{english_only.location.name}</span>' in text


def test_list_sorted_by_title_follows_the_titles_the_page_shows(client, make_event):
    make_event(slug="b", title="Zeta talks", title_az="Abşeron danışıqları")
    make_event(slug="a", title="Alpha talks")
    response = client.get("/az/events/", {"sort": "title"})
    assert [event.slug for event in response.context["events"]] == ["b", "a"]
    response = client.get("/events/", {"sort": "title"})
    assert [event.slug for event in response.context["events"]] == ["a", "b"]


def test_a_page_in_another_language_costs_the_same_queries(client, baku):
    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for url in [VISIT_URL, "/events/", ORGANIZATION_URL, "/programs/"]:
        # The first request in a process reads the whole archive's facet counts once per
        # registry version (cooperation/facets.py), and the list's pictures of the whole
        # archive are drawn once per version and language (templatetags/pictures.py): both
        # languages are compared after their first request.
        client.get(url)
        client.get("/az" + url)
        cache.clear()
        assert count("/az" + url) == count(url), url


# --- Structured data, exports and the feed carry the language -------------------------------


def test_json_ld_is_in_the_pages_language(client, baku):
    data = json_ld(page(client, "/ru" + VISIT_URL))
    assert data["inLanguage"] == "ru"
    assert data["name"] == "Рабочий визит делегации Генеральной прокуратуры России в Баку"
    assert data["organizer"]["name"] == "Генеральная прокуратура Азербайджанской Республики"


def test_json_ld_tags_an_english_fallback_with_its_language(client, english_only):
    data = json_ld(page(client, "/az/events/english-only/"))
    assert data["inLanguage"] == "az"
    assert data["name"] == {"@value": "Talks on mutual legal assistance", "@language": "en"}
    assert data["location"]["name"] == {"@value": english_only.location.name, "@language": "en"}


def test_json_export_gives_the_language_of_its_texts(client, baku, english_only):
    response = client.get("/az/events/export.json")
    assert response.status_code == 200
    rows = {row["slug"]: row for row in json.loads(b"".join(response.streaming_content))["events"]}

    baku_row, english_row = rows[VISIT], rows["english-only"]
    assert baku_row["language"] == "az"
    assert baku_row["title"] == "Rusiya Baş Prokurorluğu nümayəndə heyətinin Bakıya işgüzar səfəri"
    assert baku_row["in_english"] == []
    assert english_row["language"] == "az"
    assert english_row["title"] == "Talks on mutual legal assistance"
    assert english_row["in_english"] == [
        "title",
        "sending_organization",
        "host_organization",
        "location",
    ]


def test_csv_export_in_russian(client, baku):
    response = client.get("/ru/events/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["language"] == "ru"
    assert row["location"] == "Баку"
    assert row["program"].startswith("Программа сотрудничества")


def test_english_export_is_in_english(client, baku):
    text = b"".join(client.get("/events/export.csv").streaming_content).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["language"], row["location"], row["in_english"]) == ("en", "Baku", "")


def test_feed_is_in_the_language_of_its_address(client, baku):
    text = page(client, "/az/feeds/events.atom")
    assert 'xml:lang="az"' in text
    assert "Rusiya Baş Prokurorluğu nümayəndə heyətinin Bakıya işgüzar səfəri" in text


# --- Records edited side by side ------------------------------------------------------------


def test_change_form_offers_each_language_with_english_required(admin_client, world):
    response = admin_client.get(admin_url(Delegation, "change", world.published.pk))
    form = response.context["adminform"].form
    for name in ["title", "purpose", "summary"]:
        assert {f"{name}_en", f"{name}_az", f"{name}_ru"} <= set(form.fields), name
        assert name not in form.fields
    assert form.fields["title_en"].required
    assert not form.fields["title_az"].required and not form.fields["title_ru"].required


def test_admin_saves_every_language_and_the_history_keeps_them(admin_client, client, world):
    # The admin's form shows times to the second (see tests/test_history.py).
    world.published.published_at = world.published.published_at.replace(microsecond=0)
    world.published.save()
    url = admin_url(Delegation, "change", world.published.pk)
    data = change_page_data(admin_client.get(url))
    data.update(title_az="Dərc edilmiş işgüzar səfər", title_ru="Опубликованный рабочий визит")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    visit = Delegation.objects.get(pk=world.published.pk)
    assert (visit.title_en, visit.title_az, visit.title_ru) == (
        "Published working visit",
        "Dərc edilmiş işgüzar səfər",
        "Опубликованный рабочий визит",
    )
    version = visit.history.first()
    assert (version.title_az, version.title_ru) == (visit.title_az, visit.title_ru)
    assert set(version.diff_against(version.prev_record).changed_fields) == {
        "title_az",
        "title_ru",
    }
    assert found(client, "Опубликованный") == ["published-visit"]
    assert "<h1>Dərc edilmiş işgüzar səfər</h1>" in page(client, "/az/events/published-visit/")


def test_revert_restores_every_language(admin_client, client, world):
    visit = world.published
    visit.title_az = "Köhnə başlıq"
    visit.save()
    version = visit.history.first()
    visit.title_az = "Yeni başlıq"
    visit.title_ru = "Новый заголовок"
    visit.save()

    url = reverse("admin:cooperation_delegation_simple_history", args=[visit.pk, version.pk])
    revert_page = admin_client.get(url)
    assert revert_page.context["adminform"].form["title_az"].value() == "Köhnə başlıq"
    data = {**form_data(revert_page.context["adminform"].form), "_save": "Revert"}
    assert admin_client.post(url, data).status_code == 302

    visit.refresh_from_db()
    assert (visit.title_az, visit.title_ru) == ("Köhnə başlıq", None)
    assert "<h1>Köhnə başlıq</h1>" in page(client, "/az/events/published-visit/")


def test_saving_from_the_azerbaijani_admin_keeps_the_english_text(admin_client, world):
    url = admin_url(Organization, "change", world.russia.pk)
    data = change_page_data(admin_client.get(url))
    data["name_az"] = "Rusiya Federasiyasının Baş Prokurorluğu"

    response = admin_client.post("/az" + url, data)

    assert response.status_code == 302
    russia = Organization.objects.get(pk=world.russia.pk)
    assert russia.name_en == "Prosecutor General's Office of the Russian Federation"
    assert russia.name_az == "Rusiya Federasiyasının Baş Prokurorluğu"
    assert russia.history.first().name_en == russia.name_en


def test_import_history_records_the_translations(baku):
    version = Workshop.objects.get(slug="workshops").history.get()
    assert version.title_ru == "Семинары в рамках Программы сотрудничества"


def test_code_that_writes_the_plain_field_writes_the_active_language(world):
    # As modeltranslation does it: models created in code get their English text so.
    topic = Topic.objects.create(name="Asset recovery", slug="asset-recovery")
    place = Place.objects.create(name="Ganja", slug="ganja", country="AZ")
    meeting = Meeting.objects.create(delegation=world.published, slug="talks", title="Talks")
    assert (topic.name_en, place.name_en, meeting.title_en) == ("Asset recovery", "Ganja", "Talks")
    assert (topic.name_az, place.name_ru, meeting.title_az) == (None, None, None)


# --- PostgreSQL: the text search configuration and its indexes ------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's text search and plans"
)


def plan(queryset):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


@postgresql_only
def test_unaccented_search_still_reads_the_gin_index(baku):
    assert "delegation_search_gin" in plan(Delegation.objects.search("Əliyev").order_by())


@postgresql_only
def test_search_configuration_unaccents_what_it_reads(baku):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('registry_search', 'Sumqayıt Öküz Алёна')")
        assert set(re.findall(r"'(\w+)'", cursor.fetchone()[0])) == {"sumqayit", "okuz", "алена"}


@postgresql_only
def test_title_order_in_azerbaijani_reads_its_index(baku):
    from cooperation.languages import order_by_shown

    ordered = Delegation.objects.published().order_by(order_by_shown("title", "az"), "id")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        assert "delegation_title_az" in plan(ordered)


def test_fixture_written_before_the_languages_loads_into_english(db, tmp_path):
    fixture = tmp_path / "old.json"
    record = {
        "model": "cooperation.topic",
        "fields": {"slug": "extradition", "name": "Extradition", "description": "Handing over."},
    }
    fixture.write_text(json.dumps([record]), encoding="utf-8")

    call_command("loaddata", str(fixture), verbosity=0)

    topic = Topic.objects.get(slug="extradition")
    assert (topic.name_en, topic.name_az, topic.description_en) == (
        "Extradition",
        None,
        "Handing over.",
    )


def test_facet_of_an_untranslated_topic_is_marked_english(client, english_only):
    with records.change():
        topic = Topic.objects.create(name="Extradition", slug="extradition")
        workshop = Workshop.objects.create(delegation=english_only, slug="w", title="Workshop")
        workshop.topics.add(topic)

    text = page(client, "/az/events/")

    assert '?topic=extradition" lang="en">Extradition</a>' in text


def test_english_text_is_required_where_the_field_is_and_the_others_are_not(world):
    from django.core.exceptions import ValidationError

    visit = Delegation.objects.get(pk=world.published.pk)
    visit.title_az = visit.title_ru = None
    visit.full_clean()  # no translation is needed

    visit.title_en = ""
    with pytest.raises(ValidationError) as refused:
        visit.full_clean()
    assert "title_en" in refused.value.message_dict
