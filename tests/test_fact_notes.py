"""The six fact-note fixtures: each loads on its own and beside the others, and every fact
its note gives reaches the public pages, with "not stated" where the note says the reports
leave something out; the cross-record filters find exactly the visits they should.

The pages are rendered once for the module, with every fixture loaded (as `make run` loads
them), inside a transaction rolled back at the end: the tests after this module start from
empty tables.
"""

import html
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from cooperation.models import CooperationProgram, Delegation, Occasion, Status

BAKU = "russian-prosecutors-working-visit-baku-2023"
CIS = "azerbaijani-delegation-cis-prosecutors-general-council-dushanbe-2025"
GEORGIA = "georgian-chief-prosecutor-working-visit-bulgaria-2017"
UGANDA = "ugandan-public-prosecution-delegation-working-visit-azerbaijan-2025"
GCC = "gcc-assistant-attorneys-general-and-prosecutors-15th-online-meeting-2024"
CHINA = "chinese-senior-prosecutors-study-trip-germany-netherlands-2018"
UZBEK = "uzbek-prosecution-delegation-visit-azerbaijan-2022"

# Fixture name: (its visit, its instruments, its occasions).
FIXTURES = {
    "cis_council_dushanbe_2025": (
        CIS,
        {"cis-prosecutors-general-agreement-countering-illegal-migration-2025"},
        {"35th-session-coordination-council-of-prosecutors-general-cis"},
    ),
    "georgia_bulgaria_2017": (
        GEORGIA,
        {"georgia-bulgaria-prosecution-services-memorandum-of-understanding-2017"},
        set(),
    ),
    "uganda_dpp_baku_2025": (
        UGANDA,
        {"azerbaijan-uganda-prosecution-memorandum-of-understanding-2025"},
        set(),
    ),
    "gcc_assistant_attorneys_general_2024": (
        GCC,
        set(),
        {
            "15th-meeting-of-gcc-assistant-attorneys-general-and-prosecutors",
            "16th-meeting-of-gcc-attorneys-general-and-prosecutors",
        },
    ),
    "chinese_prosecutors_study_trip_2018": (CHINA, set(), set()),
    "uzbek_prosecutors_azerbaijan_2022": (
        UZBEK,
        {"azerbaijan-uzbekistan-prosecutors-cooperation-programme-2022-2023"},
        set(),
    ),
}

CIS_AGREEMENT = "/programs/cis-prosecutors-general-agreement-countering-illegal-migration-2025/"
GEORGIA_MOU = "/programs/georgia-bulgaria-prosecution-services-memorandum-of-understanding-2017/"
UGANDA_MOU = "/programs/azerbaijan-uganda-prosecution-memorandum-of-understanding-2025/"
UZBEK_PROGRAMME = "/programs/azerbaijan-uzbekistan-prosecutors-cooperation-programme-2022-2023/"
CIS_SESSION = "/occasions/35th-session-coordination-council-of-prosecutors-general-cis/"
GCC_MEETING = "/occasions/15th-meeting-of-gcc-assistant-attorneys-general-and-prosecutors/"

