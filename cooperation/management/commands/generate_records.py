"""Fill the database with a deterministic synthetic archive, for performance work.

    manage.py generate_records --delegations 100000 --seed 1

The archive has two parts:

* A *world* of reference records, made once: the prosecution services and ministries of
  about 60 countries with their departments and councils, their staff (dated positions,
  other spellings of their names), the capital cities with buildings and museums in them,
  a two-level tree of topics, a handful of sources under https://example.org/synthetic/,
  and cooperation programmes between the offices. Every slug of it starts with ``syn-``,
  so it never collides with real records (the Baku fixture) and is easy to tell apart.
* N delegations, ``visit-0000001`` onwards, each with 3-8 meetings, workshops and site
  visits, its members and a citation.

Deterministic: the world is drawn from ``random.Random(seed)`` and each delegation from its
own ``random.Random`` seeded with the seed and the delegation's number, and no value comes
from the clock. So the same N and seed give the same records whatever the batch size, and
``--append`` continues the very sequence a larger first run would have made.

Bulk writes run no model code, so what the models derive is written here too: each visit's
search text (as `Delegation.search_document()` builds it) and, on PostgreSQL, its search
vector (as `update_search_vector()` computes it), the page cache's registry version is
bumped after each batch, and the event index of the new visits is built at the end, in one
statement (eventindex.rebuild). tests/test_generate_records.py checks them against the models.

The change history (cooperation/history/) is deliberately left without rows: the archive is
nobody's change to the records, and a historical row for each of millions of rows would
double the load. A generated record's history starts with its first edit.

Fast and flat in memory: delegations are drawn in batches (5,000 by default), each written
with its activities and through-rows in one transaction and then dropped. On PostgreSQL
rows go in with COPY, from writer threads while the next batch is drawn; elsewhere with
bulk_create. On empty PostgreSQL tables their secondary indexes are set aside for the load
and built once after it (IndexesSetAside). A million delegations (17.4 million rows, and 17
million of the event index) took 699 s on a two-core machine that was running the test
suite too, most of it PostgreSQL's: the search vector, foreign-key checks, the indexes.
"""

import datetime as dt
import itertools
import queue
import random
import threading
import time
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.db.models import NOT_PROVIDED, Max
from django.db.models.functions import Length
from django.utils.text import slugify

from cooperation import eventindex, registry_version
from cooperation.languages import DEFAULT, codes, fold, language_columns
from cooperation.models import (
    SEARCH_CONFIG,
    CooperationProgram,
    Delegation,
    DelegationCitation,
    DelegationMember,
    Meeting,
    MeetingParticipant,
    Organization,
    Person,
    PersonName,
    Place,
    Position,
    ProgramCitation,
    ProgramSignatory,
    SiteVisit,
    Source,
    Status,
    Topic,
    Workshop,
)

PREFIX = "syn-"
SOURCE_URL = "https://example.org/synthetic/"
VISIT_SLUG = "visit-{:07d}"
VISIT_SLUG_PATTERN = r"^visit-[0-9]+$"

FIRST_DAY = dt.date(2000, 1, 1).toordinal()
LAST_DAY = dt.date(2026, 12, 31).toordinal()
# The world's records say they were entered on this day: a fixed instant, not "now".
WORLD_ENTERED = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)

DRAFT_SHARE = 0.10
PROGRAMME_SHARE = 0.85  # delegations under a programme between their offices
PROGRAMMES_PER_COUNTRY = 5

# Plain strings, not the TextChoices members, in the rows.
PUBLISHED = Status.PUBLISHED.value
DRAFTS = (Status.DRAFT.value, Status.IN_REVIEW.value)
BY_VISIT, REPORTED = Delegation.DateBasis.VISIT.value, Delegation.DateBasis.REPORTED.value
HOST, VISITING = MeetingParticipant.Side.HOST.value, MeetingParticipant.Side.VISITING.value

# --- The world: countries, their offices, people, places, topics --------------------------

# code, name as used in a sentence, capital, name pool, language.
COUNTRIES = [
    ("RU", "Russia", "Moscow", "slavic", "ru"),
    ("BY", "Belarus", "Minsk", "slavic", "be"),
    ("UA", "Ukraine", "Kyiv", "slavic", "uk"),
    ("RS", "Serbia", "Belgrade", "slavic", "sr"),
    ("BG", "Bulgaria", "Sofia", "slavic", "bg"),
    ("KZ", "Kazakhstan", "Astana", "central_asian", "kk"),
    ("KG", "Kyrgyzstan", "Bishkek", "central_asian", "ky"),
    ("UZ", "Uzbekistan", "Tashkent", "central_asian", "uz"),
    ("TJ", "Tajikistan", "Dushanbe", "central_asian", "tg"),
    ("TM", "Turkmenistan", "Ashgabat", "central_asian", "tk"),
    ("AZ", "Azerbaijan", "Baku", "azerbaijani", "az"),
    ("TR", "Türkiye", "Ankara", "turkish", "tr"),
    ("GE", "Georgia", "Tbilisi", "georgian", "ka"),
    ("AM", "Armenia", "Yerevan", "armenian", "hy"),
    ("IR", "Iran", "Tehran", "iranian", "fa"),
    ("AE", "the United Arab Emirates", "Abu Dhabi", "arabic", "ar"),
    ("SA", "Saudi Arabia", "Riyadh", "arabic", "ar"),
    ("QA", "Qatar", "Doha", "arabic", "ar"),
    ("EG", "Egypt", "Cairo", "arabic", "ar"),
    ("JO", "Jordan", "Amman", "arabic", "ar"),
    ("MA", "Morocco", "Rabat", "arabic", "ar"),
    ("DZ", "Algeria", "Algiers", "arabic", "ar"),
    ("TN", "Tunisia", "Tunis", "arabic", "ar"),
    ("KW", "Kuwait", "Kuwait City", "arabic", "ar"),
    ("OM", "Oman", "Muscat", "arabic", "ar"),
    ("DE", "Germany", "Berlin", "german", "de"),
    ("AT", "Austria", "Vienna", "german", "de"),
    ("CH", "Switzerland", "Bern", "german", "de"),
    ("NL", "the Netherlands", "Amsterdam", "german", "nl"),
    ("BE", "Belgium", "Brussels", "french", "fr"),
    ("FR", "France", "Paris", "french", "fr"),
    ("IT", "Italy", "Rome", "italian", "it"),
    ("ES", "Spain", "Madrid", "iberian", "es"),
    ("PT", "Portugal", "Lisbon", "iberian", "pt"),
    ("PL", "Poland", "Warsaw", "central_european", "pl"),
    ("CZ", "Czechia", "Prague", "central_european", "cs"),
    ("SK", "Slovakia", "Bratislava", "central_european", "sk"),
    ("HU", "Hungary", "Budapest", "central_european", "hu"),
    ("RO", "Romania", "Bucharest", "central_european", "ro"),
    ("HR", "Croatia", "Zagreb", "central_european", "hr"),
    ("SI", "Slovenia", "Ljubljana", "central_european", "sl"),
    ("GR", "Greece", "Athens", "greek", "el"),
    ("SE", "Sweden", "Stockholm", "nordic", "sv"),
    ("FI", "Finland", "Helsinki", "nordic", "fi"),
    ("NO", "Norway", "Oslo", "nordic", "nb"),
    ("DK", "Denmark", "Copenhagen", "nordic", "da"),
    ("EE", "Estonia", "Tallinn", "nordic", "et"),
    ("LV", "Latvia", "Riga", "nordic", "lv"),
    ("LT", "Lithuania", "Vilnius", "nordic", "lt"),
    ("GB", "the United Kingdom", "London", "anglo", "en"),
    ("IE", "Ireland", "Dublin", "anglo", "en"),
    ("US", "the United States", "Washington", "anglo", "en"),
    ("CA", "Canada", "Ottawa", "anglo", "en"),
    ("AU", "Australia", "Canberra", "anglo", "en"),
    ("CN", "China", "Beijing", "chinese", "zh"),
    ("JP", "Japan", "Tokyo", "japanese", "ja"),
    ("KR", "the Republic of Korea", "Seoul", "korean", "ko"),
    ("VN", "Viet Nam", "Hanoi", "vietnamese", "vi"),
    ("ID", "Indonesia", "Jakarta", "malay", "id"),
    ("MY", "Malaysia", "Kuala Lumpur", "malay", "ms"),
    ("IN", "India", "New Delhi", "indian", "hi"),
    ("PK", "Pakistan", "Islamabad", "pakistani", "ur"),
    ("BR", "Brazil", "Brasília", "iberian", "pt"),
    ("AR", "Argentina", "Buenos Aires", "iberian", "es"),
    ("MX", "Mexico", "Mexico City", "iberian", "es"),
    ("CL", "Chile", "Santiago", "iberian", "es"),
    ("NG", "Nigeria", "Abuja", "african", "en"),
    ("KE", "Kenya", "Nairobi", "african", "sw"),
    ("ZA", "South Africa", "Pretoria", "african", "en"),
]  # fmt: skip
# The prosecution service where it is not called "Prosecutor General's Office of <name>".
PROSECUTION_NAMES = {
    "RS": "Republic Public Prosecutor's Office of Serbia",
    "BG": "Prosecutor's Office of Bulgaria",
    "TR": "Chief Public Prosecutor's Office of Ankara",
    "GE": "Prosecution Service of Georgia",
    "SA": "Public Prosecution of Saudi Arabia",
    "QA": "Public Prosecution of Qatar",
    "EG": "Public Prosecution of Egypt",
    "MA": "Presidency of the Public Prosecution of Morocco",
    "KW": "Public Prosecution of Kuwait",
    "OM": "Public Prosecution of Oman",
    "DE": "Federal Public Prosecutor General of Germany",
    "CH": "Office of the Attorney General of Switzerland",
    "NL": "Public Prosecution Service of the Netherlands",
    "BE": "Federal Prosecutor's Office of Belgium",
    "FR": "Prosecutor General at the Court of Cassation of France",
    "IT": "Prosecutor General at the Court of Cassation of Italy",
    "ES": "Attorney General's Office of Spain",
    "PL": "National Public Prosecutor's Office of Poland",
    "CZ": "Supreme Public Prosecutor's Office of Czechia",
    "HR": "State Attorney's Office of Croatia",
    "SI": "State Prosecutor's Office of Slovenia",
    "GR": "Prosecutor's Office of the Supreme Court of Greece",
    "SE": "Swedish Prosecution Authority",
    "FI": "National Prosecution Authority of Finland",
    "NO": "Director of Public Prosecutions of Norway",
    "DK": "Director of Public Prosecutions of Denmark",
    "GB": "Crown Prosecution Service",
    "IE": "Office of the Director of Public Prosecutions of Ireland",
    "US": "Office of the Attorney General of the United States",
    "CA": "Public Prosecution Service of Canada",
    "AU": "Commonwealth Director of Public Prosecutions",
    "CN": "Supreme People's Procuratorate of China",
    "JP": "Supreme Public Prosecutors Office of Japan",
    "KR": "Supreme Prosecutors' Office of the Republic of Korea",
    "VN": "Supreme People's Procuracy of Viet Nam",
    "ID": "Attorney General's Office of Indonesia",
    "MY": "Attorney General's Chambers of Malaysia",
    "IN": "Office of the Attorney General of India",
    "BR": "Federal Public Prosecutor's Office of Brazil",
    "AR": "Public Prosecutor's Office of Argentina",
    "MX": "Attorney General's Office of Mexico",
    "CL": "Public Prosecutor's Office of Chile",
    "KE": "Office of the Director of Public Prosecutions of Kenya",
    "ZA": "National Prosecuting Authority of South Africa",
}

