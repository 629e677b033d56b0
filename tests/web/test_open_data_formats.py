"""Each open-data file is what its name says: `.csv` CSV, `.json` JSON, `.xlsx` a real
workbook with the same rows and columns as the CSV, each with its own Content-Type and
Content-Disposition. Any other extension, and any unknown dataset, is a 404 (an `.xlsx`
used to be a CSV under another name, and `.pdf` or `.exe` were answered too)."""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from agencies.models import Agency, Mandate

pytestmark = pytest.mark.django_db

DATASETS = ["agencies", "agency-names", "functions", "jurisdictions", "mandates", "offices", "counterpart-links"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_rows(client, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(f"/open-data/{name}.csv").getvalue().decode("utf-8-sig"))))


def workbook_of(response):
    return load_workbook(io.BytesIO(response.getvalue()), data_only=False).active


def as_csv_text(value) -> str:
    """A workbook cell as the CSV writer writes the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        # openpyxl reads a date cell back as a midnight datetime.
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    return str(value)


@pytest.mark.parametrize("name", DATASETS)
def test_each_format_has_its_own_content_type_and_file_name(catalog, anonymous, name):
    expected = {"csv": "text/csv", "json": "application/json", "xlsx": XLSX_TYPE}
    for fmt, content_type in expected.items():
        response = anonymous.get(f"/open-data/{name}.{fmt}")
        assert response.status_code == 200, (name, fmt)
        assert response["Content-Type"].split(";")[0] == content_type, (name, fmt)
        assert response["Content-Disposition"] == f'attachment; filename="enlace-{name}.{fmt}"'
    assert anonymous.get(f"/open-data/{name}.xlsx").getvalue()[:4] == b"PK\x03\x04", "a zip, not CSV text"
    json.loads(anonymous.get(f"/open-data/{name}.json").getvalue())


@pytest.mark.parametrize("name", DATASETS)
def test_the_workbook_has_the_same_rows_and_columns_as_the_csv(catalog, anonymous, name):
    sheet = workbook_of(anonymous.get(f"/open-data/{name}.xlsx"))
    cells = [[as_csv_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    expected = csv_rows(anonymous, name)
    assert len(expected) > 1, "the fixture catalog has rows in every dataset"
    assert cells == expected
    assert sheet.title == name


def test_the_workbook_keeps_numbers_dates_and_booleans_typed(catalog, anonymous):
    today = timezone.localdate()
    Agency.objects.filter(pk=catalog.fgr.pk).update(valid_from=today)
    sheet = workbook_of(anonymous.get("/open-data/agencies.xlsx"))
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "mx-fgr")
    assert row[header.index("active")].value is True
    assert row[header.index("valid_from")].value.date() == today
    mandates = workbook_of(anonymous.get("/open-data/mandates.xlsx"))
    ids = [row[0] for row in mandates.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(Mandate.objects.values_list("pk", flat=True)) and all(isinstance(i, int) for i in ids)


@pytest.mark.parametrize("value", ["=1+1", '=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)", "\t=1+1"])
def test_a_text_cell_starting_with_a_formula_prefix_is_text_in_the_workbook(catalog, anonymous, value):
    Agency.objects.filter(pk=catalog.fgr.pk).update(name=value)
    sheet = workbook_of(anonymous.get("/open-data/agencies.xlsx"))
    name_column = [cell.value for cell in sheet[1]].index("name")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "mx-fgr")
    cell = row[name_column]
    assert cell.data_type == "s", "stored as a string, never as a formula"
    assert cell.value == "'" + value, "neutralized as the CSV cell is"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_an_ordinary_text_starting_with_a_number_sign_stays_as_it_is(catalog, anonymous):
    Agency.objects.filter(pk=catalog.fgr.pk).update(name="-12.5")
    sheet = workbook_of(anonymous.get("/open-data/agencies.xlsx"))
    name_column = [cell.value for cell in sheet[1]].index("name")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "mx-fgr")
    assert (row[name_column].value, row[name_column].data_type) == ("-12.5", "s")


@pytest.mark.parametrize("path", ["agencies.pdf", "agencies.exe", "agencies.xls", "agencies.csv.exe", "agencies.CSV"])
def test_an_unknown_extension_is_a_404(catalog, anonymous, path):
    assert anonymous.get(f"/open-data/{path}").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_an_unknown_dataset_is_a_404(catalog, anonymous, fmt):
    assert anonymous.get(f"/open-data/contacts.{fmt}").status_code == 404
    assert anonymous.get(f"/open-data/nothing-here.{fmt}").status_code == 404


def test_the_open_data_page_links_each_format(catalog, anonymous):
    body = anonymous.get("/open-data/").getvalue().decode()
    for fmt in ("csv", "json", "xlsx"):
        assert f'href="/open-data/agencies.{fmt}"' in body