# Each filter of the event list, and exactly the visits it finds among all seven.
FILTERS = {
    # a person in two visits: heading one delegation, hosting another
    "person=elcin-memmedov": {CIS, UZBEK},
    "person=odumbi-james-owere": {UGANDA},
    # the sending side's country, and the host side's
    "from_country=GE": {GEORGIA},
    "from_country=CN": {CHINA},
    "to_country=AZ": {BAKU, UGANDA, UZBEK},
    "to_country=QA": {GCC},
    # a country that only took part in the multilateral session, beside bodies that have
    # no country (the CIS Executive Committee): those must not hide the visit
    "country=KG": {CIS},
    "country=BG": {GEORGIA},
    # topics discussed at meetings, in an instrument signed during a visit, and a broader one
    "topic=countering-illegal-migration": {CIS},
    "topic=mutual-legal-assistance": {GEORGIA, GCC},
    "topic=exchange-of-experience": {BAKU, GEORGIA, GCC},
    "topic=international-legal-cooperation": {BAKU, GEORGIA, UGANDA, GCC},
    "topic=recruitment-to-the-judicial-service": {CHINA},
    # occasions
    "occasion=35th-session-coordination-council-of-prosecutors-general-cis": {CIS},
    "occasion=15th-meeting-of-gcc-assistant-attorneys-general-and-prosecutors": {GCC},
    # instruments signed during a visit, and a programme carried out by one
    "instrument=georgia-bulgaria-prosecution-services-memorandum-of-understanding-2017": {GEORGIA},
    "instrument=azerbaijan-uganda-prosecution-memorandum-of-understanding-2025": {UGANDA},
    "instrument=cis-prosecutors-general-agreement-countering-illegal-migration-2025": {CIS},
    "program=azerbaijan-uzbekistan-prosecutors-cooperation-programme-2022-2023": {UZBEK},
    # a country holding cities, and places of activities
    "place=azerbaijan": {BAKU, UGANDA, UZBEK},
    "place=tajikistan": {CIS},
    "place=germany": {CHINA},
    "place=netherlands": {CHINA},
    "place=bulgaria": {GEORGIA},
    # the kinds of visit the notes give
    "visit_type=study": {CHINA},
    "visit_type=not_stated": {CIS, GCC, UZBEK},
}

PAGES = [
    *(f"/events/{visit}/" for visit, _, _ in FIXTURES.values()),
    CIS_AGREEMENT,
    GEORGIA_MOU,
    UGANDA_MOU,
    UZBEK_PROGRAMME,
    CIS_SESSION,
    GCC_MEETING,
    "/people/elcin-memmedov/",
    "/people/odumbi-james-owere/",
    "/people/alexander-gutsan/",
    "/people/ibrahim-abdullah-al-qubaisi/",
    "/people/bextiyor-ibrohimov/",
    "/organizations/gulf-cooperation-council/",
    "/organizations/chinese-public-prosecution-offices-not-named/",
    "/organizations/prosecutor-generals-office-kyrgyzstan/",
    "/places/azerbaijan/",
    "/places/dushanbe/",
    *(f"/events/?{query}" for query in FILTERS),
]

ALL_FIXTURES = ["baku_2023", *FIXTURES]


def visible_text(content):
    """The page's text as a reader sees it: inline tags dropped, others a space apart."""
    body = content.split("<body", 1)[-1]
    body = re.sub(r"(?s)<script.*?</script>", " ", body)
    body = re.sub(r"</?(a|span|time|em|strong|abbr)\b[^>]*>", "", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker):
    """Per URL: (status, the page's visible text, its HTML), every fixture loaded."""
    rendered = {}
    with django_db_blocker.unblock(), transaction.atomic():
        # A page an earlier module cached would answer for these records.
        cache.clear()
        call_command("loaddata", *ALL_FIXTURES, verbosity=0)
        client = Client()
        for url in PAGES:
            response = client.get(url)
            content = response.content.decode()
            rendered[url] = (response.status_code, visible_text(content), content)
        transaction.set_rollback(True)
    cache.clear()
    return rendered


def page(pages, url):
    status, text, _ = pages[url]
    assert status == 200, f"{url} answered {status}"
    return text


def assert_shows(text, facts):
    missing = [fact for fact in facts if fact not in text]
    assert not missing, missing


def listed_slugs(pages, query):
    status, _, content = pages[f"/events/?{query}"]
    assert status == 200
    return set(re.findall(r'<h3><a href="/events/([^/"]+)/">', content))


def timeline_item(pages, visit, anchor):
    """The text of one activity on its visit's page."""
    content = pages[f"/events/{visit}/"][2]
    after = content.split(f'<li id="{anchor}"', 1)[1]
    return visible_text(re.split(r'<li id="|</ol>', after, maxsplit=1)[0].split(">", 1)[1])