# Name pools: first names (English spelling, native spelling, "f" for a woman) and
# surnames (English, native). Where the native spelling differs from the English one the
# person gets it as another name; a woman's Slavic or Turkic surname takes its feminine form.
SCRIPT_OF_POOL = {
    "slavic": PersonName.Script.CYRILLIC,
    "central_asian": PersonName.Script.CYRILLIC,
    "arabic": PersonName.Script.ARABIC,
}
FEMININE_SURNAMES = {"slavic", "central_asian", "azerbaijani"}
NAME_POOLS = {
    "slavic": (
        [("Aleksandr", "Александр", ""), ("Sergey", "Сергей", ""), ("Dmitry", "Дмитрий", ""),
         ("Igor", "Игорь", ""), ("Andrey", "Андрей", ""), ("Vladimir", "Владимир", ""),
         ("Nikolay", "Николай", ""), ("Yuri", "Юрий", ""), ("Mikhail", "Михаил", ""),
         ("Pavel", "Павел", ""), ("Viktor", "Виктор", ""), ("Olga", "Ольга", "f"),
         ("Yelena", "Елена", "f"), ("Tatyana", "Татьяна", "f"), ("Natalya", "Наталья", "f"),
         ("Irina", "Ирина", "f")],
        [("Ivanov", "Иванов"), ("Petrov", "Петров"), ("Smirnov", "Смирнов"),
         ("Kuznetsov", "Кузнецов"), ("Popov", "Попов"), ("Sokolov", "Соколов"),
         ("Volkov", "Волков"), ("Morozov", "Морозов"), ("Novikov", "Новиков"),
         ("Fyodorov", "Фёдоров"), ("Orlov", "Орлов"), ("Belov", "Белов"),
         ("Zaitsev", "Зайцев"), ("Krasnov", "Краснов"), ("Lebedev", "Лебедев")],
    ),
    "central_asian": (
        [("Nurlan", "Нурлан", ""), ("Askar", "Аскар", ""), ("Berik", "Берик", ""),
         ("Timur", "Тимур", ""), ("Rustam", "Рустам", ""), ("Bakhtiyor", "Бахтиёр", ""),
         ("Farrukh", "Фаррух", ""), ("Erlan", "Ерлан", ""), ("Sanjar", "Санжар", ""),
         ("Aigul", "Айгуль", "f"), ("Dilnoza", "Дилноза", "f"), ("Gulnara", "Гульнара", "f")],
        [("Nurpeisov", "Нурпеисов"), ("Abdullaev", "Абдуллаев"), ("Karimov", "Каримов"),
         ("Rakhimov", "Рахимов"), ("Yusupov", "Юсупов"), ("Sadykov", "Садыков"),
         ("Omarov", "Омаров"), ("Ismailov", "Исмаилов"), ("Kasymov", "Касымов"),
         ("Alikhanov", "Алиханов")],
    ),
    "azerbaijani": (
        [("Kamran", "Kamran", ""), ("Elchin", "Elçin", ""), ("Rashad", "Rəşad", ""),
         ("Ilham", "İlham", ""), ("Farid", "Fərid", ""), ("Samir", "Samir", ""),
         ("Vugar", "Vüqar", ""), ("Erkin", "Erkin", ""), ("Nigar", "Nigar", "f"),
         ("Leyla", "Leyla", "f"), ("Aytan", "Aytən", "f")],
        [("Aliyev", "Əliyev"), ("Mammadov", "Məmmədov"), ("Huseynov", "Hüseynov"),
         ("Hasanov", "Həsənov"), ("Guliyev", "Quliyev"), ("Ismayilov", "İsmayılov"),
         ("Jafarov", "Cəfərov"), ("Abbasov", "Abbasov"), ("Babayev", "Babayev")],
    ),
    "turkish": (
        [("Mehmet", "Mehmet", ""), ("Mustafa", "Mustafa", ""), ("Ahmet", "Ahmet", ""),
         ("Emre", "Emre", ""), ("Burak", "Burak", ""), ("Gokhan", "Gökhan", ""),
         ("Serkan", "Serkan", ""), ("Zeynep", "Zeynep", "f"), ("Elif", "Elif", "f"),
         ("Ozlem", "Özlem", "f"), ("Ayse", "Ayşe", "f")],
        [("Yilmaz", "Yılmaz"), ("Kaya", "Kaya"), ("Demir", "Demir"), ("Celik", "Çelik"),
         ("Sahin", "Şahin"), ("Ozturk", "Öztürk"), ("Aydin", "Aydın"), ("Arslan", "Arslan"),
         ("Dogan", "Doğan")],
    ),
    "georgian": (
        [("Giorgi", "", ""), ("Davit", "", ""), ("Levan", "", ""), ("Irakli", "", ""),
         ("Nino", "", "f"), ("Tamar", "", "f"), ("Ketevan", "", "f")],
        [("Beridze", ""), ("Kapanadze", ""), ("Gelashvili", ""), ("Lomidze", ""),
         ("Tsiklauri", ""), ("Chkheidze", "")],
    ),
    "armenian": (
        [("Armen", "", ""), ("Aram", "", ""), ("Tigran", "", ""), ("Gevorg", "", ""),
         ("Anahit", "", "f"), ("Lilit", "", "f")],
        [("Sargsyan", ""), ("Hakobyan", ""), ("Grigoryan", ""), ("Petrosyan", ""),
         ("Harutyunyan", ""), ("Avetisyan", "")],
    ),
    "iranian": (
        [("Ali", "", ""), ("Reza", "", ""), ("Mohammad", "", ""), ("Hossein", "", ""),
         ("Mehdi", "", ""), ("Maryam", "", "f"), ("Zahra", "", "f")],
        [("Hosseini", ""), ("Mohammadi", ""), ("Rezaei", ""), ("Ahmadi", ""),
         ("Karimi", ""), ("Moradi", "")],
    ),
    "arabic": (
        [("Mohammed", "محمد", ""), ("Ahmed", "أحمد", ""), ("Khalid", "خالد", ""),
         ("Omar", "عمر", ""), ("Youssef", "يوسف", ""), ("Hassan", "حسن", ""),
         ("Abdullah", "عبد الله", ""), ("Saeed", "سعيد", ""), ("Nasser", "ناصر", ""),
         ("Fatima", "فاطمة", "f"), ("Mariam", "مريم", "f")],
        [("Al-Mansouri", "المنصوري"), ("Al-Hashimi", "الهاشمي"), ("Haddad", "حداد"),
         ("Al-Qasimi", "القاسمي"), ("Khalil", "خليل"), ("Saleh", "صالح"),
         ("Al-Amiri", "العامري"), ("Mahmoud", "محمود"), ("Ibrahim", "إبراهيم"),
         ("Othman", "عثمان")],
    ),
    "german": (
        [("Thomas", "", ""), ("Michael", "", ""), ("Andreas", "", ""), ("Stefan", "", ""),
         ("Martin", "", ""), ("Peter", "", ""), ("Jan", "", ""), ("Julia", "", "f"),
         ("Anna", "", "f"), ("Katrin", "", "f"), ("Sabine", "", "f")],
        [("Mueller", "Müller"), ("Schmidt", ""), ("Schneider", ""), ("Fischer", ""),
         ("Weber", ""), ("Wagner", ""), ("Becker", ""), ("Hoffmann", ""),
         ("Schaefer", "Schäfer"), ("Jansen", ""), ("de Vries", ""), ("Bauer", "")],
    ),
    "french": (
        [("Jean", "", ""), ("Pierre", "", ""), ("Nicolas", "", ""), ("Francois", "François", ""),
         ("Laurent", "", ""), ("Marie", "", "f"), ("Sophie", "", "f"),
         ("Isabelle", "", "f"), ("Helene", "Hélène", "f")],
        [("Martin", ""), ("Bernard", ""), ("Dubois", ""), ("Moreau", ""),
         ("Lefevre", "Lefèvre"), ("Girard", ""), ("Mercier", ""), ("Peeters", "")],
    ),
    "italian": (
        [("Marco", "", ""), ("Giuseppe", "", ""), ("Luca", "", ""), ("Alessandro", "", ""),
         ("Paolo", "", ""), ("Francesca", "", "f"), ("Giulia", "", "f"), ("Chiara", "", "f")],
        [("Rossi", ""), ("Russo", ""), ("Ferrari", ""), ("Esposito", ""), ("Bianchi", ""),
         ("Romano", ""), ("Colombo", ""), ("Ricci", "")],
    ),
    "iberian": (
        [("Jose", "José", ""), ("Juan", "", ""), ("Carlos", "", ""), ("Luis", "", ""),
         ("Joao", "João", ""), ("Pedro", "", ""), ("Miguel", "", ""), ("Maria", "María", "f"),
         ("Ana", "", "f"), ("Lucia", "Lucía", "f")],
        [("Garcia", "García"), ("Fernandez", "Fernández"), ("Lopez", "López"),
         ("Martinez", "Martínez"), ("Rodriguez", "Rodríguez"), ("Silva", ""),
         ("Santos", ""), ("Pereira", ""), ("Gomez", "Gómez"), ("Sanchez", "Sánchez")],
    ),
    "central_european": (
        [("Tomasz", "", ""), ("Piotr", "", ""), ("Tomas", "Tomáš", ""), ("Zoltan", "Zoltán", ""),
         ("Laszlo", "László", ""), ("Marko", "", ""), ("Andrei", "", ""),
         ("Katarzyna", "", "f"), ("Agnieszka", "", "f"), ("Ivana", "", "f"),
         ("Elena", "", "f")],
        [("Kowalski", ""), ("Nowak", ""), ("Wisniewski", "Wiśniewski"), ("Novak", "Novák"),
         ("Svoboda", ""), ("Dvorak", "Dvořák"), ("Nagy", ""), ("Kovacs", "Kovács"),
         ("Horvat", ""), ("Popescu", ""), ("Ionescu", "")],
    ),
    "greek": (
        [("Georgios", "", ""), ("Dimitrios", "", ""), ("Konstantinos", "", ""),
         ("Nikolaos", "", ""), ("Maria", "", "f"), ("Eleni", "", "f")],
        [("Papadopoulos", ""), ("Papadakis", ""), ("Georgiou", ""), ("Nikolaidis", ""),
         ("Oikonomou", ""), ("Karagiannis", "")],
    ),
    "nordic": (
        [("Anders", "", ""), ("Lars", "", ""), ("Erik", "", ""), ("Mikael", "", ""),
         ("Jukka", "", ""), ("Andrius", "", ""), ("Janis", "Jānis", ""), ("Anna", "", "f"),
         ("Kristina", "", "f"), ("Mari", "", "f"), ("Liis", "", "f")],
        [("Andersson", ""), ("Johansson", ""), ("Nielsen", ""), ("Hansen", ""),
         ("Virtanen", ""), ("Korhonen", ""), ("Larsen", ""), ("Tamm", ""),
         ("Kazlauskas", ""), ("Berzins", "Bērziņš"), ("Lindqvist", "")],
    ),
    "anglo": (
        [("James", "", ""), ("John", "", ""), ("David", "", ""), ("Michael", "", ""),
         ("Robert", "", ""), ("Patrick", "", ""), ("Daniel", "", ""), ("Sarah", "", "f"),
         ("Emily", "", "f"), ("Elizabeth", "", "f"), ("Catherine", "", "f"),
         ("Laura", "", "f")],
        [("Smith", ""), ("Jones", ""), ("Williams", ""), ("Brown", ""), ("Taylor", ""),
         ("Wilson", ""), ("O'Brien", ""), ("Murphy", ""), ("Johnson", ""), ("Campbell", ""),
         ("Thompson", "")],
    ),
    "chinese": (
        [("Wei", "", ""), ("Jun", "", ""), ("Lei", "", ""), ("Qiang", "", ""),
         ("Jing", "", "f"), ("Min", "", "f"), ("Yan", "", "f"), ("Hua", "", "f")],
        [("Wang", ""), ("Li", ""), ("Zhang", ""), ("Liu", ""), ("Chen", ""), ("Yang", ""),
         ("Zhao", ""), ("Huang", "")],
    ),
    "japanese": (
        [("Hiroshi", "", ""), ("Takashi", "", ""), ("Kenji", "", ""), ("Satoshi", "", ""),
         ("Yuki", "", "f"), ("Akiko", "", "f")],
        [("Sato", ""), ("Suzuki", ""), ("Takahashi", ""), ("Tanaka", ""), ("Watanabe", ""),
         ("Ito", "")],
    ),
    "korean": (
        [("Min-jun", "", ""), ("Ji-hoon", "", ""), ("Hyun-woo", "", ""), ("Sung-min", "", ""),
         ("Seo-yeon", "", "f"), ("Eun-ji", "", "f")],
        [("Kim", ""), ("Lee", ""), ("Park", ""), ("Choi", ""), ("Jung", ""), ("Kang", "")],
    ),
    "vietnamese": (
        [("Van Anh", "Văn Anh", ""), ("Minh Tuan", "Minh Tuấn", ""),
         ("Duc Thang", "Đức Thắng", ""), ("Quang Huy", "", ""), ("Thi Lan", "Thị Lan", "f")],
        [("Nguyen", "Nguyễn"), ("Tran", "Trần"), ("Le", "Lê"), ("Pham", "Phạm"),
         ("Hoang", "Hoàng")],
    ),
    "malay": (
        [("Ahmad", "", ""), ("Budi", "", ""), ("Agus", "", ""), ("Rizal", "", ""),
         ("Hafiz", "", ""), ("Siti", "", "f"), ("Nur", "", "f"), ("Dewi", "", "f")],
        [("Abdullah", ""), ("Rahman", ""), ("Ismail", ""), ("Santoso", ""), ("Wijaya", ""),
         ("Hidayat", ""), ("Pratama", "")],
    ),
    "indian": (
        [("Rajesh", "", ""), ("Amit", "", ""), ("Vikram", "", ""), ("Anil", "", ""),
         ("Sanjay", "", ""), ("Priya", "", "f"), ("Sunita", "", "f"), ("Deepa", "", "f")],
        [("Sharma", ""), ("Verma", ""), ("Gupta", ""), ("Singh", ""), ("Patel", ""),
         ("Reddy", ""), ("Iyer", ""), ("Nair", "")],
    ),
    "pakistani": (
        [("Imran", "", ""), ("Faisal", "", ""), ("Bilal", "", ""), ("Usman", "", ""),
         ("Asif", "", ""), ("Ayesha", "", "f"), ("Sana", "", "f"), ("Hina", "", "f")],
        [("Khan", ""), ("Ahmed", ""), ("Malik", ""), ("Qureshi", ""), ("Chaudhry", ""),
         ("Sheikh", ""), ("Raza", "")],
    ),
    "african": (
        [("Chukwuemeka", "", ""), ("Oluwaseun", "", ""), ("Thabo", "", ""), ("Sipho", "", ""),
         ("Abubakar", "", ""), ("Ngozi", "", "f"), ("Amina", "", "f"),
         ("Wanjiru", "", "f"), ("Lindiwe", "", "f")],
        [("Okafor", ""), ("Adeyemi", ""), ("Mwangi", ""), ("Otieno", ""), ("Nkosi", ""),
         ("Dlamini", ""), ("Bello", ""), ("Kamau", ""), ("Ndlovu", "")],
    ),
}  # fmt: skip
FAMILY_NAME_FIRST = {"chinese", "korean", "vietnamese"}

