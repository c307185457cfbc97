"""Titles and the slugs the registry makes of them, shared by the Python rule's tests
(tests/test_slugs.py) and the admin script's (tests/browser/test_nested_entry.py), so the
two rules cannot drift apart."""

PROGRAMME = (
    "Cooperation Programme between the Prosecutor General's Office of the Republic of "
    "Azerbaijan and the Prosecutor General's Office of the Russian Federation on the "
    "exchange of experience in combating transnational organised crime for 2021-2023"
)

# (text, max_length, slug)
CASES = [
    ("Working visit to Baku", 200, "working-visit-to-baku"),
    ("  Şəki, Gəncə & Lənkəran: talks  ", 200, "seki-gence-lenkeran-talks"),
    ("Visit of the Straße-Øresund delegation", 200, "visit-of-the-strasse-oresund-delegation"),
    # Cut at a word, the range of years kept.
    (
        PROGRAMME,
        200,
        "cooperation-programme-between-the-prosecutor-generals-office-of-the-republic-of-"
        "azerbaijan-and-the-prosecutor-generals-office-of-the-russian-federation-on-the-"
        "exchange-of-experience-in-2021-2023",
    ),
    (
        PROGRAMME,
        120,
        "cooperation-programme-between-the-prosecutor-generals-office-of-the-republic-of-"
        "azerbaijan-and-the-prosecutor-2021-2023",
    ),
    # A single year is kept the same way.
    ("Working visit of the Russian prosecutors to Baku 2023", 30, "working-visit-of-the-2023"),
    # No years at the end: only the cut at a word.
    ("Working visit of the Russian prosecutors to Baku", 30, "working-visit-of-the-russian"),
    # A cut that falls exactly between two words keeps both.
    ("alpha beta gamma", 10, "alpha-beta"),
    # One word longer than the room: there is no boundary to cut at.
    ("Supercalifragilisticexpialidocious", 10, "supercalif"),
    # The years alone, when nothing else fits.
    ("Extraordinarily 2021-2023", 10, "2021-2023"),
]
