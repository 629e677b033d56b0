"""Catalog import from real CSV and XLSX files: the valid workbook, every kind of bad row
(each refuses the whole file, naming row and column), the re-import that updates, and
10,000 rows inserted by the batch."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from agencies.models import Agency, AgencyName, Contact, Mandate, Office
from interchange.importers import CREATED, REFUSED, UNCHANGED, UPDATED, import_catalog
from tests.factories import AgencyFactory
from tests.interchange.conftest import AGENCY_HEADER, agency_row, csv_file, xlsx_file

pytestmark = pytest.mark.django_db


def valid_agencies() -> list[list]:
    return [
        AGENCY_HEADER,
        # The child comes before its parent: the importer orders them.
        agency_row("us-atf", "Bureau of Alcohol, Tobacco, Firearms and Explosives", parent="us-doj", acronym="ATF"),
        agency_row("us-doj", "Department of Justice", acronym="DOJ", name_es="Departamento de Justicia"),
        agency_row(
            "mx-fgr",
            "Attorney General's Office",
            country="MX",
            jurisdiction="MX",
            acronym="FGR",
            name_es="Fiscalía General de la República",
        ),
    ]


def test_valid_workbook_creates_every_row_with_its_parent(places, tmp_path):
    path = tmp_path / "agencies.xlsx"
    xlsx_file(path, valid_agencies())

    call_command("import_catalog", str(path), resource="agencies")

    atf = Agency.objects.get(slug="us-atf")
    assert atf.parent.slug == "us-doj"
    assert atf.country.code == "US"
    assert Agency.objects.get(slug="mx-fgr").name_es == "Fiscalía General de la República"
    assert Agency.objects.count() == 3


def test_dry_run_previews_and_writes_nothing(places, tmp_path):
    path = tmp_path / "agencies.xlsx"
    content = xlsx_file(path, valid_agencies())

    preview = import_catalog(resource="agencies", content=content, filename=path.name, apply=False)

    assert [(row.row, row.action) for row in preview.rows] == [(2, CREATED), (3, CREATED), (4, CREATED)]
    assert preview.ok and not preview.applied
    assert Agency.objects.count() == 0
    call_command("import_catalog", str(path), resource="agencies", dry_run=True)
    assert Agency.objects.count() == 0


def test_reimport_of_a_corrected_file_updates_instead_of_duplicating(places, tmp_path):
    path = tmp_path / "agencies.csv"
    csv_file(path, valid_agencies())
    call_command("import_catalog", str(path), resource="agencies")
    rows = valid_agencies()
    rows[3][2] = "Fiscalía General de la República (English: Attorney General)"
    csv_file(path, rows, bom=True)

    preview = import_catalog(resource="agencies", content=path.read_bytes(), filename=path.name, apply=True)

    assert preview.applied
    assert {row.row: row.action for row in preview.rows} == {2: UNCHANGED, 3: UNCHANGED, 4: UPDATED}
    assert Agency.objects.count() == 3
    assert Agency.objects.get(slug="mx-fgr").name.startswith("Fiscalía General")


def assert_refused(preview, row: int, column: str, words: str):
    assert not preview.ok and not preview.applied
    refused = {outcome.row: outcome for outcome in preview.rows if outcome.action == REFUSED}
    assert row in refused, preview.errors()
    messages = [(m.column, m.message) for m in refused[row].messages]
    assert any(col == column and words.lower() in text.lower() for col, text in messages), messages
    assert any(f"Row {row}, column “{column}”" in line for line in preview.errors())


def test_unknown_jurisdiction_refuses_the_file_naming_row_and_column(places, tmp_path):
    rows = valid_agencies()
    rows[2][5] = "US-ZZ"
    content = xlsx_file(tmp_path / "a.xlsx", rows)

    preview = import_catalog(resource="agencies", content=content, filename="a.xlsx", apply=True)

    assert_refused(preview, 3, "jurisdiction", "US-ZZ")
    assert Agency.objects.count() == 0, "one bad row and nothing is written"


def test_duplicate_slug_in_the_file_is_refused(places, tmp_path):
    rows = [*valid_agencies(), agency_row("us-doj", "Justice again")]
    content = csv_file(tmp_path / "a.csv", rows)

    preview = import_catalog(resource="agencies", content=content, filename="a.csv", apply=True)

    assert_refused(preview, 5, "slug", "row 3")
    assert Agency.objects.count() == 0


def test_unknown_agency_is_refused(places, tmp_path):
    AgencyFactory(slug="us-atf")
    rows = [
        ["agency", "name", "language", "kind"],
        ["us-atf", "Alcohol, Tobacco and Firearms", "en", "former"],
        ["us-nope", "Nobody", "en", "alternate"],
    ]
    content = xlsx_file(tmp_path / "names.xlsx", rows)

    preview = import_catalog(resource="agency-names", content=content, filename="names.xlsx", apply=True)

    assert_refused(preview, 3, "agency", "us-nope")
    assert AgencyName.objects.count() == 0


def test_invalid_phone_is_refused(places, tmp_path):
    AgencyFactory(slug="us-atf")
    rows = [
        ["agency", "name", "city", "phone", "email"],
        ["us-atf", "Mexico City Country Office", "Mexico City", "+52 55 5080 2000", "mexico@example.gov"],
        ["us-atf", "El Paso Field Office", "El Paso", "12", ""],
    ]
    content = csv_file(tmp_path / "offices.csv", rows)

    preview = import_catalog(resource="offices", content=content, filename="offices.csv", apply=True)

    assert_refused(preview, 3, "phone", "phone")
    assert Office.objects.count() == 0


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example","x")', "@SUM(A1)", "+1+1", "-2+3", "\tcmd"])
def test_formula_injection_in_a_cell_is_refused(places, tmp_path, cell):
    rows = valid_agencies()
    rows[3][2] = cell
    content = csv_file(tmp_path / "a.csv", rows)

    preview = import_catalog(resource="agencies", content=content, filename="a.csv", apply=True)

    assert_refused(preview, 4, "name", "formula")
    assert Agency.objects.count() == 0


def test_formula_injection_in_an_xlsx_formula_cell_is_refused(places, tmp_path):
    rows = valid_agencies()
    rows[1][3] = "=1+1"  # openpyxl stores this as a real formula cell
    content = xlsx_file(tmp_path / "a.xlsx", rows)

    preview = import_catalog(resource="agencies", content=content, filename="a.xlsx", apply=True)

    assert_refused(preview, 2, "name_es", "formula")


def test_international_phone_numbers_are_not_taken_for_formulas(places, tmp_path):
    AgencyFactory(slug="us-atf")
    rows = [["agency", "name", "phone"], ["us-atf", "Mexico City Country Office", "+52 55 5080 2000"]]
    content = xlsx_file(tmp_path / "offices.xlsx", rows)

    preview = import_catalog(resource="offices", content=content, filename="offices.xlsx", apply=True)

    assert preview.applied, preview.errors()
    assert str(Office.objects.get().phone) == "+525550802000"


def test_wrong_encoding_is_refused_with_advice(places, tmp_path):
    content = csv_file(tmp_path / "a.csv", valid_agencies(), encoding="latin-1")

    preview = import_catalog(resource="agencies", content=content, filename="a.csv", apply=True)

    assert not preview.ok
    assert "UTF-8" in preview.errors()[0]
    assert Agency.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("import_catalog", str(tmp_path / "a.csv"), resource="agencies")


@pytest.mark.parametrize("content", [b"", b"  \n", b"slug,name\n"])
def test_empty_file_is_refused(places, content):
    preview = import_catalog(resource="agencies", content=content, filename="a.csv", apply=True)

    assert not preview.ok
    assert "empty" in preview.errors()[0] or "no data rows" in preview.errors()[0]


def test_unknown_column_is_refused(places, tmp_path):
    content = csv_file(tmp_path / "a.csv", [["slug", "nmae"], ["us-x", "X"]])

    preview = import_catalog(resource="agencies", content=content, filename="a.csv", apply=True)

    assert not preview.ok
    assert "nmae" in preview.errors()[0]


def test_command_exits_non_zero_and_names_row_and_column(places, tmp_path, capsys):
    rows = valid_agencies()
    rows[2][6] = "galactic"
    path = tmp_path / "a.xlsx"
    xlsx_file(path, rows)

    with pytest.raises(CommandError):
        call_command("import_catalog", str(path), resource="agencies")

    assert "Row 3, column “level”" in capsys.readouterr().err
    assert Agency.objects.count() == 0


def test_messages_come_in_the_users_language(places, tmp_path):
    rows = valid_agencies()
    rows[2][5] = "US-ZZ"
    content = csv_file(tmp_path / "a.csv", rows)

    with translation.override("es"):
        preview = import_catalog(resource="agencies", content=content, filename="a.csv", apply=False)
        refused = next(outcome for outcome in preview.rows if outcome.action == REFUSED)

    # Django REST framework's own Spanish catalog: "Objeto con code=US-ZZ no existe."
    assert "no existe" in refused.messages[0].message


def test_mandates_and_contacts_import_with_lists(places, tmp_path):
    AgencyFactory(slug="mx-fgr", country=places["MX"], jurisdiction=places["MX"])
    mandates = [
        ["agency", "function", "jurisdictions", "role", "legal_basis"],
        ["mx-fgr", "prosecution", "MX | MX-SON", "primary", "Constitución, art. 102"],
    ]
    contacts = [
        ["agency", "name", "email", "phone", "functions", "languages", "time_zone"],
        [
            "mx-fgr",
            "Mesa de enlace",
            "enlace@fgr.example",
            "+52 55 5346 0000",
            "prosecution",
            "es | en",
            "America/Mexico_City",
        ],
        ["mx-fgr", "Duty desk", "", "", "", "es", ""],
    ]

    first = import_catalog(
        resource="mandates", content=csv_file(tmp_path / "m.csv", mandates), filename="m.csv", apply=True
    )
    second = import_catalog(
        resource="contacts", content=xlsx_file(tmp_path / "c.xlsx", contacts), filename="c.xlsx", apply=True
    )

    assert first.applied and second.applied, first.errors() + second.errors()
    mandate = Mandate.objects.get()
    assert sorted(mandate.jurisdictions.values_list("code", flat=True)) == ["MX", "MX-SON"]
    desk = Contact.objects.get(email="enlace@fgr.example")
    assert desk.speaks_es and desk.speaks_en
    assert list(desk.functions.values_list("slug", flat=True)) == ["prosecution"]
    again = import_catalog(
        resource="contacts", content=xlsx_file(tmp_path / "c.xlsx", contacts), filename="c.xlsx", apply=True
    )
    assert again.counts["unchanged"] == 2 and Contact.objects.count() == 2


def test_thousands_of_rows_import_in_batches(places, tmp_path, count_queries):
    """What keeps a national-size import fast on any machine: rows go in by the batch, not one
    query (or more) per row. Four batches show it as well as twenty (the bench imports national
    scale; seconds depend on the machine and its load, so a wall-clock budget belongs there)."""
    rows = [AGENCY_HEADER] + [
        agency_row(f"us-bulk-{n:05d}", f"Bulk agency {n}", acronym=f"B{n}", parent="us-bulk-00000" if n else "")
        for n in range(2_000)
    ]
    path = tmp_path / "bulk.csv"
    csv_file(path, rows)

    _none, queries = count_queries(lambda: call_command("import_catalog", str(path), resource="agencies"))

    assert Agency.objects.count() == 2_000
    assert Agency.objects.filter(parent__slug="us-bulk-00000").count() == 1_999
    # About 26 queries per batch of 500 rows; one per row would be 2,000.
    assert queries < 2_000 // 10, queries