PROSECUTION = Organization.Kind.PROSECUTION_SERVICE
MINISTRY = Organization.Kind.MINISTRY
DEPARTMENT = Organization.Kind.DEPARTMENT
COUNCIL = Organization.Kind.COUNCIL

# Per kind of office: the head's title, deputies' title, other staff titles, and its units
# (name, kind). A unit's staff are titled after it.
OFFICE_STAFF = {
    PROSECUTION: (
        "Prosecutor General",
        "Deputy Prosecutor General",
        ["Senior Prosecutor", "Prosecutor", "Adviser to the Prosecutor General",
         "Assistant Prosecutor General", "Senior Investigator", "Head of Division"],
        [("International Legal Cooperation Department", DEPARTMENT),
         ("Department for Combating Corruption", DEPARTMENT),
         ("Asset Recovery Office", DEPARTMENT),
         ("Department of Mutual Legal Assistance", DEPARTMENT),
         ("Scientific Advisory Council under the Prosecutor General", COUNCIL),
         ("Collegium of the Prosecution Service", COUNCIL)],
    ),
    MINISTRY: (
        "Minister of Justice",
        "Deputy Minister of Justice",
        ["Senior Legal Adviser", "Adviser to the Minister", "Chief Specialist",
         "Head of Division", "Legal Officer"],
        [("Department of International Law and Cooperation", DEPARTMENT),
         ("Department of Judicial Reform", DEPARTMENT),
         ("Department of Penitentiary Affairs", DEPARTMENT),
         ("Legal Aid Department", DEPARTMENT),
         ("Council for Legal Policy", COUNCIL)],
    ),
}  # fmt: skip
UNIT_TITLES = {
    DEPARTMENT: ("Head of the {}", "Senior Officer of the {}"),
    COUNCIL: ("Chair of the {}", "Member of the {}"),
}

