"""A fixture loads whole or not at all, says which record is at fault, and can be checked
without loading it (`check_fixture`).

Broken fixtures are built from the real Baku fixture. Each also renames the first record,
so a load that stopped half way would show in the database even when every record was
already there. The tests run with `transaction=True`: loaddata's transaction then commits
or rolls back for real, and "the database as it was" is every row of every table: records,
their history, the event index and the page-cache version.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection
from simple_history.utils import get_history_model_for_model

from cooperation.models import Delegation, EventTerm, Organization

FIXTURE_PATH = settings.BASE_DIR / "fixtures" / "baku_2023.json"
VISIT = "russian-prosecutors-working-visit-baku-2023"
SOURCE_URL = "https://en.trend.az/azerbaijan/politics/3838081.html"


def every_row():
    """Every row of every table of the database, table by table."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = sorted(repr(row) for row in cursor.fetchall())
    return rows


def fixture_records():
    records = json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))
    records[0]["fields"]["name_en"] = "Renamed by a broken fixture"
    return records


def position_of(records, model, **fields):
    """The position (from 1) of the one record of `model` with these field values."""
    found = [
        position
        for position, record in enumerate(records, start=1)
        if record["model"] == model
        and all(record["fields"].get(name) == value for name, value in fields.items())
    ]
    assert len(found) == 1, found
    return found[0]


# Each defect returns the fixture's text and what an error message must say about it.


def last_record_has_an_impossible_date(records):
    records[-1]["fields"]["created_at"] = "2026-02-30T12:00:00Z"
    key = json.dumps([VISIT, "historical-and-cultural-monuments-of-baku", SOURCE_URL])
    return json.dumps(records), [f"record {len(records)} (cooperation.sitevisitcitation {key})"]


def last_record_has_a_word_for_a_number(records):
    records[-1]["fields"]["order"] = "first"
    return json.dumps(records), [f"record {len(records)} (cooperation.sitevisitcitation", "first"]


def host_is_unknown(records):
    position = position_of(records, "cooperation.delegation", slug=VISIT)
    records[position - 1]["fields"]["host_organization"] = ["no-such-office"]
    return json.dumps(records), [
        f'record {position} (cooperation.delegation ["{VISIT}"])',
        'host_organization refers to cooperation.organization ["no-such-office"]',
    ]


def programme_is_unknown(records):
    # An optional reference: loaddata waits for the record to come further down the file.
    position = position_of(records, "cooperation.delegation", slug=VISIT)
    records[position - 1]["fields"]["program"] = ["no-such-programme"]
    return json.dumps(records), [
        f'record {position} (cooperation.delegation ["{VISIT}"])',
        'program refers to cooperation.cooperationprogram ["no-such-programme"]',
    ]


def meetings_visit_is_unknown(records):
    # The meeting's own natural key goes through the unknown visit.
    position = position_of(records, "cooperation.meeting", slug="welcome")
    records[position - 1]["fields"]["delegation"] = ["no-such-visit"]
    return json.dumps(records), [
        f'record {position} (cooperation.meeting ["no-such-visit", "welcome"])',
        'delegation refers to cooperation.delegation ["no-such-visit"]',
    ]


def parent_is_an_unknown_id(records):
    # A reference written as a primary key: only the database's final check finds it.
    position = position_of(records, "cooperation.organization", parent=None, country="RU")
    records[position - 1]["fields"]["parent"] = 999999
    return json.dumps(records), [
        f'record {position} (cooperation.organization ["prosecutor-generals-office-russia"])',
        "999999",
    ]


def visit_ends_before_it_starts(records):
    position = position_of(records, "cooperation.delegation", slug=VISIT)
    records[position - 1]["fields"]["end_date"] = "2023-12-14"
    return json.dumps(records), [
        f'record {position} (cooperation.delegation ["{VISIT}"])',
        "A visit cannot end before it starts.",
    ]


def slug_is_taken(records):
    # A record that gives its own primary key is not matched by its natural key: it is
    # a second person with the first one's slug.
    records.append(
        {
            "model": "cooperation.person",
            "pk": 999999,
            "fields": {"slug": "kamran-aliyev", "name": "Another Kamran Aliyev"},
        }
    )
    return json.dumps(records), [f'record {len(records)} (cooperation.person ["kamran-aliyev"])']


def model_is_unknown(records):
    position = len(records) // 2 + 1
    records.insert(position - 1, {"model": "cooperation.nosuchrecord", "fields": {}})
    return json.dumps(records), [
        f"record {position} (cooperation.nosuchrecord)",
        "cooperation.nosuchrecord",
    ]


