"""The admin pages staff work in, as the HTML checker (tests/test_html_valid.py) and axe
(tests/browser/test_admin_accessibility.py) visit them: the sign-in page, and the
changelist, the add form and a record's change form of the visit, the programme and the
reference records a visit names.

A record's address holds its key, which the database gives when the fixture is loaded: the
pages are named here by model and slug, and `admin_pages()` reads the keys.
"""

from django.urls import reverse

from cooperation.models import (
    CooperationProgram,
    Delegation,
    Occasion,
    Organization,
    Person,
    Place,
    Series,
    Topic,
)

# The Baku fixture's records (fixtures/baku_2023.json), and an occasion it has none of.
VISIT_SLUG = "russian-prosecutors-working-visit-baku-2023"
OCCASION_SLUG = "35th-session-coordination-council-of-prosecutors-general-cis"
RECORDS = [
    (Delegation, VISIT_SLUG),
    (CooperationProgram, "azerbaijan-russia-prosecutors-cooperation-program-2021-2023"),
    (Organization, "prosecutor-generals-office-azerbaijan"),
    (Person, "erkin-alikhanov"),
    (Place, "baku"),
    (Topic, "asset-recovery"),
    (Occasion, OCCASION_SLUG),
]


def add_occasion():
    """A numbered session of a series, as fixtures/cis_council_dushanbe_2025.json holds it."""
    series = Series.objects.create(
        slug="sessions-coordination-council-of-prosecutors-general-cis",
        name="Sessions of the Coordination Council of Prosecutors General of the CIS member states",
    )
    return Occasion.objects.create(
        slug=OCCASION_SLUG,
        name="35th session of the Coordination Council of Prosecutors General of the CIS "
        "member states",
        name_ru="35-е заседание Координационного совета генеральных прокуроров государств — "
        "участников СНГ",
        kind=Occasion.Kind.SESSION,
        series=series,
        number=35,
    )


def admin_pages():
    """(name, address) of each admin page, the records' keys read from the database."""
    pages = [("admin-login", reverse("admin:login"))]
    for model, slug in RECORDS:
        opts = model._meta
        name = f"admin-{opts.model_name}"
        key = model.objects.values_list("pk", flat=True).get(slug=slug)
        pages += [
            (f"{name}-list", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")),
            (f"{name}-add", reverse(f"admin:{opts.app_label}_{opts.model_name}_add")),
            (
                f"{name}-change",
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[key]),
            ),
        ]
    return pages


# The names, known before any database is (the tests are parametrized by them).
ADMIN_PAGE_NAMES = ["admin-login"] + [
    f"admin-{model._meta.model_name}-{page}"
    for model, _ in RECORDS
    for page in ("list", "add", "change")
]
