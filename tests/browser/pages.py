"""Every public page type, as the HTML checker and the browser tests visit them.

Each entry is (name, URL, expected status). The URLs are the literal public ones of
docs/architecture.md, over the Baku fixture (`fixtures/baku_2023.json`).
"""

EVENT_URL = "/events/russian-prosecutors-working-visit-baku-2023/"
PROGRAM_URL = "/programs/azerbaijan-russia-prosecutors-cooperation-program-2021-2023/"
PERSON_URL = "/people/erkin-alikhanov/"

PAGES = [
    ("home", "/", 200),
    ("event-list", "/events/", 200),
    ("event-list-filtered", "/events/?topic=asset-recovery&year=2023", 200),
    ("event-list-empty", "/events/?year=1999", 200),
    ("event-list-bad-filter", "/events/?date_from=2023-13-45", 400),
    # Every value of one facet, for the filters of the list it came from.
    ("event-facet", "/events/facets/organization/?topic=asset-recovery", 200),
    # A name typed without the autocomplete that two records begin with: links to both.
    ("event-list-name-choices", "/events/?organization=Prosecutor+General", 400),
    ("event", EVENT_URL, 200),
    ("program-list", "/programs/", 200),
    ("program", PROGRAM_URL, 200),
    ("organization", "/organizations/prosecutor-generals-office-azerbaijan/", 200),
    ("person", PERSON_URL, 200),
    ("topic", "/topics/asset-recovery/", 200),
    ("place", "/places/baku/", 200),
    ("countries", "/countries/", 200),
    ("country", "/countries/az/", 200),
]