# --- Each fixture on its own ---------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_checks_and_loads_alone_into_empty_tables(db, name):
    path = settings.BASE_DIR / "fixtures" / f"{name}.json"
    call_command("check_fixture", str(path), verbosity=0)

    call_command("loaddata", name, verbosity=0)

    visit, instruments, occasions = FIXTURES[name]
    assert list(Delegation.objects.values_list("slug", "status")) == [(visit, Status.PUBLISHED)]
    assert set(CooperationProgram.objects.published().values_list("slug", flat=True)) == (
        instruments
    )
    assert set(Occasion.objects.values_list("slug", flat=True)) == occasions


# --- What the pages show, note by note ------------------------------------------------------


@pytest.mark.django_db
def test_cis_session_visit_page(pages):
    text = page(pages, f"/events/{CIS}/")
    assert_shows(
        text,
        [
            "Visit (type not stated)",
            "Reported under way on 21 October 2025",
            "Prosecutor General's Office of the Republic of Azerbaijan (Azerbaijan)",
            "Host No single host: a multilateral meeting",
            "Location Dushanbe, Tajikistan",
            "Part of 35th session of the Coordination Council of Prosecutors General of the CIS "
            "member states",
            "Agreement: Agreement of the prosecutors general of the CIS member states on "
            "cooperation in countering illegal migration",
            # the delegation, from the Azerbaijani edition of Report
            "Elçin Məmmədov, First Deputy Prosecutor General (head of delegation)",
            "Sənan Paşayev, Prosecutor of Nakhchivan",
            "Teymur Qarayev, Senior assistant to the Prosecutor General for special assignments",
            "Talıb Cəfərov, Head of the Criminalistics and IT Department",
            "Babək Zakirzadə, Deputy head of the International Legal Cooperation Department",
            # the other bodies, the greeting, the anniversary, the next session, the conflict
            "Nurlan Seitimov",
            "Sergey Lebedev",
            "30th anniversary",
            "first multilateral agreement",
            "ECOLEAD",
            "36th session is to be held in Kazan",
            "elected chairman",
            "re-elected",
            # every report, with its publisher, date and language
            "Report (report.az), Russian-language edition, 21 October 2025 (language: Russian)",
            "Information supplied by Prosecutor General's Office of the Russian Federation",
            "imruz.tj (language: Russian)",
            "360.ru, 21 October 2025 (language: Russian)",
            "TASS (language: Russian)",
            "Report (report.az), Azerbaijani edition, 22 October 2025 (language: Azerbaijani)",
        ],
    )
    for url in [
        "https://report.az/ru/v-regione/prokurory-stran-sng-dogovorilis-o-sotrudnichestve-v-borbe-s-nezakonnoj-migraciej",
        "https://imruz.tj/?p=28148",
        "https://360.ru/news/mir/gutsan-vystupil-s-dokladom-na-35-m-zasedanii-ksgp/",
        "https://tass.ru/politika/25405455",
        "https://report.az/daxili-siyaset/mdb-istirakci-dovletlerinin-bas-prokurorlarinin-elaqelendirme-surasinin-35-ci-yubiley-iclasi-kecirilib",
    ]:
        assert f'href="{html.escape(url)}"' in pages[f"/events/{CIS}/"][2], url


