"""A small binational catalog and one signed-in web client per role, for the page tests."""

from dataclasses import dataclass

import pytest
from django.test import Client

from agencies.models import Agency, AgencyName, Jurisdiction
from cases import services
from cases.models import Case
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    ContactFactory,
    CounterpartLinkFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
    OfficeFactory,
    UserFactory,
)


@dataclass
class Catalog:
    us: Jurisdiction
    mx: Jurisdiction
    tx: Jurisdiction
    chh: Jurisdiction
    tracing: object
    prosecution: object
    atf: Agency
    hsi: Agency
    fgr: Agency
    sedena: Agency
    fgr_contact: object
    atf_contact: object


@pytest.fixture
def catalog(db) -> Catalog:
    us = JurisdictionFactory(code="US", kind="country", name="United States", name_es="Estados Unidos")
    mx = JurisdictionFactory(code="MX", kind="country", name="Mexico", name_es="México")
    tx = JurisdictionFactory(code="US-TX", name="Texas", name_es="Texas", parent=us)
    chh = JurisdictionFactory(code="MX-CHH", name="Chihuahua", name_es="Chihuahua", parent=mx)
    az = JurisdictionFactory(code="US-AZ", name="Arizona", name_es="Arizona", parent=us)
    son = JurisdictionFactory(code="MX-SON", name="Sonora", name_es="Sonora", parent=mx)
    tx.borders.add(chh)
    az.borders.add(son)
    tracing = FunctionalAreaFactory(slug="firearms-tracing", name="Firearms tracing", name_es="Rastreo de armas")
    prosecution = FunctionalAreaFactory(slug="prosecution", name="Prosecution", name_es="Persecución penal")
    doj = AgencyFactory(
        slug="us-doj", acronym="DOJ", name="Department of Justice", name_es="Departamento de Justicia", country=us
    )
    atf = AgencyFactory(
        slug="us-atf",
        acronym="ATF",
        name="Bureau of Alcohol, Tobacco, Firearms and Explosives",
        name_es="Oficina de Alcohol, Tabaco, Armas de Fuego y Explosivos",
        country=us,
        parent=doj,
        sources=["https://www.atf.gov/"],
    )
    hsi = AgencyFactory(
        slug="us-hsi",
        acronym="HSI",
        name="Homeland Security Investigations",
        name_es="Investigaciones de Seguridad Nacional",
        country=us,
    )
    fgr = AgencyFactory(
        slug="mx-fgr",
        acronym="FGR",
        name="Attorney General's Office of Mexico",
        name_es="Fiscalía General de la República",
        country=mx,
    )
    AgencyNameFactory(agency=fgr, name="PGR", language="es", kind=AgencyName.Kind.ACRONYM)
    AgencyNameFactory(
        agency=fgr, name="Procuraduría General de la República", language="es", kind=AgencyName.Kind.FORMER
    )
    sedena = AgencyFactory(
        slug="mx-sedena",
        acronym="SEDENA",
        name="Secretariat of National Defense",
        name_es="Secretaría de la Defensa Nacional",
        country=mx,
    )
    MandateFactory(agency=atf, function=tracing, jurisdictions=[us], legal_basis="Gun Control Act of 1968")
    MandateFactory(agency=hsi, function=tracing, jurisdictions=[tx], role="supporting")
    MandateFactory(
        agency=fgr, function=tracing, jurisdictions=[mx], legal_basis="Ley Federal de Armas de Fuego y Explosivos"
    )
    MandateFactory(agency=fgr, function=prosecution, jurisdictions=[mx])
    MandateFactory(agency=sedena, function=tracing, jurisdictions=[mx])
    MandateFactory(agency=doj, function=prosecution, jurisdictions=[us])
    CounterpartLinkFactory(agency_a=atf, agency_b=fgr, function=tracing)
    OfficeFactory(agency=atf, name="ATF Mexico City Country Office", city="Ciudad de México", jurisdiction=mx)
    fgr_contact = ContactFactory(
        agency=fgr,
        name="Lucía Hernández",
        email="lucia.hernandez@fgr.example.mx",
        phone="+525553461000",
        time_zone="America/Mexico_City",
        functions=[tracing],
    )
    atf_contact = ContactFactory(
        agency=atf, name="Dana Brooks", email="dana.brooks@atf.example.gov", phone="+12025550143", functions=[tracing]
    )
    return Catalog(us, mx, tx, chh, tracing, prosecution, atf, hsi, fgr, sedena, fgr_contact, atf_contact)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def coordinator_us(catalog):
    return UserFactory(username="coordinator.us", role="coordinator", agency=catalog.atf)


@pytest.fixture
def coordinator_mx(catalog):
    return UserFactory(username="coordinator.mx", role="coordinator", agency=catalog.fgr)


@pytest.fixture
def liaison_us(catalog):
    return UserFactory(username="liaison.us", role="liaison-officer", agency=catalog.hsi)


@pytest.fixture
def liaison_mx(catalog):
    return UserFactory(username="liaison.mx", role="liaison-officer", agency=catalog.sedena)


@pytest.fixture
def staff(catalog):
    return UserFactory(username="admin.staff", role="admin-staff", agency=None)


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def spanish():
    client = Client()
    client.cookies["django_language"] = "es"
    return client


@pytest.fixture
def case(catalog, coordinator_us):
    """A restricted case led by ATF with FGR supporting."""
    return services.case_open(
        user=coordinator_us,
        title="Straw purchases in El Paso",
        summary="Rifles recovered in Ciudad Juárez.",
        sensitivity=Case.Sensitivity.RESTRICTED,
        participants=[(catalog.fgr, "support")],
    )


@pytest.fixture
def item(case, catalog, coordinator_us):
    return services.action_item_create(
        user=coordinator_us, case=case, owner=catalog.fgr, title="Trace the rifles", function=catalog.tracing
    )