def json_is_truncated(records):
    text = json.dumps(records, indent=2)
    truncated = text[: len(text) // 2]
    return truncated, [f"is not valid JSON (line {truncated.count(chr(10)) + 1}, column"]


DEFECTS = {
    "last record: impossible date": last_record_has_an_impossible_date,
    "last record: wrong type": last_record_has_a_word_for_a_number,
    "unknown required reference": host_is_unknown,
    "unknown optional reference": programme_is_unknown,
    "unknown reference in a natural key": meetings_visit_is_unknown,
    "unknown primary key reference": parent_is_an_unknown_id,
    "check constraint": visit_ends_before_it_starts,
    "duplicate slug": slug_is_taken,
    "unknown model": model_is_unknown,
    "truncated JSON": json_is_truncated,
}

# What `check_fixture` says besides, where model validation finds the problem before the
# database would.
CHECK_SAYS = {"duplicate slug": "Person with this Slug already exists."}


@pytest.fixture(params=["empty database", "Baku loaded"])
def starting_point(request, transactional_db):
    if request.param == "Baku loaded":
        call_command("loaddata", "baku_2023", verbosity=0)
    return request.param


def broken_fixture(tmp_path, defect):
    text, says = DEFECTS[defect](fixture_records())
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    return path, says


# --- loaddata -----------------------------------------------------------------------------


@pytest.mark.parametrize("defect", DEFECTS)
def test_broken_fixture_is_refused_naming_the_record_and_changes_nothing(
    tmp_path, starting_point, defect
):
    path, says = broken_fixture(tmp_path, defect)
    before = every_row()

    with pytest.raises(CommandError) as refused:
        call_command("loaddata", str(path), verbosity=0)

    message = str(refused.value)
    assert str(path) in message
    for words in says:
        assert words in message
    assert every_row() == before


def test_failed_load_leaves_no_history_and_no_event_index(tmp_path, transactional_db):
    path, _ = broken_fixture(tmp_path, "last record: impossible date")

    with pytest.raises(CommandError):
        call_command("loaddata", str(path), verbosity=0)

    assert not Delegation.objects.exists()
    assert not get_history_model_for_model(Organization).objects.exists()
    assert not get_history_model_for_model(Delegation).objects.exists()
    assert not EventTerm.objects.exists()


def test_loaddata_from_the_command_line_prints_the_record_and_exits_non_zero(
    tmp_path, transactional_db, capsys
):
    path, says = broken_fixture(tmp_path, "check constraint")

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "loaddata", str(path)]).execute()

    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert "CommandError" in error
    assert says[0] in error
    assert "Traceback" not in error


# --- check_fixture ------------------------------------------------------------------------


def check(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("check_fixture", str(path), stdout=out, stderr=err)
    return out.getvalue()


def test_the_baku_fixture_checks_clean_and_nothing_is_written(starting_point):
    before = every_row()

    said = check(FIXTURE_PATH)

    assert "57 record(s), no problems" in said
    assert every_row() == before


def test_a_record_may_refer_to_one_further_down_the_file(tmp_path, transactional_db):
    records = json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))
    # The departments first, their office after them.
    records[:4] = records[2:4] + records[:2]
    path = tmp_path / "reordered.json"
    path.write_text(json.dumps(records), encoding="utf-8")

    assert "no problems" in check(path)


@pytest.mark.parametrize("defect", DEFECTS)
def test_check_names_the_broken_record_and_changes_nothing(tmp_path, starting_point, defect):
    path, says = broken_fixture(tmp_path, defect)
    before = every_row()
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("check_fixture", str(path), stdout=io.StringIO(), stderr=err)

    reported = err.getvalue() + str(refused.value)
    for words in [*says, CHECK_SAYS.get(defect, "")]:
        assert words in reported
    assert every_row() == before


def test_check_reports_every_problem_not_only_the_first(tmp_path, transactional_db):
    records = fixture_records()
    visit_ends_before_it_starts(records)
    slug_is_taken(records)
    text, _ = model_is_unknown(records)
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="3 problem"):
        call_command("check_fixture", str(path), stdout=io.StringIO(), stderr=err)

    problems = err.getvalue().splitlines()
    # One line each: the records that refer to the broken visit repeat no problem.
    assert len(problems) == 3
    assert "A visit cannot end before it starts." in err.getvalue()
    assert "(cooperation.nosuchrecord)" in err.getvalue()
    assert '(cooperation.person ["kamran-aliyev"])' in err.getvalue()