# Buildings and museums in a capital: (name, kind).
CITY_SITES = [
    ("Palace of Justice", Place.Kind.BUILDING),
    ("Administrative Building of the Prosecution Service", Place.Kind.BUILDING),
    ("Supreme Court Building", Place.Kind.BUILDING),
    ("Academy of Justice", Place.Kind.BUILDING),
    ("National Library", Place.Kind.BUILDING),
    ("Parliament Building", Place.Kind.BUILDING),
    ("National Museum of History", Place.Kind.MUSEUM),
    ("Museum of Fine Arts", Place.Kind.MUSEUM),
    ("Museum of the History of Law Enforcement", Place.Kind.MUSEUM),
    ("Memorial to the Victims of War", Place.Kind.MEMORIAL),
    ("Old Town", Place.Kind.LANDMARK),
]
STREETS = [
    "Independence Avenue", "Constitution Street", "Freedom Square", "Victory Avenue",
    "Justice Street", "Embankment Road", "Republic Square", "University Street",
]  # fmt: skip

TOPICS = {
    "International legal cooperation": [
        "Mutual legal assistance in criminal cases",
        "Extradition in criminal cases",
        "Transfer of sentenced persons",
        "Transfer of criminal proceedings",
        "Letters rogatory",
        "Joint investigation teams",
    ],
    "Asset recovery": [
        "Tracing of criminal assets",
        "Confiscation of the proceeds of crime",
        "Management of seized assets",
        "Return of stolen assets",
        "Non-conviction-based forfeiture",
    ],
    "Anti-corruption": [
        "Corruption in public procurement",
        "Bribery of foreign officials",
        "Conflicts of interest",
        "Protection of whistle-blowers",
        "Asset declarations of officials",
        "Integrity in the prosecution service",
    ],
    "Financial crime": [
        "Money laundering",
        "Terrorist financing",
        "Tax evasion",
        "Banking fraud",
        "Virtual assets and cryptocurrencies",
        "Sanctions evasion",
    ],
    "Cybercrime": [
        "Electronic evidence",
        "Ransomware",
        "Online fraud",
        "Child sexual abuse material online",
        "Cross-border access to data",
        "Darknet markets",
    ],
    "Organised crime": [
        "Drug trafficking",
        "Trafficking in human beings",
        "Migrant smuggling",
        "Firearms trafficking",
        "Trafficking in cultural property",
        "Witness protection",
    ],
    "Terrorism and extremism": [
        "Prevention of violent extremism",
        "Foreign terrorist fighters",
        "Prosecution of terrorist offences",
        "Radicalisation in prisons",
        "Protection of victims of terrorism",
    ],
    "Protection of rights": [
        "Protection of the rights of minors",
        "Combating domestic violence",
        "Rights of victims of crime",
        "Combating crimes against minors",
        "Rights of persons in detention",
        "Gender-based violence",
    ],
    "Environmental crime": [
        "State prosecution in environmental crime cases",
        "Illegal logging",
        "Wildlife trafficking",
        "Pollution offences",
        "Illegal fishing",
    ],
    "Criminal procedure": [
        "Pre-trial investigation",
        "Plea agreements",
        "Jury trials",
        "Forensic expertise",
        "Criminal statistics",
        "Appeals in criminal cases",
    ],
    "Management of the prosecution service": [
        "Exchange of experience",
        "Training of prosecutors",
        "Digitalisation of the prosecution service",
        "Ethics of prosecutors",
        "Recruitment and careers of prosecutors",
        "Case management systems",
    ],
    "Rule of law": [
        "Judicial independence",
        "Case law of the European Court of Human Rights",
        "Prevention of torture",
        "Freedom of expression cases",
        "Legislative drafting",
    ],
    "Economic crime": [
        "Protection of investors",
        "Counterfeiting and intellectual property",
        "Customs fraud",
        "Insolvency fraud",
        "Protection of state property",
    ],
}

SOURCES = [
    ("Example News Agency", "en"),
    ("Example Legal Gazette", "en"),
    ("Example Prosecutors' Bulletin", "ru"),
    ("Example Wire", "fr"),
    ("Example Justice Review", "de"),
    ("Example Press Service", "ar"),
    ("Example Daily", "az"),
]

# --- Words for titles and summaries --------------------------------------------------------


def words(text):
    return text.split()


# Most common first: words are drawn with Zipf weights, so a search finds the first ones in
# most records and the last ones in a few.
ADJECTIVES = words("""
international legal criminal joint practical mutual bilateral effective judicial
cross-border national further procedural organised financial regional current specialised
operational institutional economic transnational digital forensic preventive comprehensive
modern constitutional electronic administrative investigative statutory multilateral pre-trial
fiscal environmental confidential expedited parallel informal extraterritorial corporate
illicit fraudulent offshore maritime penitentiary consular diplomatic proportionate biometric
cryptographic dormant clandestine fiduciary interlocutory anonymised""")
NOUNS = words("""
cooperation experience prosecution investigation assistance crime corruption evidence
legislation practice cases proceedings requests agreements training measures extradition
assets information procedures officials victims courts supervision reform standards methods
offences protection exchange recovery confiscation laundering trafficking terrorism cybercrime
fraud detention sentencing statistics integrity transparency accountability witnesses minors
data networks jurisdiction interpretation enforcement coordination prevention compliance
safeguards competences obligations instruments mechanisms channels liaison secondments
internships curricula benchmarks typologies indicators databases registries audits inspections
sanctions forfeiture seizure freezing tracing restitution compensation rehabilitation probation
parole amnesty immunity admissibility subpoenas affidavits warrants summonses indictments
acquittals convictions appeals cassation precedent jurisprudence ombudsman whistle-blowers
informants wiretapping surveillance encryption blockchain cryptocurrency darknet ransomware
phishing botnets smuggling counterfeiting poaching embezzlement bribery kickbacks nepotism
kleptocracy hawala exequatur sequestration usufruct escheat replevin""")
PURPOSES = [
    "To exchange experience in {np} and {np}.",
    "To discuss {np} under the cooperation programme.",
    "To study the practice of {host} in {np}.",
    "To agree on {np} and on the next steps in {np}.",
    "To review {np} and prepare {np}.",
]
SENTENCES = [
    "The parties discussed {np} and {np}.",
    "The sides exchanged views on {np} in {country}.",
    "Particular attention was paid to {np}.",
    "The delegation of {sender} was briefed on {np}.",
    "The sides agreed to strengthen {np} and to continue {np}.",
    "Experts of {host} presented their work on {np}.",
    "The meeting reviewed the implementation of {np}.",
    "Questions of {np} were also raised.",
    "Both offices noted progress in {np} since the previous visit.",
]
ACTIVITY_SENTENCES = [
    "The participants discussed {np}.",
    "Presentations covered {np} and {np}.",
    "The guests were shown {np}.",
    "The talks focused on {np}.",
    "Practical issues of {np} were considered.",
]
VISIT_TITLES = {
    Delegation.VisitType.WORKING: "Working visit of a delegation of {sender} to {country}",
    Delegation.VisitType.OFFICIAL: "Official visit of {sender} to {country}",
    Delegation.VisitType.STUDY: "Study visit of {sender} to {host}",
    Delegation.VisitType.CONFERENCE: "Conference of {sender} and {host} in {city}",
}
VISIT_TYPES = [visit_type.value for visit_type in VISIT_TITLES]
VISIT_TYPE_WEIGHTS = list(itertools.accumulate([50, 20, 20, 10]))
ROLES_HOST = [
    "welcomed the guests",
    "held talks with the guests",
    "presented the work of the office",
    "chaired the session",
]
ROLES_VISITING = ["led the visiting delegation", "attended as a guest", "spoke for the guests"]


def zipf_weights(count, exponent=1.1):
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


ADJECTIVE_WEIGHTS = zipf_weights(len(ADJECTIVES))
NOUN_WEIGHTS = zipf_weights(len(NOUNS))


def sentence_case(text):
    """A topic's name inside a sentence: "money laundering"; an acronym keeps its capitals."""
    return text if text[:2].isupper() else text[0].lower() + text[1:]


def the(name):
    """An office's name inside a sentence: "the Crown Prosecution Service"."""
    return name if name.startswith("the ") else f"the {name}"


# --- The world as the generator sees it ---------------------------------------------------


@dataclass
class Office:
    id: int
    country: str
    name: str
    kind: str
    head_title: str
    units: list = field(default_factory=list)  # (id, name, kind)
    staff: list = field(default_factory=list)  # (rank, person_id, title), most senior first


@dataclass
class Country:
    code: str
    name: str
    capital: tuple  # (place id, name)
    sites: list  # (place id, name) of buildings, museums… in the capital


@dataclass
class Programme:
    id: int
    parties: tuple  # two offices
    first_day: int  # ordinals of the period's first and last day
    last_day: int
    # What a visit under it adds to the visit's search text: its title and signatories,
    # only while it is published (Delegation.search_document).
    published: bool
    title: str
    signatories: list  # person ids


@dataclass
class World:
    offices: list
    countries: dict
    programmes: list
    topics: list  # leaf topics: (id, name, parent id)
    siblings: dict  # parent id -> [leaf topic ids]
    sources: list  # ids
    # Names by id, for the search text: organization -> (name, short name),
    # person -> [name, other names…], place -> (name, name of the place it is in, or "").
    organization_names: dict
    person_names: dict
    place_names: dict
    topic_names: dict


