"""Catalog lists as CSV, XLSX and JSON: exactly the requester's rows, formulas neutralized,
constant query counts, and the XLSX round trip (export → import into an empty catalog →
export gives the same file)."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from agencies.models import Agency, AgencyName
from interchange.importers import import_catalog
from tests.factories import AgencyFactory, AgencyNameFactory, ContactFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict]:
    text = response.getvalue().decode("utf-8")  # a whole list is streamed
    assert text.startswith("\ufeff"), "a BOM so that Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_agencies_as_csv_for_anyone(api, places):
    AgencyFactory(slug="mx-fgr", acronym="FGR", name="Attorney General", name_es="Fiscalía General")

    response = api.get("/api/v1/agencies/?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="agencies.csv"'
    rows = csv_rows(response)
    assert [row["slug"] for row in rows] == ["mx-fgr"]
    assert rows[0]["name_es"] == "Fiscalía General"
    assert "created_at" not in rows[0]


def test_agencies_as_xlsx_and_json(api, places):
    AgencyFactory(slug="us-atf", acronym="ATF", name="ATF")

    xlsx = api.get("/api/v1/agencies/?format=xlsx")
    json = api.get("/api/v1/agencies/?format=json")

    assert xlsx.status_code == 200
    table = xlsx_rows(xlsx)
    assert table[0][:3] == ["slug", "acronym", "name"]
    assert table[1][:3] == ["us-atf", "ATF", "ATF"]
    assert json.json()["results"][0]["slug"] == "us-atf"


def test_exports_follow_filters_and_pages(api, places):
    for n in range(5):
        AgencyFactory(slug=f"us-a{n}", name=f"Agency {n}")

    rows = csv_rows(api.get("/api/v1/agencies/?format=csv&limit=2&offset=1"))

    assert [row["slug"] for row in rows] == ["us-a1", "us-a2"]


def test_formula_injection_is_neutralized_in_exports(api, places):
    # Written around validation (as a compromised database row would be).
    agency = AgencyFactory(slug="us-evil", name="Evil")
    Agency.objects.filter(pk=agency.pk).update(name='=HYPERLINK("http://evil.example","click")', acronym="@SUM")

    rows = csv_rows(api.get("/api/v1/agencies/?format=csv"))
    table = xlsx_rows(api.get("/api/v1/agencies/?format=xlsx"))

    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[0]["acronym"] == "'@SUM"
    assert table[1][2].startswith("'=")


def test_contacts_export_needs_sign_in_and_never_has_blocked_contacts(api, liaison_api, places):
    agency = AgencyFactory(slug="us-atf")
    ContactFactory(agency=agency, name="Visible Desk", email="desk@atf.example")
    ContactFactory(agency=agency, name="Blocked Person", email="blocked@atf.example", blocked_at=timezone.now())

    anonymous = api.get("/api/v1/contacts/?format=csv")
    signed_in = liaison_api.get("/api/v1/contacts/?format=csv")

    assert anonymous.status_code == 401
    assert b"desk@atf.example" not in anonymous.getvalue()
    names = [row["name"] for row in csv_rows(signed_in)]
    assert names == ["Visible Desk"]


def test_csv_export_runs_a_constant_number_of_queries(api, places, count_queries):
    for n in range(40):
        agency = AgencyFactory(slug=f"us-q{n:02d}", name=f"Agency {n:02d}")
        AgencyNameFactory(agency=agency)

    _, small = count_queries(lambda: api.get("/api/v1/agencies/?format=csv&limit=5"))
    _, large = count_queries(lambda: api.get("/api/v1/agencies/?format=csv&limit=40"))

    assert small == large


def build_catalog(places):
    doj = AgencyFactory(
        slug="us-doj", acronym="DOJ", name="Department of Justice", name_es="Departamento de Justicia", kind="policy"
    )
    atf = AgencyFactory(
        slug="us-atf",
        acronym="ATF",
        name="Bureau of Alcohol, Tobacco, Firearms and Explosives",
        parent=doj,
        website="https://www.atf.gov",
        sources=["https://www.atf.gov/about", "https://www.justice.gov/agencies"],
        valid_from=datetime.date(1972, 7, 1),
        description="Tracing, licensing, enforcement.",
    )
    fgr = AgencyFactory(
        slug="mx-fgr",
        acronym="FGR",
        name="Attorney General's Office",
        name_es="Fiscalía General de la República",
        country=places["MX"],
        jurisdiction=places["MX"],
        kind="prosecution",
    )
    AgencyFactory(
        slug="mx-son-fge",
        acronym="",
        name="Sonora State Prosecutor",
        country=places["MX"],
        jurisdiction=places["MX-SON"],
        level="state",
        kind="",
        active=False,
    )
    AgencyName.objects.create(agency=fgr, name="PGR", language="es", kind="acronym")
    AgencyName.objects.create(
        agency=fgr,
        name="Procuraduría General de la República",
        language="es",
        kind="former",
        end_date=datetime.date(2018, 12, 14),
    )
    AgencyName.objects.create(agency=atf, name="Alcohol, Tobacco and Firearms", language="en", kind="alternate")


def test_xlsx_round_trip_gives_the_same_file(admin_api, places):
    build_catalog(places)
    agencies_before = admin_api.get("/api/v1/agencies/?format=xlsx&limit=1000")
    names_before = admin_api.get("/api/v1/agency-names/?format=xlsx&limit=1000")
    assert agencies_before.status_code == names_before.status_code == 200

    Agency.objects.filter(parent__isnull=False).delete()  # parents are protected while they have children
    Agency.objects.all().delete()
    assert not AgencyName.objects.exists()
    agencies = import_catalog(resource="agencies", content=agencies_before.content, filename="a.xlsx", apply=True)
    names = import_catalog(resource="agency-names", content=names_before.content, filename="n.xlsx", apply=True)
    agencies_after = admin_api.get("/api/v1/agencies/?format=xlsx&limit=1000")

    assert agencies.applied and names.applied, agencies.errors() + names.errors()
    assert agencies.counts["created"] == 4 and names.counts["created"] == 3
    assert xlsx_rows(agencies_after) == xlsx_rows(agencies_before)
    assert agencies_after.content == agencies_before.content