@pytest.mark.django_db
def test_cis_session_meeting_names_nine_states_by_rank_and_four_other_bodies(pages):
    session = timeline_item(pages, CIS, "meeting-council-session")
    assert_shows(
        session,
        [
            "21 October 2025 · Meeting",
            "Place: Dushanbe",
            "Signed here: Agreement of the prosecutors general of the CIS member states",
            "Hosted by Coordination Council of Prosecutors General of the CIS Member States",
            "Alexander Gutsan, Prosecutor General's Office of the Russian Federation (other party)",
            "countering crime committed with information and communication technologies",
            "Nurlan Seitimov, CIS Executive Committee (other party)",
            "CIS Anti-Terrorism Centre (other party)",
            "Council of Heads of Financial Intelligence Units of the CIS Member States "
            "(other party)",
            "CSTO Executive Committee (other party)",
            "Countering illegal migration",
            "Terrorism and extremism",
            "Organised crime",
            "Public security",
            "Environmental security",
        ],
    )
    heads = "(other party): represented by the head of its prosecution or supervisory agency"
    deputies = "(other party): represented by a deputy prosecutor general"
    for office in [
        "Prosecutor's Office of the Republic of Armenia",
        "Prosecutor General's Office of the Republic of Belarus",
        "Prosecutor General's Office of the Kyrgyz Republic",
        "Prosecutor General's Office of the Republic of Tajikistan",
        "General Prosecutor's Office of the Republic of Uzbekistan",
        "Prosecutor General's Office of the Russian Federation",
    ]:
        assert f"{office} {heads}" in session, office
    for office in [
        "Prosecutor General's Office of the Republic of Kazakhstan",
        "Prosecutor General's Office of Turkmenistan",
    ]:
        assert f"{office} {deputies}" in session, office
    assert (
        "Elçin Məmmədov, Prosecutor General's Office of the Republic of Azerbaijan "
        "(visiting side): represented by a deputy prosecutor general" in session
    )


@pytest.mark.django_db
def test_cis_agreement_page(pages):
    text = page(pages, CIS_AGREEMENT)
    assert_shows(
        text,
        [
            "Agreement",
            "(a description: the official title is not known)",
            "Term not stated in the sources",
            "Signed in Dushanbe",
            "Signed during Azerbaijani delegation at the 35th session of the CIS Coordination "
            "Council of Prosecutors General in Dushanbe, at Session of the Coordination Council",
            "The sources do not name the signatories.",
            "Countering illegal migration",
        ],
    )
    for party in [
        "(Armenia)",
        "(Azerbaijan)",
        "(Belarus)",
        "(Kazakhstan)",
        "(Kyrgyzstan)",
        "(Russia)",
        "(Tajikistan)",
        "(Turkmenistan)",
        "(Uzbekistan)",
    ]:
        assert party in text.split("Parties", 1)[1].split("Summary", 1)[0], party


@pytest.mark.django_db
def test_cis_session_occasion_page(pages):
    text = page(pages, CIS_SESSION)
    assert_shows(
        text,
        [
            "Session of a council or body",
            "Sessions of the Coordination Council of Prosecutors General of the CIS member states "
            "· meeting no. 35",
            "Dates 21 October 2025",
            "Place Dushanbe",
            "36th session will take place in Kazan",
            "Published events (1)",
        ],
    )


@pytest.mark.django_db
def test_georgia_visit_page_says_what_is_not_stated(pages):
    text = page(pages, f"/events/{GEORGIA}/")
    assert_shows(
        text,
        [
            "Working visit",
            "Reported under way on 10 October 2017 (the sources do not say when the visit began "
            "or ended)",
            "on or before that day",
            "Prosecutor's Office of Georgia (Georgia)",
            "Host not stated in the sources",
            "Location Bulgaria",
            "Irakli Shotadze, Chief Prosecutor of Georgia (head of delegation)",
            "Memorandum of understanding: Memorandum of understanding between the Prosecutor's "
            "Office of Georgia and the Public Prosecutor's Office of the Republic of Bulgaria",
            "Chief Prosecutor's Office of Georgia",
            "official invitation",
            "under the aegis of the European Union",
            "Prosecutor's Office of Georgia, 10 October 2017 (language: English)",
        ],
    )
    meeting = timeline_item(
        pages, GEORGIA, "meeting-talks-with-bulgarian-minister-of-justice-and-prosecutor-general"
    )
    assert_shows(
        meeting,
        [
            "Date not given in the sources",
            "Tsetska Tsacheva, Ministry of Justice of Bulgaria (host side): Minister of Justice",
            "Sotir Tsatsarov, Public Prosecutor's Office of the Republic of Bulgaria (host side): "
            "Prosecutor General of the Republic of Bulgaria",
            "representatives of the prosecution service, not named",
            "one joint meeting or several is uncertain",
            "Organisation and functioning of prosecution services",
            "Human resources management",
            "Exchange of experience",
        ],
    )