# --- The command --------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Fill the database with a deterministic synthetic archive (a world of ~60 "
        "countries' offices, people, places, topics and programmes, and N delegations with "
        "their activities) for performance work. Local development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delegations", type=non_negative, required=True, help="How many delegations."
        )
        parser.add_argument(
            "--seed", type=non_negative, default=0, help="Same seed, same records (default 0)."
        )
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=5000,
            help="Delegations per transaction (default 5000); does not change the records.",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to a database that already holds delegations, numbering on from the "
            "highest visit-NNNNNNN slug.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (not a dev site?)."
        )
        parser.add_argument(
            "--writers",
            type=non_negative,
            default=2,
            help="PostgreSQL: threads writing batches (each with its own connection) while "
            "the next batch is drawn; 0 writes in the main thread (default 2).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to fill a database with synthetic records while DEBUG is off "
                "(is this a production site?); pass --force if you mean it."
            )
        if Delegation.objects.exists() and not options["append"]:
            raise CommandError(
                "The database already holds delegations; pass --append to add synthetic "
                "records after them, or start from an empty database."
            )
        check_columns()
        started = time.monotonic()
        seed, total = options["seed"], options["delegations"]
        counts = Counter()

        if not Organization.objects.filter(slug__startswith=PREFIX).exists():
            with transaction.atomic():
                counts.update(create_world(random.Random(seed)))
            registry_version.bump()
        world = load_world()

        first = next_visit_number()
        last_id = Delegation.objects.aggregate(last=Max("pk"))["last"] or 0
        batch_size = options["batch_size"]
        ids = Ids(max(1, min(batch_size, total)))
        progress = Progress(self.stderr, total, enabled=not options["quiet"])
        aside = IndexesSetAside.for_empty_tables(self.stderr, quiet=options["quiet"])
        try:
            writes = Writes.start(options["writers"], progress.update)
            try:
                for start in range(first, first + total, batch_size):
                    batch = {model: [] for model in COLUMNS}
                    for number in range(start, min(start + batch_size, first + total)):
                        rng = random.Random((seed << 32) | number)
                        add_delegation(batch, ids, number, rng.random, rng, world)
                    writes.put(batch)
            finally:
                writes.close()
            progress.finish()
        finally:
            aside.restore()
        counts.update(writes.counts)
        if not options["quiet"]:
            self.stderr.write("Building the event index of the new visits…")
        counts["EventTerm"] = eventindex.rebuild(after=last_id)

        elapsed = time.monotonic() - started
        rows = sum(counts.values())
        if options["verbosity"] > 0:
            numbers = f" ({VISIT_SLUG.format(first)} to {VISIT_SLUG.format(first + total - 1)})"
            self.stdout.write(
                f"Created {counts['Delegation']:,} delegations{numbers if total else ''} "
                f"and {rows:,} rows in all in {elapsed:.1f} s "
                f"({rows / max(elapsed, 1e-9):,.0f} rows/s)."
            )
            if options["verbosity"] > 1:
                for name, count in sorted(counts.items()):
                    self.stdout.write(f"  {name}: {count:,}")


