"""The one search box (SPEC §2 Search): case- and accent-insensitive, either language,
acronyms (exact ones first), former and alternate names, partial words — the same on
SQLite and PostgreSQL."""

import pytest
from django.core.management import call_command
from django.db import connection

from agencies.models import Agency, AgencyName
from agencies.selectors import agency_search
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    ContactFactory,
    JurisdictionFactory,
    OfficeFactory,
    mexico,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fgr():
    agency = AgencyFactory(
        slug="mx-fgr",
        acronym="FGR",
        name="Attorney General's Office of Mexico",
        name_es="Fiscalía General de la República",
        country=mexico(),
    )
    AgencyNameFactory(agency=agency, name="PGR", language="es", kind=AgencyName.Kind.ACRONYM)
    AgencyNameFactory(
        agency=agency, name="Procuraduría General de la República", language="es", kind=AgencyName.Kind.FORMER
    )
    return agency


@pytest.fixture
def others():
    return [
        AgencyFactory(slug="us-atf", acronym="ATF", name="Bureau of Alcohol, Tobacco, Firearms and Explosives"),
        AgencyFactory(slug="mx-fgr-task", acronym="FGRTF", name="Joint FGR Task Force", country=mexico()),
        AgencyFactory(
            slug="mx-sre",
            acronym="SRE",
            name="Secretariat of Foreign Affairs",
            name_es="Secretaría de Relaciones Exteriores",
        ),
    ]


def slugs(query):
    return list(agency_search(Agency.objects.all(), query).values_list("slug", flat=True))


@pytest.mark.parametrize(
    "query",
    [
        "fiscalia general",  # no accent
        "Fiscalía General",  # accent and capitals
        "FISCALÍA",
        "fisc gen",  # partial words
        "república",
        "Attorney General",  # English
        "attorney general's office of mexico",
        "PGR",  # former acronym
        "pgr",
        "procuraduria general",  # former name
        "Procuraduría General de la República",
        "FGR",
    ],
)
def test_finds_todays_fgr(fgr, others, query):
    assert "mx-fgr" in slugs(query)


def test_unrelated_agencies_are_not_found(fgr, others):
    assert slugs("fiscalia") == ["mx-fgr"]
    assert slugs("alcohol firearms") == ["us-atf"]
    assert slugs("zzzz") == []
    # Every word must match.
    assert slugs("fiscalia alcohol") == []


def test_exact_acronym_ranks_first(fgr, others):
    assert slugs("FGR") == ["mx-fgr", "mx-fgr-task"]
    assert slugs("fgrtf")[0] == "mx-fgr-task"
    # A former acronym counts as exact too.
    assert slugs("PGR") == ["mx-fgr"]


def test_names_are_searched_in_both_languages(fgr, others):
    assert slugs("relaciones exteriores") == ["mx-sre"]
    assert slugs("foreign affairs") == ["mx-sre"]


def test_an_edited_or_deleted_name_is_searched_as_it_is_now(fgr):
    pgr = fgr.other_names.get(name="PGR")
    pgr.name = "PGJ"
    pgr.save()
    assert slugs("PGR") == []
    assert slugs("PGJ") == ["mx-fgr"]
    pgr.delete()
    assert slugs("PGJ") == []
    fgr.name_es = "Fiscalía de la Nación"
    fgr.save()
    assert slugs("nacion") == ["mx-fgr"]


def test_api_q_finds_fgr_by_former_acronym_first(api, fgr, others):
    response = api.get("/api/v1/agencies/", {"q": "pgr"})
    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == ["mx-fgr"]
    response = api.get("/api/v1/agencies/", {"q": "fgr", "brief": 1})
    assert [row["slug"] for row in response.json()["results"]] == ["mx-fgr", "mx-fgr-task"]


def test_offices_are_searched_without_accents(api):
    office = OfficeFactory(name="Oficina de Enlace", city="Ciudad Juárez")
    OfficeFactory(name="El Paso Field Division", city="El Paso")
    for query in ["juarez", "JUÁREZ", "enlace ciudad"]:
        response = api.get("/api/v1/offices/", {"q": query})
        assert [row["id"] for row in response.json()["results"]] == [office.pk], query


def test_contacts_are_searched_for_signed_in_users(liaison_api, api):
    person = ContactFactory(name="Ana Ejemplo Muñoz", title="Agregada")
    ContactFactory(name="Bob Example")
    response = liaison_api.get("/api/v1/contacts/", {"q": "munoz"})
    assert [row["id"] for row in response.json()["results"]] == [person.pk]
    assert api.get("/api/v1/contacts/", {"q": "munoz"}).status_code == 401


def test_the_reference_dataset_finds_fgr_by_pgr_and_fiscalia():
    call_command("load_reference_data", verbosity=0)
    assert slugs("PGR")[0] == "mx-fgr"
    assert slugs("fiscalia general")[0] == "mx-fgr"
    assert slugs("ATF")[0] == "us-atf"


def test_postgresql_searches_through_a_trigram_index():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'agencies_agency'")
            names = {row[0] for row in cursor.fetchall()}
            assert {"agency_search_text_trgm", "agency_search_acronyms_trgm"} <= names
        else:
            # SQLite has no trigram index: the same LIKE runs over the folded column.
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'agencies_agency'")
            names = {row[0] for row in cursor.fetchall()}
            assert "agency_search_text_trgm" not in names


def test_jurisdictions_are_searched_without_accents_in_either_language(api):
    nuevo_leon = JurisdictionFactory(code="MX-NLE", name="Nuevo Leon", name_es="Nuevo León", parent=mexico())
    JurisdictionFactory(code="MX-SON", name="Sonora", name_es="Sonora", parent=mexico())
    for query in ["nuevo leon", "NUEVO LEÓN", "león", "mx-nle"]:
        response = api.get("/api/v1/jurisdictions/", {"q": query})
        assert [row["code"] for row in response.json()["results"]] == [nuevo_leon.code], query
    nuevo_leon.name_es = "Nuevo Reino de León"  # a renamed place is searched as it is now
    nuevo_leon.save()
    assert [row["code"] for row in api.get("/api/v1/jurisdictions/", {"q": "reino"}).json()["results"]] == ["MX-NLE"]


def test_other_names_are_searched_without_accents(api, fgr):
    response = api.get("/api/v1/agency-names/", {"q": "PROCURADURIA republica"})
    assert [row["name"] for row in response.json()["results"]] == ["Procuraduría General de la República"]
    assert api.get("/api/v1/agency-names/", {"q": "procuraduría"}).json()["count"] == 1