@pytest.mark.django_db
def test_georgia_memorandum_page(pages):
    text = page(pages, GEORGIA_MOU)
    assert_shows(
        text,
        [
            "Memorandum of understanding",
            "(a description: the official title is not known)",
            "Term not stated in the sources",
            "Signed in Bulgaria",
            "Signed during Working visit of Georgia's Chief Prosecutor Irakli Shotadze to Bulgaria",
            "Prosecutor's Office of Georgia (Georgia)",
            "Public Prosecutor's Office of the Republic of Bulgaria (Bulgaria)",
            "The sources do not name the signatories.",
            "legal assistance",
            "joint seminars",
            "Mutual legal assistance",
            "Training and joint seminars",
        ],
    )


@pytest.mark.django_db
def test_uganda_visit_page(pages):
    text = page(pages, f"/events/{UGANDA}/")
    assert_shows(
        text,
        [
            "Working visit",
            "Reported under way on 20 September 2025",
            "Office of the Director of Public Prosecutions of Uganda (Uganda)",
            "Host Prosecutor General's Office of the Republic of Azerbaijan (Azerbaijan)",
            "Location Baku, Azerbaijan",
            "Odumbi James Owere, Director of Public Prosecution (head of delegation)",
            "breaks off",
            "does not link the two",
            "AZERTAC (Azerbaijan State News Agency), English service, 20 September 2025 "
            "(language: English)",
            "Report (report.az), English edition, 20 September 2025 (language: English)",
            "Report (report.az), Russian-language edition, 20 September 2025 (language: Russian)",
        ],
    )
    meeting = timeline_item(pages, UGANDA, "meeting-meeting-with-the-prosecutor-general")
    assert_shows(
        meeting,
        [
            "20 September 2025 · Meeting",
            "Signed here: Memorandum of understanding between the Prosecutor General's Office of "
            "Azerbaijan and the Office of the Director of Public Prosecutions of Uganda",
            "Kamran Aliyev, Prosecutor General's Office of the Republic of Azerbaijan (host side)",
            "Odumbi James Owere, Office of the Director of Public Prosecutions of Uganda "
            "(visiting side)",
            'The "ASAN Khidmet" public-service model',
            "Cooperation within the Non-Aligned Movement",
            "International legal cooperation",
        ],
    )
    museum = timeline_item(pages, UGANDA, "sitevisit-history-museum")
    assert_shows(
        museum,
        [
            "Date not given in the sources · Site visit",
            "Place: History Museum of the Prosecutor General's Office of Azerbaijan",
        ],
    )


@pytest.mark.django_db
def test_uganda_memorandum_page_and_the_russian_spelling(pages):
    assert_shows(
        page(pages, UGANDA_MOU),
        [
            "Memorandum of understanding",
            "Term not stated in the sources",
            "Signed 20 September 2025, in Baku",
            "Signed during Working visit of a delegation of Uganda's public prosecution service to "
            "Azerbaijan, at Meeting with Prosecutor General Kamran Aliyev",
            "The sources do not name the signatories.",
            "historic step",
        ],
    )
    assert_shows(
        page(pages, "/people/odumbi-james-owere/"),
        [
            "Also written: Одумби Джеймс Овер",
            "Director of Public Prosecution, Office of the Director of Public Prosecutions of "
            "Uganda",
            "Published events (1)",
        ],
    )