def non_negative(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def next_visit_number():
    last = (
        Delegation.objects.filter(slug__regex=VISIT_SLUG_PATTERN)
        .order_by(Length("slug").desc(), "-slug")
        .values_list("slug", flat=True)
        .first()
    )
    return int(last.removeprefix("visit-")) + 1 if last else 1


def save_all(objects):
    """bulk_create a list of rows of one model; return {model name: count}."""
    if not objects:
        return {}
    model = type(objects[0])
    model.objects.bulk_create(objects)
    return {model.__name__: len(objects)}


# --- The world ----------------------------------------------------------------------------


def random_day(rng, first, last):
    return dt.date.fromordinal(rng.randint(first, last))


def entered(day, rand):
    """When a record about something on `day` was entered: within a month after it."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=86_400 + int(rand() * 29 * 86_400)
    )


def create_world(rng):
    """Create the reference records and the programmes; return the rows created per model."""
    now = {"created_at": WORLD_ENTERED, "updated_at": WORLD_ENTERED}
    counts = Counter()
    taken_slugs = set()

    def unique(slug):
        candidate, n = slug, 1
        while candidate in taken_slugs:
            n += 1
            candidate = f"{slug}-{n}"
        taken_slugs.add(candidate)
        return candidate

    # Places: each capital, and 2-4 sites inside it.
    capitals = {
        code: Place(
            name=capital, slug=f"{PREFIX}{code.lower()}-{slugify(capital)}",
            kind=Place.Kind.CITY, country=code, **now,
        )
        for code, _, capital, *_ in COUNTRIES
    }  # fmt: skip
    counts.update(save_all(list(capitals.values())))
    sites = []
    for code, _, capital, *_ in COUNTRIES:
        for name, kind in rng.sample(CITY_SITES, rng.randint(2, 4)):
            sites.append(
                Place(
                    name=f"{name}, {capital}",
                    slug=f"{PREFIX}{code.lower()}-{slugify(name)}",
                    kind=kind,
                    country=code,
                    parent=capitals[code],
                    address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {capital}",
                    **now,
                )
            )
    counts.update(save_all(sites))

    # Offices (a prosecution service and a ministry of justice per country), their units.
    offices = []
    for code, name, *_ in COUNTRIES:
        offices.append(
            Organization(
                name=PROSECUTION_NAMES.get(code, f"Prosecutor General's Office of {name}"),
                short_name="Prosecution service",
                slug=f"{PREFIX}{code.lower()}-prosecution",
                kind=PROSECUTION,
                country=code,
                website=f"{SOURCE_URL}{code.lower()}/prosecution/",
                **now,
            )
        )
        offices.append(
            Organization(
                name=f"Ministry of Justice of {name}",
                short_name="Ministry of Justice",
                slug=f"{PREFIX}{code.lower()}-justice",
                kind=MINISTRY,
                country=code,
                website=f"{SOURCE_URL}{code.lower()}/justice/",
                **now,
            )
        )
    counts.update(save_all(offices))
    units = []
    for office in offices:
        for unit_name, kind in rng.sample(OFFICE_STAFF[office.kind][3], rng.randint(1, 3)):
            units.append(
                Organization(
                    name=f"{unit_name} of {the(office.name)}",
                    short_name=unit_name,
                    slug=f"{office.slug}-{slugify(unit_name)}",
                    kind=kind,
                    country=office.country,
                    parent=office,
                    **now,
                )
            )
    counts.update(save_all(units))

    # Staff: a head, two deputies and 3-5 others per office, one or two per unit.
    country_names = {code: name for code, name, *_ in COUNTRIES}
    pool_of = {code: pool for code, _, _, pool, _ in COUNTRIES}
    language_of = {code: language for code, _, _, _, language in COUNTRIES}
    people, other_names, positions = [], [], []
    units_of = {}
    for unit in units:
        units_of.setdefault(unit.parent.slug, []).append(unit)

    def hire(organization, title, pool, language):
        first_names, surnames = NAME_POOLS[pool]
        first, first_native, gender = rng.choice(first_names)
        last, last_native = rng.choice(surnames)
        if gender == "f" and pool in FEMININE_SURNAMES:
            # Ivanov → Ivanova, Иванов → Иванова (a Cyrillic "а"), Əliyev → Əliyeva.
            cyrillic = SCRIPT_OF_POOL.get(pool) == PersonName.Script.CYRILLIC
            last, last_native = last + "a", (last_native or last) + ("а" if cyrillic else "a")
        parts = (last, first) if pool in FAMILY_NAME_FIRST else (first, last)
        native = (last_native or last, first_native or first)
        native = native if pool in FAMILY_NAME_FIRST else native[::-1]
        person = Person(
            name=" ".join(parts),
            slug=unique(f"{PREFIX}{slugify(' '.join(parts))}"),
            **now,
        )
        people.append(person)
        native_name = " ".join(native)
        if native_name != person.name:
            other_names.append(
                PersonName(
                    person=person,
                    name=native_name,
                    language=language,
                    script=SCRIPT_OF_POOL.get(pool, PersonName.Script.LATIN),
                    **now,
                )
            )
        start = random_day(rng, dt.date(1998, 1, 1).toordinal(), dt.date(2022, 12, 31).toordinal())
        end = None
        if rng.random() < 0.4:
            end = min(start + dt.timedelta(days=rng.randint(365, 3650)), dt.date(2026, 12, 31))
        positions.append(
            Position(
                person=person,
                organization=organization,
                title=title,
                start_date=start if rng.random() < 0.9 else None,
                end_date=end,
                **now,
            )
        )

    for office in offices:
        pool, language = pool_of[office.country], language_of[office.country]
        head, deputy, others, _ = OFFICE_STAFF[office.kind]
        hire(office, head, pool, language)
        for _ in range(2):
            hire(office, deputy, pool, language)
        for title in rng.sample(others, rng.randint(3, 5)):
            hire(office, title, pool, language)
        for unit in units_of[office.slug]:
            chief, member = UNIT_TITLES[unit.kind]
            hire(unit, chief.format(unit.short_name), pool, language)
            if rng.random() < 0.5:
                hire(unit, member.format(unit.short_name), pool, language)
    counts.update(save_all(people))
    counts.update(save_all(other_names))
    counts.update(save_all(positions))

    # Topics: broad ones, and the narrower ones under them.
    broad = {name: Topic(name=name, slug=f"{PREFIX}{slugify(name)}", **now) for name in TOPICS}
    counts.update(save_all(list(broad.values())))
    counts.update(
        save_all(
            [
                Topic(
                    name=name,
                    slug=f"{PREFIX}{slugify(name)}",
                    parent=parent,
                    description=f"{name}, a subject under {parent.name.lower()}.",
                    **now,
                )
                for parent_name, names in TOPICS.items()
                for parent in [broad[parent_name]]
                for name in names
            ]
        )
    )

    sources = [
        Source(
            title=f"{publisher}: reports on legal cooperation (synthetic)",
            publisher=publisher,
            url=f"{SOURCE_URL}{slugify(publisher)}/",
            published_on=dt.date(2024, 1 + index, 15),
            language=language,
            **now,
        )
        for index, (publisher, language) in enumerate(SOURCES)
    ]
    counts.update(save_all(sources))

    # Programmes between offices of the same kind in two countries, for 1-4 years.
    heads = {}
    for position in positions:
        if position.title == OFFICE_STAFF.get(position.organization.kind, ("",))[0]:
            heads.setdefault(position.organization.slug, position)
    by_kind = {kind: [o for o in offices if o.kind == kind] for kind in (PROSECUTION, MINISTRY)}
    programmes, parties, signatories, citations = [], [], [], []
    for number in range(1, PROGRAMMES_PER_COUNTRY * len(COUNTRIES) + 1):
        kind = PROSECUTION if rng.random() < 0.75 else MINISTRY
        first, second = rng.sample(by_kind[kind], 2)
        start_year = rng.randint(2000, 2024)
        end_year = min(start_year + rng.randint(0, 3), 2026)
        signed_on = random_day(
            rng, dt.date(start_year - 1, 9, 1).toordinal(), dt.date(start_year, 3, 31).toordinal()
        )
        created = entered(signed_on, rng.random)
        draft = rng.random() < DRAFT_SHARE
        period = f"{start_year}" if start_year == end_year else f"{start_year}–{end_year}"
        programme = CooperationProgram(
            title=f"Cooperation Programme between {the(first.name)} and {the(second.name)} "
            f"for {period}"[:255],
            slug=f"{PREFIX}programme-{number:04d}",
            start_year=start_year,
            end_year=end_year,
            signed_on=signed_on,
            signed_at=capitals[rng.choice((first, second)).country],
            summary=summary(rng.random, first.name, second.name, country_names[second.country], 2),
            status=rng.choice((Status.DRAFT, Status.IN_REVIEW)) if draft else Status.PUBLISHED,
            published_at=None if draft else created + dt.timedelta(days=rng.randint(0, 5)),
            created_at=created,
            updated_at=created,
        )
        programmes.append(programme)
        through = CooperationProgram.parties.through
        for order, party in enumerate((first, second)):
            parties.append(through(cooperationprogram=programme, organization=party))
            head = heads[party.slug]
            signatories.append(
                ProgramSignatory(
                    program=programme,
                    person=head.person,
                    organization=party,
                    title=head.title,
                    order=order,
                    created_at=created,
                    updated_at=created,
                )
            )
        citations.append(
            ProgramCitation(
                program=programme,
                source=rng.choice(sources),
                created_at=created,
                updated_at=created,
            )
        )
    counts.update(save_all(programmes))
    counts.update(save_all(parties))
    counts.update(save_all(signatories))
    counts.update(save_all(citations))
    return counts


def in_order(queryset, *fields):
    """values_list(*fields) sorted in Python by the fields (slugs first), not by the
    database: a collation other than C orders "syn-az-prosecution-…" differently, and the
    records drawn from the world must not depend on the database they are drawn for."""
    return sorted(queryset.values_list(*fields))


def load_world():
    """The synthetic world as the delegation generator needs it, read back from the database.

    Read back rather than kept from `create_world`, so that `--append` works on a world an
    earlier run made, and ordered by slug, so that the records do not depend on the ids.
    """
    synthetic = {"slug__startswith": PREFIX}
    orgs = in_order(
        Organization.objects.filter(**synthetic),
        *("slug", "id", "name", "short_name", "kind", "country", "parent_id"),
    )
    offices = {
        pk: Office(pk, country, name, kind, OFFICE_STAFF[kind][0])
        for _, pk, name, _, kind, country, parent in orgs
        if parent is None
    }
    office_of = {pk: pk for pk in offices}
    for _, pk, name, _, kind, _, parent in orgs:
        if parent is not None:
            offices[parent].units.append((pk, name, kind))
            office_of[pk] = parent
    positions = Position.objects.filter(organization__slug__startswith=PREFIX)
    for _, _, title, person, organization in in_order(
        positions, "person__slug", "organization__slug", "title", "person_id", "organization_id"
    ):
        office = offices[office_of[organization]]
        rank = 0 if title == office.head_title else 1 if title.startswith("Deputy") else 2
        office.staff.append((rank, person, title))
    for office in offices.values():
        office.staff.sort(key=lambda member: member[0])  # stable: by slug within a rank

    person_names = {
        pk: [name] for pk, name in Person.objects.filter(**synthetic).values_list("id", "name")
    }
    for person, name in (
        PersonName.objects.filter(person__slug__startswith=PREFIX)
        # The database's order, as person.other_names.all() gives it to search_document().
        .order_by("person", "language", "name")
        .values_list("person_id", "name")
    ):
        person_names[person].append(name)

    places = in_order(
        Place.objects.filter(**synthetic),
        *("slug", "id", "name", "country", "parent_id", "parent__name"),
    )
    country_names = {code: name for code, name, *_ in COUNTRIES}
    countries = {
        country: Country(country, country_names.get(country, country), (pk, name), [])
        for _, pk, name, country, parent, _ in places
        if parent is None
    }
    for _, pk, name, country, parent, _ in places:
        if parent is not None:
            countries[country].sites.append((pk, name))

    topics = [
        (pk, name, parent)
        for _, pk, name, parent in in_order(
            Topic.objects.filter(**synthetic, parent__isnull=False),
            *("slug", "id", "name", "parent_id"),
        )
    ]
    siblings = {}
    for pk, _, parent in topics:
        siblings.setdefault(parent, []).append(pk)

    through = CooperationProgram.parties.through
    parties, signatories = {}, {}
    for _, _, programme, organization in in_order(
        through.objects.filter(cooperationprogram__slug__startswith=PREFIX),
        *("cooperationprogram__slug", "organization__slug"),
        *("cooperationprogram_id", "organization_id"),
    ):
        parties.setdefault(programme, []).append(offices[organization])
    for programme, person in (
        ProgramSignatory.objects.filter(program__slug__startswith=PREFIX)
        .order_by("program", "order", "id")  # as program.signatories.all() lists them
        .values_list("program_id", "person_id")
    ):
        signatories.setdefault(programme, []).append(person)
    programmes = [
        Programme(
            pk,
            tuple(parties[pk][:2]),
            dt.date(start_year, 1, 1).toordinal(),
            dt.date(end_year, 12, 31).toordinal(),
            status == PUBLISHED,
            title,
            signatories.get(pk, []),
        )
        for _, pk, start_year, end_year, status, title in in_order(
            CooperationProgram.objects.filter(**synthetic),
            *("slug", "id", "start_year", "end_year", "status", "title"),
        )
        if len(parties.get(pk, ())) >= 2
    ]
    sources = [
        pk for _, pk in in_order(Source.objects.filter(url__startswith=SOURCE_URL), "url", "id")
    ]
    world = World(
        offices=list(offices.values()),
        countries=countries,
        programmes=programmes,
        topics=topics,
        siblings=siblings,
        sources=sources,
        organization_names={pk: (name, short) for _, pk, name, short, *_ in orgs},
        person_names=person_names,
        place_names={pk: (name, parent or "") for _, pk, name, _, _, parent in places},
        topic_names={pk: name for pk, name, _ in topics},
    )
    if not (world.offices and world.topics and world.sources) or any(
        not office.staff or office.country not in countries for office in world.offices
    ):
        raise CommandError(
            "The synthetic world (records whose slugs start with 'syn-') is incomplete; "
            "remove it or start from an empty database."
        )
    return world


# --- Delegations --------------------------------------------------------------------------

# Drawing helpers take `rand`, a Random's random(): these run millions of times, and
# indexing with rand() costs a fraction of Random.choice()/randint()/choices().


def pick(rand, items):
    return items[int(rand() * len(items))]


def between(rand, low, high):
    """A whole number from low to high, both included."""
    return low + int(rand() * (high - low + 1))


def noun_phrase(rand):
    noun = NOUNS[bisect(NOUN_WEIGHTS, rand() * NOUN_WEIGHTS[-1])]
    if rand() < 0.6:
        return f"{ADJECTIVES[bisect(ADJECTIVE_WEIGHTS, rand() * ADJECTIVE_WEIGHTS[-1])]} {noun}"
    return noun


def fill(rand, template, **names):
    while "{np}" in template:
        template = template.replace("{np}", noun_phrase(rand), 1)
    return template.format(**names) if names else template


def summary(rand, sender, host, country, sentences):
    sender, host = the(sender), the(host)
    return " ".join(
        fill(rand, pick(rand, SENTENCES), sender=sender, host=host, country=country)
        for _ in range(sentences)
    )


WorkshopTopic = Workshop.topics.through

# The columns each generated row fills, in order (attribute names). Rows that other new rows
# refer to carry their id; the others get theirs from the database.
COLUMNS = {
    Delegation: (
        "id", "slug", "title", "sending_organization_id", "host_organization_id", "program_id",
        "visit_type", "start_date", "end_date", "date_basis", "location_id", "purpose",
        "summary", "status", "published_at", "created_at", "updated_at", "search_text",
    ),
    Meeting: (
        "id", "delegation_id", "slug", "title", "date", "order", "summary", "place_id",
        "host_organization_id", "created_at", "updated_at",
    ),
    Workshop: (
        "id", "delegation_id", "slug", "title", "date", "order", "summary", "place_id",
        "created_at", "updated_at",
    ),
    SiteVisit: (
        "delegation_id", "slug", "title", "date", "order", "summary", "place_id",
        "created_at", "updated_at",
    ),
    MeetingParticipant: (
        "meeting_id", "person_id", "organization_id", "side", "role", "order",
        "created_at", "updated_at",
    ),
    WorkshopTopic: ("workshop_id", "topic_id"),
    DelegationMember: (
        "delegation_id", "person_id", "role", "is_head", "order", "created_at",
        "updated_at",
    ),
    DelegationCitation: (
        "delegation_id", "source_id", "quotation", "order", "created_at", "updated_at",
    ),
}  # fmt: skip

# Delegation.search_vector as `update_search_vector()` computes it (models.search_title),
# for the rows moved in from the staging table (tests/test_generate_records.py checks that
# the two agree).
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector(%(config)s::regconfig, "
    f"translate(concat_ws(' ', {', '.join(f'title_{code}' for code in codes())}), 'əƏ', 'ee')"
    "), 'A') || "
    "setweight(to_tsvector(%(config)s::regconfig, COALESCE(search_text, '')), 'B')"
)
STAGING_TABLE = "generate_records_delegation"


class IndexesSetAside:
    """On PostgreSQL, when the tables written start empty: their secondary indexes dropped
    for the load and made again after it.

    Maintaining a dozen btree indexes and the GIN index of the search vector row by row is
    most of a load's time; building each once over the loaded rows is several times faster.
    Primary keys and the indexes behind constraints (unique slugs) stay, so a load still
    refuses what it always refused. The definitions are PostgreSQL's own
    (pg_get_indexdef), so the indexes come back exactly as the migrations made them, and
    `restore()` runs in a `finally`: an error or Ctrl-C half-way still leaves every index
    in place.
    """

    QUERY = """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
    """

    def __init__(self, definitions, stderr, quiet):
        self.definitions = definitions
        self.stderr = stderr
        self.quiet = quiet

    @classmethod
    def for_empty_tables(cls, stderr, quiet):
        definitions = []
        if connection.vendor == "postgresql" and not any(
            model._base_manager.exists() for model in COLUMNS
        ):
            with connection.cursor() as cursor:
                for model in COLUMNS:
                    cursor.execute(cls.QUERY, [model._meta.db_table])
                    definitions += cursor.fetchall()
                for name, _ in definitions:
                    cursor.execute(f"DROP INDEX {name}")
        return cls(definitions, stderr, quiet)

    def restore(self):
        if not self.definitions:
            return
        if not self.quiet:
            self.stderr.write(f"Building {len(self.definitions)} indexes over the new rows…")
        # Inside a transaction (a test's), foreign keys checked at commit would leave
        # trigger events pending, which CREATE INDEX refuses: check them now.
        connection.check_constraints()
        with connection.cursor() as cursor:
            for _, definition in self.definitions:
                cursor.execute(definition)
            for model in COLUMNS:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.definitions = []


def check_columns():
    """Stop before writing anything when a model has a required field this command does not
    fill (a field added since it was written): COPY would fail on it half-way."""
    for model, columns in COLUMNS.items():
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        missing = [
            name
            for name, f in fields.items()
            if name not in columns
            and not (f.null or f.primary_key)  # the database fills in an id
            and f.db_default is NOT_PROVIDED
        ]
        if unknown or missing:
            raise CommandError(
                f"generate_records is out of date with {model.__name__}: "
                f"unknown columns {sorted(unknown)}, required columns not filled {missing}."
            )


def uses_copy():
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3  # psycopg2's COPY reads a file, not rows


class Ids:
    """Primary keys for new delegations, meetings and workshops, which other new rows refer
    to, reserved from the database a block at a time. (Rows that nothing refers to get
    theirs from the database as they go in.)

    On PostgreSQL they come from the tables' own sequences, so rows added later (through
    the admin) do not collide. Elsewhere they follow the highest id in the table: a
    development database has no concurrent writer.
    """

    def __init__(self, delegations):
        # A block lasts about a batch.
        self.block = {Delegation: delegations, Meeting: 3 * delegations, Workshop: 2 * delegations}
        self.pending = {model: iter(()) for model in self.block}
        self.last = {}

    def __call__(self, model):
        pk = next(self.pending[model], None)
        if pk is None:
            self.pending[model] = iter(self.reserve(model, self.block[model]))
            pk = next(self.pending[model])
        return pk

    def reserve(self, model, count):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s)::regclass)) "
                    "FROM generate_series(1, %s)",
                    [model._meta.db_table, model._meta.pk.column, count],
                )
                return cursor.fetchone()[0]
        if model not in self.last:
            self.last[model] = model._base_manager.aggregate(last=Max("pk"))["last"] or 0
        first = self.last[model] + 1
        self.last[model] += count
        return range(first, first + count)


def write_batch(batch):
    """Write one batch of rows in one transaction; return the rows written per model.

    On PostgreSQL the rows go in with COPY: bulk_create spends most of its time preparing
    each field of each row in Python, and was three times slower here. Delegations go
    through a staging table, so that their search vector is computed as they move in
    instead of by an UPDATE that would write each row (and its ten indexes) twice.
    Elsewhere rows go in with bulk_create.
    """
    counts = Counter()
    copy = uses_copy()
    with transaction.atomic():
        if copy:
            with connection.cursor() as cursor:
                # Losing the last batches in a crash costs nothing here; waiting for each
                # commit to reach the disk would.
                cursor.execute("SET LOCAL synchronous_commit = off")
        for model, rows in batch.items():
            if not rows:
                continue
            if not copy:
                columns = COLUMNS[model]
                model._base_manager.bulk_create(
                    [model(**dict(zip(columns, row, strict=True))) for row in rows]
                )
            elif model is Delegation:
                copy_delegations(rows)
            else:
                copy_rows(model._meta.db_table, model, rows)
            counts[model.__name__] += len(rows)
    # Rows written without save() send no signal: tell the page cache itself (after the
    # commit, so that concurrent writers do not queue on the counter's row).
    registry_version.bump()
    # With DEBUG on, Django keeps the SQL of every query: memory would grow with N.
    reset_queries()
    return counts


def language_copies(model):
    """The language columns a COPY of `model`'s rows fills besides COLUMNS: (column, the
    position in a row of the English text it copies, or None for "" in other languages).

    The generated words are English; the other languages start empty, as the models'
    defaults leave them (bulk_create gets both from the models themselves).
    """
    names = COLUMNS[model]
    return [
        (field.attname, names.index(original) if field.language == DEFAULT else None)
        for field in language_columns(model)
        if (original := field.translated_field.name) in names
    ]


def column_list(model):
    quote = connection.ops.quote_name
    names = [*COLUMNS[model], *(name for name, _ in language_copies(model))]
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def copy_rows(table, model, rows):
    statement = f"COPY {connection.ops.quote_name(table)} ({column_list(model)}) FROM STDIN"
    copies = [position for _, position in language_copies(model)]
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *("" if at is None else row[at] for at in copies)))


def copy_delegations(rows):
    table = connection.ops.quote_name(Delegation._meta.db_table)
    columns = column_list(Delegation)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} "
            f"(LIKE {table} INCLUDING DEFAULTS)"
        )
        copy_rows(STAGING_TABLE, Delegation, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, search_vector) "
            f"SELECT {columns}, {SEARCH_VECTOR_SQL} FROM {STAGING_TABLE} ORDER BY id",
            {"config": SEARCH_CONFIG},
        )
        # Emptied here rather than on commit: all batches may share one transaction.
        cursor.execute(f"TRUNCATE {STAGING_TABLE}")


class Writes:
    """Where batches go: written at once, or handed to writer threads.

    On PostgreSQL, outside a transaction, `count` threads write batches (each thread with
    its own connection, each batch in its own transaction) while the main thread draws the
    next one. Writing (PostgreSQL's work) takes several times as long as drawing, so two
    writers keep two cores busy. Batches are independent (their ids are reserved
    beforehand and they refer only to the world and to themselves), so they may commit in
    any order.
    """

    def __init__(self, report):
        self.report = report  # called with the number of delegations committed so far
        self.done = 0
        self.counts = Counter()

    @classmethod
    def start(cls, count, report):
        if count and connection.vendor == "postgresql" and not connection.in_atomic_block:
            return ThreadedWrites(count, report)
        return cls(report)

    def put(self, batch):
        self.record(write_batch(batch))

    def record(self, counts):
        self.counts.update(counts)
        self.done += counts["Delegation"]
        self.report(self.done)

    def close(self):
        pass


class ThreadedWrites(Writes):
    def __init__(self, count, report):
        super().__init__(report)
        # One batch waits while the threads write theirs: memory holds count + 2 batches.
        self.queue = queue.Queue(maxsize=1)
        self.lock = threading.Lock()
        self.error = None
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def work(self):
        try:
            while (batch := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # keep taking batches, so that put() never blocks for good
                try:
                    counts = write_batch(batch)
                except BaseException as error:  # handed to the main thread
                    self.error = error
                    continue
                with self.lock:
                    self.record(counts)
        finally:
            connection.close()  # this thread's own connection

    def put(self, batch):
        self.raise_error()
        self.queue.put(batch)

    def close(self):
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        self.raise_error()

    def raise_error(self):
        if self.error is not None:
            raise self.error


def add_delegation(batch, ids, number, rand, rng, world):
    """Add delegation `number` and everything in it to `batch`, drawn from `rng` alone
    (`rand` is its random())."""
    if world.programmes and rand() < PROGRAMME_SHARE:
        programme = pick(rand, world.programmes)
        sending, host = programme.parties
        if rand() < 0.5:
            sending, host = host, sending
        first_day = max(programme.first_day, FIRST_DAY)
        last_day = min(programme.last_day, LAST_DAY)
    else:
        programme, first_day, last_day = None, FIRST_DAY, LAST_DAY
        sending = pick(rand, world.offices)
        host = pick(rand, world.offices)
        while host.country == sending.country:
            host = pick(rand, world.offices)
    sending_id = sending.id
    if sending.units and rand() < 0.1:
        sending_id = pick(rand, sending.units)[0]
    country = world.countries[host.country]
    host_name = the(host.name)

    start = dt.date.fromordinal(between(rand, first_day, last_day))
    end = start + dt.timedelta(days=between(rand, 1, 5)) if rand() < 0.85 else None
    basis = REPORTED if end is None and rand() < 0.4 else BY_VISIT
    created = entered(start, rand)
    updated = created + dt.timedelta(seconds=int(rand() * 10 * 86_400))
    status, published_at = PUBLISHED, created + dt.timedelta(hours=between(rand, 1, 72))
    if rand() < DRAFT_SHARE:
        status, published_at = pick(rand, DRAFTS), None

    visit_type = VISIT_TYPES[bisect(VISIT_TYPE_WEIGHTS, rand() * VISIT_TYPE_WEIGHTS[-1])]
    visit_title = VISIT_TITLES[visit_type].format(
        sender=the(sending.name), host=host_name, country=country.name, city=country.capital[1]
    )
    if rand() < 0.5:
        visit_title = f"{visit_title} on {noun_phrase(rand)}"
    visit_title = visit_title[:255]
    location = country.capital[0] if rand() < 0.7 else pick(rand, country.sites)[0]
    purpose = fill(rand, pick(rand, PURPOSES), host=host_name)
    text = summary(rand, sending.name, host.name, country.name, between(rand, 2, 4))
    delegation = ids(Delegation)

    # The search text, part by part in the order Delegation.search_document() reads them.
    names = world.organization_names
    parts = [visit_title, text, purpose, *names[sending_id], *names[host.id]]
    parts += world.place_names[location]
    meeting_parts, workshop_parts, site_visit_parts = [], [], []
    places = {"m": [], "w": [], "s": []}

    # Members: 1-4 of the sending office's staff, the most senior one at the head.
    # (Staff are listed most senior first, so sorting the drawn positions ranks them.)
    staff = sending.staff
    picks = sorted(rng.sample(range(len(staff)), min(between(rand, 1, 4), len(staff))))
    members = [staff[index] for index in picks]
    people = [person for _, person, _ in members]
    if programme and programme.published:
        parts.append(programme.title)
        people += programme.signatories
    headed = rand() < 0.95
    member_rows = batch[DelegationMember]
    for order, (_, person, role) in enumerate(members):
        is_head = headed and order == 0
        member_rows.append((delegation, person, role, is_head, order, created, updated))
    quotation = fill(rand, pick(rand, ACTIVITY_SENTENCES)) if rand() < 0.2 else ""
    source = pick(rand, world.sources)
    batch[DelegationCitation].append((delegation, source, quotation, 0, created, updated))

    # Activities: dated within the visit (some dates unknown), ordered by date.
    last = end or start + dt.timedelta(days=between(rand, 0, 2))
    span = (last - start).days + 1
    kinds = [pick(rand, "mmmmwwwsss") for _ in range(between(rand, 3, 8))]
    dates = sorted(
        (start + dt.timedelta(days=int(rand() * span)) if rand() < 0.92 else None for _ in kinds),
        # Undated first, as the timeline shows them.
        key=lambda day: (day is not None, day),
    )
    counters = {"m": 0, "w": 0, "s": 0}
    host_staff = host.staff
    for order, (kind, day) in enumerate(zip(kinds, dates, strict=True)):
        counters[kind] += 1
        about = fill(rand, pick(rand, ACTIVITY_SENTENCES)) if rand() < 0.85 else ""
        place = pick(rand, country.sites)[0] if rand() < 0.5 else None
        if kind == "m":
            unit = pick(rand, host.units) if host.units and rand() < 0.4 else None
            if unit is None:
                title = (
                    f"Talks at {host_name}" if rand() < 0.5 else f"Welcome by the {host.head_title}"
                )
            elif unit[2] == COUNCIL:
                title = f"Session of the {unit[1]}"
            else:
                title = f"Meeting at the {unit[1]}"
            title = title[:255]
            host_organization = unit[0] if unit else host.id
            meeting = ids(Meeting)
            batch[Meeting].append(
                (
                    meeting,
                    delegation,
                    f"meeting-{counters[kind]}",
                    title,
                    day,
                    order,
                    about,
                    place,
                    host_organization,
                    created,
                    updated,
                )
            )
            meeting_parts += (title, about, names[host_organization][0])
            candidates = [(host_staff[0][1], None, HOST, pick(rand, ROLES_HOST))]
            if headed:
                candidates.append((members[0][1], None, VISITING, ROLES_VISITING[0]))
            if unit:
                candidates.append((None, unit[0], HOST, "took part in the talks"))
            if len(host_staff) > 1:
                other = host_staff[1 + int(rand() * (len(host_staff) - 1))]
                candidates.append((other[1], None, HOST, pick(rand, ROLES_HOST)))
            if len(members) > 1:
                candidates.append((members[-1][1], None, VISITING, ROLES_VISITING[1]))
            chosen = rng.sample(candidates, min(between(rand, 1, 3), len(candidates)))
            participant_rows = batch[MeetingParticipant]
            for position, (person, organization, side, role) in enumerate(chosen):
                participant_rows.append(
                    (
                        meeting,
                        person,
                        organization,
                        side,
                        role,
                        position,
                        created,
                        updated,
                    )
                )
                if person:
                    people.append(person)
                if organization:
                    meeting_parts.append(names[organization][0])
        elif kind == "w":
            main, name, parent = pick(rand, world.topics)
            topics = [main]
            for _ in range(between(rand, 0, 2)):
                related = world.siblings[parent] if rand() < 0.7 else None
                topic = pick(rand, related) if related else pick(rand, world.topics)[0]
                if topic not in topics:
                    topics.append(topic)
            workshop = ids(Workshop)
            title = f"Workshop on {sentence_case(name)}"
            batch[Workshop].append(
                (
                    workshop,
                    delegation,
                    f"workshop-{counters[kind]}",
                    title,
                    day,
                    order,
                    about,
                    place,
                    created,
                    updated,
                )
            )
            topic_rows = batch[WorkshopTopic]
            for topic in topics:
                topic_rows.append((workshop, topic))
            workshop_parts += (title, about, *sorted(world.topic_names[t] for t in topics))
        else:
            place, name = pick(rand, country.sites)
            title = f"Visit to the {name}"[:255]
            batch[SiteVisit].append(
                (
                    delegation,
                    f"site-visit-{counters[kind]}",
                    title,
                    day,
                    order,
                    about,
                    place,
                    created,
                    updated,
                )
            )
            site_visit_parts += (title, about)
        if place:
            places[kind].append(world.place_names[place][0])

    parts += meeting_parts
    for person in people:
        parts += world.person_names[person]
    parts += workshop_parts
    parts += places["m"] + places["w"] + places["s"]
    parts += site_visit_parts
    search_text = fold(" ".join(dict.fromkeys(part for part in parts if part)))
    batch[Delegation].append(
        (
            delegation,
            VISIT_SLUG.format(number),
            visit_title,
            sending_id,
            host.id,
            programme.id if programme else None,
            visit_type,
            start,
            end,
            basis,
            location,
            purpose,
            text,
            status,
            published_at,
            created,
            updated,
            search_text,
        )
    )


# --- Progress -----------------------------------------------------------------------------


class Progress:
    """A progress bar with an ETA on stderr: one line rewritten in place on a terminal, a
    line per tenth of the work otherwise (a log file)."""

    WIDTH = 30

    def __init__(self, stream, total, enabled=True):
        self.stream = stream
        self.total = total
        self.enabled = enabled and total > 0
        self.tty = self.enabled and stream.isatty()
        self.started = time.monotonic()
        self.next_tenth = 1
        self.done = 0

    def update(self, done):
        self.done = done
        if not self.enabled:
            return
        if self.tty:
            self.write("\r" + self.line() + "\x1b[K")
        elif done * 10 >= self.next_tenth * self.total:
            self.write(self.line() + "\n")
            self.next_tenth = done * 10 // self.total + 1

    def finish(self):
        if self.tty:
            self.write("\n")

    def line(self):
        elapsed = time.monotonic() - self.started
        share = self.done / self.total
        rate = self.done / elapsed if elapsed > 0 else 0
        eta = (self.total - self.done) / rate if rate else 0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return (
            f"[{bar}] {self.done:,}/{self.total:,} delegations {share:4.0%}  "
            f"{rate:,.0f}/s  elapsed {clock(elapsed)}  ETA {clock(eta)}"
        )

    def write(self, text):
        self.stream.write(text, style_func=str, ending="")
        self.stream.flush()


def clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
