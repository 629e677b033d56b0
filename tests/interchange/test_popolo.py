"""The Popolo open-data export validates against the Popolo JSON schemas (shipped under
popolo_schemas/), carries the catalog's names, identifiers and areas, and nothing personal."""

import datetime
import json
from pathlib import Path

import pytest
from jsonschema import Draft3Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from agencies.models import AgencyName
from tests.factories import AgencyFactory, ContactFactory, OfficeFactory

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "popolo_schemas"
URL = "/api/v1/open-data/popolo.json"


def popolo_registry() -> Registry:
    registry = Registry()
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT3)
        # The schemas refer to each other with and without "www."; answer both.
        for host in ("http://www.popoloproject.com", "http://popoloproject.com"):
            registry = registry.with_resource(f"{host}/schemas/{path.name}", resource)
    return registry


def validator(name: str) -> Draft3Validator:
    """The schema's validator with its formats checked ("uri" by rfc3986-validator, the
    dates), not only its structure."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft3Validator(schema, registry=popolo_registry(), format_checker=Draft3Validator.FORMAT_CHECKER)


@pytest.fixture
def catalog(places):
    doj = AgencyFactory(slug="us-doj", acronym="DOJ", name="Department of Justice", kind="policy")
    atf = AgencyFactory(
        slug="us-atf",
        acronym="ATF",
        name="Bureau of Alcohol, Tobacco, Firearms and Explosives",
        parent=doj,
        website="https://www.atf.gov",
        sources=["https://www.atf.gov/about"],
        valid_from=datetime.date(1972, 7, 1),
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
    AgencyName.objects.create(
        agency=fgr,
        name="Procuraduría General de la República",
        language="es",
        kind="former",
        end_date=datetime.date(2018, 12, 14),
    )
    OfficeFactory(agency=atf, name="Mexico City Country Office", email="mexico.co@atf.example", phone="+525550802000")
    ContactFactory(agency=atf, name="Pat Personal", email="pat.personal@atf.example", phone="+12025550100")
    return {"atf": atf, "fgr": fgr, "doj": doj}


def test_popolo_export_validates_against_the_popolo_schemas(api, catalog):
    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert len(body["organizations"]) == 3
    organization, area, post = validator("organization"), validator("area"), validator("post")
    for item in body["organizations"]:
        errors = [error.message for error in organization.iter_errors(item)]
        assert errors == [], (item["id"], errors)
    for item in body["areas"]:
        assert [error.message for error in area.iter_errors(item)] == []
    for item in body["posts"]:
        assert [error.message for error in post.iter_errors(item)] == []


def test_the_validator_does_catch_a_bad_organization():
    # A date in the wrong form and an identifier without its required text must fail.
    bad = {"id": "x", "founding_date": "1 July 1972", "identifiers": [{"scheme": "acronym"}]}

    assert len(list(validator("organization").iter_errors(bad))) == 2


def test_popolo_organizations_carry_names_identifiers_parents_and_areas(api, catalog):
    body = api.get(URL).json()
    by_id = {item["id"]: item for item in body["organizations"]}

    fgr = by_id["mx-fgr"]
    assert {"scheme": "acronym", "identifier": "FGR"} in fgr["identifiers"]
    assert {"scheme": "enlace-slug", "identifier": "mx-fgr"} in fgr["identifiers"]
    former = next(name for name in fgr["other_names"] if name["name"].startswith("Procuraduría"))
    assert former["end_date"] == "2018-12-14" and former["note"].startswith("former")
    assert fgr["area_id"] == "MX" and fgr["classification"] == "prosecution"
    atf = by_id["us-atf"]
    assert atf["parent_id"] == "us-doj"
    assert atf["founding_date"] == "1972-07-01"
    assert atf["links"] == [{"url": "https://www.atf.gov", "note": "website"}]
    areas = {item["id"]: item for item in body["areas"]}
    assert areas["MX-SON"]["parent_id"] == "MX"


def test_popolo_has_office_channels_but_never_contacts(api, catalog):
    text = api.get(URL).content.decode()

    assert "mexico.co@atf.example" in text
    assert "pat.personal@atf.example" not in text
    assert "Pat Personal" not in text
    assert "+12025550100" not in text


def test_popolo_runs_a_constant_number_of_queries(api, places, count_queries):
    for n in range(3):
        AgencyFactory(slug=f"us-p{n}")
    _, few = count_queries(lambda: api.get(URL))
    for n in range(3, 30):
        agency = AgencyFactory(slug=f"us-p{n}")
        AgencyName.objects.create(agency=agency, name=f"Name {n}", language="en", kind="alternate")
        OfficeFactory(agency=agency)

    _, many = count_queries(lambda: api.get(URL))

    assert few == many


def test_the_validator_checks_that_a_source_is_a_uri():
    bad = {"id": "x", "name": "X", "sources": [{"url": "https://www.gob.mx/fiscalía"}]}
    good = {"id": "x", "name": "X", "sources": [{"url": "https://www.gob.mx/fiscal%C3%ADa"}]}

    assert len(list(validator("organization").iter_errors(bad))) == 1
    assert list(validator("organization").iter_errors(good)) == []


def test_a_source_with_a_non_ascii_character_is_exported_as_a_valid_uri(api, catalog):
    Agency = type(catalog["fgr"])
    Agency.objects.filter(pk=catalog["fgr"].pk).update(
        sources=["https://www.gob.mx/fgr/es/articulos/fiscalía-general"], website="https://www.fgr.org.mx/año"
    )

    body = api.get(URL).json()

    fgr = next(item for item in body["organizations"] if item["id"] == "mx-fgr")
    assert fgr["sources"][0]["url"] == "https://www.gob.mx/fgr/es/articulos/fiscal%C3%ADa-general"
    assert fgr["links"][0]["url"] == "https://www.fgr.org.mx/a%C3%B1o"
    assert list(validator("organization").iter_errors(fgr)) == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_popolo_has_both_languages_and_says_so(api, catalog, language):
    response = api.get(URL, HTTP_ACCEPT_LANGUAGE=language)

    assert response["Content-Language"] == "en, es", "the body is the same in both: it holds both languages"
    fgr = next(item for item in response.json()["organizations"] if item["id"] == "mx-fgr")
    assert fgr["name"] == "Attorney General's Office"
    assert fgr["name_es"] == "Fiscalía General de la República"
    assert {"name": "Fiscalía General de la República", "note": "official name (es)"} in fgr["other_names"]