@pytest.mark.django_db
def test_gcc_online_meeting_visit_page(pages):
    text = page(pages, f"/events/{GCC}/")
    assert_shows(
        text,
        [
            "Visit (type not stated)",
            "Reported under way on 3 September 2024",
            "Visiting delegation Gulf Cooperation Council Host",
            "Host Public Prosecution of the State of Qatar (Qatar)",
            "Location not stated in the sources",
            "Part of 15th meeting of the GCC assistant attorneys general and prosecutors",
            # the 16th meeting, from the corroborating report
            "16th meeting of the GCC Attorneys General and Prosecutors",
            "Doha on 29 October 2024",
            "Dr. Issa bin Saad Al Jafali Al Nuaimi",
            "Jasem Mohamed AlBudaiwi",
            "no decisions or documents are reported",
            "The Peninsula (Qatar), republished by MENAFN, 3 September 2024 (language: English)",
            "The Peninsula (Qatar), republished by MENAFN, 30 October 2024 (language: English)",
        ],
    )
    assert "Signed during this visit" not in text
    meeting = timeline_item(pages, GCC, "meeting-online-meeting")
    assert_shows(
        meeting,
        [
            "Date not given in the sources · Meeting · online",
            "Hosted by Public Prosecution of the State of Qatar",
            "Ibrahim Abdullah Al Qubaisi, Public Prosecution of the State of Qatar (host side): "
            "presided over the meeting as Prime Solicitor General and Director of the Judicial "
            "Inspection Administration",
            "several Deputy Public Prosecutors, not named",
            # the five agenda items
            "Running interactive seminars: mechanisms and controls",
            "Honouring former attorneys general and prosecutors",
            "Cooperation with legal and judicial institutes and centres",
            "Mutual legal assistance",
            "Exchange of experience",
        ],
    )
    assert "Place:" not in meeting


@pytest.mark.django_db
def test_gcc_occasion_page_is_online_and_undated(pages):
    assert_shows(
        page(pages, GCC_MEETING),
        [
            "Meeting of a recurring format",
            "Meetings of the GCC assistant attorneys general and prosecutors · meeting no. 15",
            "Dates not stated in the sources",
            "Place online",
            "prepared the 16th meeting of the GCC Attorneys General and Prosecutors",
        ],
    )
    assert_shows(
        page(pages, "/organizations/gulf-cooperation-council/"),
        ["Gulf Cooperation Council", "Published events (1)"],
    )


@pytest.mark.django_db
def test_chinese_study_trip_visit_page(pages):
    text = page(pages, f"/events/{CHINA}/")
    assert_shows(
        text,
        [
            "Study visit",
            "Dates 1 July 2018 – 8 July 2018",
            "Chinese public prosecution offices (not named in the source) (China)",
            "Host No single host: a multilateral meeting",
            "Location not stated in the sources",
            "To learn how the public prosecution services of Germany and the Netherlands are "
            "organised",
            "Six senior prosecutors",
            "The sources do not name the members of the delegation.",
            "Organisation and functioning of prosecution services",
            "Handling minor cases efficiently",
            "Recruitment to the judicial service",
            "(a description: the headline is not known), "
            "rechtskooperation-china.org (Sino-German Legal Cooperation Programme) "
            "(language: German)",
        ],
    )
    assert text.count("Date not given in the sources") == 4
    ministry = timeline_item(pages, CHINA, "meeting-federal-ministry-of-justice")
    assert_shows(
        ministry,
        ["Place: Berlin", "Hosted by Federal Ministry of Justice and Consumer Protection"],
    )
    board = timeline_item(pages, CHINA, "meeting-board-of-procurators-general")
    assert_shows(
        board,
        ["Place: Netherlands", "Hosted by Board of Procurators General (College van"],
    )
    assert "Place: Germany" in timeline_item(pages, CHINA, "sitevisit-prosecution-offices-germany")
    assert "Place: Netherlands" in timeline_item(
        pages, CHINA, "sitevisit-prosecution-offices-netherlands"
    )


