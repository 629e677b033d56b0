"""Every CSV download goes through one writer that neutralizes formula injection (CWE-1236):
each open-data dataset, the API's `?format=csv` and the audit export. A text cell starting
with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`; numbers (as the API has
always done: `-12.5`, `+525553461000`), dates, booleans and ordinary text come out unchanged."""

import csv
import io
import pathlib

import pytest

from agencies.models import Agency, AgencyName, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office
from registry.models import SecurityEvent

pytestmark = pytest.mark.django_db

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
UNCHANGED = ["-12.5", "+525553461000", "Fiscalía General de la República", "A-1 = B"]

# dataset → (model, text column written around validation, as a compromised database row would be)
PLANTED = {
    "agencies": (Agency, "name"),
    "agency-names": (AgencyName, "name"),
    "functions": (FunctionalArea, "name"),
    "jurisdictions": (Jurisdiction, "name"),
    "mandates": (Mandate, "legal_basis"),
    "offices": (Office, "name"),
    "counterpart-links": (CounterpartLink, "instrument"),
}


def open_data_cells(client, name: str, column: str) -> list[str]:
    response = client.get(f"/open-data/{name}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return [row[column] for row in csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig")))]


@pytest.mark.parametrize("name", list(PLANTED))
def test_each_open_data_csv_neutralizes_every_formula_prefix(catalog, anonymous, name):
    model, field = PLANTED[name]
    row = model.objects.order_by("pk").first()
    for value in DANGEROUS:
        model.objects.filter(pk=row.pk).update(**{field: value})
        assert "'" + value in open_data_cells(anonymous, name, field), (name, value)
    for value in UNCHANGED:
        model.objects.filter(pk=row.pk).update(**{field: value})
        assert value in open_data_cells(anonymous, name, field), (name, value)


def test_open_data_csv_keeps_numbers_dates_booleans_and_blanks_as_before(catalog, anonymous):
    response = anonymous.get("/open-data/agencies.csv")
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, as the API's CSV: Excel then reads UTF-8"
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(text[1:]))}
    fgr = rows["mx-fgr"]
    assert (fgr["country"], fgr["active"], fgr["valid_to"], fgr["parent"]) == ("MX", "true", "", "")
    assert rows["us-atf"]["parent"] == "us-doj"
    mandates_csv = anonymous.get("/open-data/mandates.csv").getvalue().decode("utf-8-sig")
    mandates = list(csv.DictReader(io.StringIO(mandates_csv)))
    assert sorted(int(row["id"]) for row in mandates) == sorted(Mandate.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("value", DANGEROUS)
def test_the_api_csv_neutralizes_every_formula_prefix(catalog, anonymous, value):
    Agency.objects.filter(pk=catalog.fgr.pk).update(name=value)
    FunctionalArea.objects.filter(pk=catalog.tracing.pk).update(name_es=value)

    agencies = anonymous.get("/api/v1/agencies/?format=csv")
    functions = anonymous.get("/api/v1/functions/?format=csv")

    assert agencies.status_code == functions.status_code == 200
    assert "'" + value in [row["name"] for row in api_rows(agencies)]
    assert "'" + value in [row["name_es"] for row in api_rows(functions)]


@pytest.mark.parametrize("value", UNCHANGED)
def test_the_api_csv_keeps_numbers_and_ordinary_text(catalog, anonymous, value):
    Agency.objects.filter(pk=catalog.fgr.pk).update(name=value)
    assert value in [row["name"] for row in api_rows(anonymous.get("/api/v1/agencies/?format=csv"))]


def api_rows(response) -> list[dict]:
    text = response.getvalue().decode("utf-8")
    assert text.startswith("\ufeff"), "the API's CSV keeps its BOM"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("value", DANGEROUS)
def test_the_audit_export_neutralizes_a_formula_typed_as_a_username(admin_api, value):
    # A failed sign-in records whatever the visitor typed as the username.
    SecurityEvent.objects.create(kind="sign-in-failure", username=value)
    SecurityEvent.objects.create(kind="sign-in-failure", username="-12.5")

    response = admin_api.get("/api/v1/audit/export/?format=csv")

    body = b"".join(response.streaming_content).decode()
    actors = [row["actor"] for row in csv.DictReader(io.StringIO(body))]
    assert "'" + value in actors and value not in actors
    assert "-12.5" in actors


def test_no_module_writes_csv_without_the_shared_writer():
    root = pathlib.Path(__file__).resolve().parents[2]
    writers = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests"} or relative == pathlib.Path("interchange/tabular.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if "csv.writer(" in text or "csv.DictWriter(" in text:
            writers.append(str(relative))
    assert writers == []