@pytest.mark.django_db
def test_uzbek_visit_page(pages):
    text = page(pages, f"/events/{UZBEK}/")
    assert_shows(
        text,
        [
            "Visit (type not stated)",
            "Reported under way on 8 June 2022",
            "General Prosecutor's Office of the Republic of Uzbekistan (Uzbekistan)",
            "Host Prosecutor General's Office of the Republic of Azerbaijan (Azerbaijan)",
            "Location Azerbaijan",
            "Carried out under Cooperation Programme for 2022–2023 (2022–2023)",
            "Bəxtiyor İbrohimov, Head of a department of the General Prosecutor's Office of "
            "Uzbekistan",
            "who headed it are not stated",
            "Elm-Tədris Mə",
            "breaks off in the middle of that list",
            "Metbuat.az (language: Azerbaijani)",
            "Information supplied by Prosecutor General's Office of the Republic of Azerbaijan",
        ],
    )
    assert "(head of delegation)" not in text
    assert_shows(
        timeline_item(pages, UZBEK, "meeting-meeting-with-the-first-deputy-prosecutor-general"),
        [
            "8 June 2022 · Meeting",
            "Elçin Məmmədov, Prosecutor General's Office of the Republic of Azerbaijan (host side)",
            "Bəxtiyor İbrohimov, General Prosecutor's Office of the Republic of Uzbekistan "
            "(visiting side)",
        ],
    )
    assert_shows(
        timeline_item(pages, UZBEK, "workshop-seminar-on-prosecutors-in-court-proceedings"),
        [
            "Date not given in the sources · Workshop",
            "Seminar on the prosecutor's participation in the hearing of cases by courts",
        ],
    )
    assert_shows(
        timeline_item(pages, UZBEK, "sitevisit-anti-corruption-directorate"),
        [
            "Date not given in the sources · Site visit",
            "Place: Anti-Corruption Directorate under the Prosecutor General",
        ],
    )


@pytest.mark.django_db
def test_uzbek_programme_page_says_where_and_when_it_was_signed(pages):
    text = page(pages, UZBEK_PROGRAMME)
    assert_shows(
        text,
        [
            "Cooperation programme",
            "Period 2022–2023",
            "Signed 1 November 2021, in Baku",
            "first meeting of the prosecutors general of the Organization of Turkic States",
            "The sources do not name the signatories.",
            "Uzbek prosecution service came to Azerbaijan",
        ],
    )
    # Signed at an earlier meeting, not during the visit that carries it out.
    assert "Signed during" not in text
    assert "Visit of a delegation of Uzbekistan's prosecution service to Azerbaijan" in text


@pytest.mark.django_db
def test_people_and_places_shared_between_notes(pages):
    assert_shows(
        page(pages, "/people/elcin-memmedov/"),
        [
            "Also written: Elchin Mammadov",
            "First Deputy Prosecutor General, Prosecutor General's Office of the Republic of "
            "Azerbaijan",
            "Published events (2)",
        ],
    )
    assert_shows(
        page(pages, "/people/alexander-gutsan/"),
        ["Prosecutor General, Prosecutor General's Office of the Russian Federation"],
    )
    assert_shows(
        page(pages, "/people/ibrahim-abdullah-al-qubaisi/"),
        ["Prime Solicitor General", "Director of the Judicial Inspection Administration"],
    )
    assert "Published events (1)" in page(pages, "/people/bextiyor-ibrohimov/")
    assert "Published events (1)" in page(
        pages, "/organizations/chinese-public-prosecution-offices-not-named/"
    )
    assert "Published events (1)" in page(
        pages, "/organizations/prosecutor-generals-office-kyrgyzstan/"
    )
    assert "Published events (3)" in page(pages, "/places/azerbaijan/")
    assert "Published events (1)" in page(pages, "/places/dushanbe/")


# --- Across the records ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("query", list(FILTERS))
def test_event_list_filter_finds_exactly_its_visits(pages, query):
    assert listed_slugs(pages, query) == FILTERS[query]
