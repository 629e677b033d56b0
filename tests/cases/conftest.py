"""Agencies of both countries and one user per role, for the cases tests."""

import pytest

from tests.factories import AgencyFactory, CountryFactory, UserFactory


@pytest.fixture
def mx(db):
    return CountryFactory(code="MX", name="Mexico", name_es="México")


@pytest.fixture
def atf(db):
    return AgencyFactory(slug="us-atf", acronym="ATF")


@pytest.fixture
def hsi(db):
    return AgencyFactory(slug="us-hsi", acronym="HSI")


@pytest.fixture
def cbp(db):
    return AgencyFactory(slug="us-cbp", acronym="CBP")


@pytest.fixture
def fgr(mx):
    return AgencyFactory(slug="mx-fgr", acronym="FGR", country=mx)


@pytest.fixture
def sedena(mx):
    return AgencyFactory(slug="mx-sedena", acronym="SEDENA", country=mx)


@pytest.fixture
def coord_us(atf):
    return UserFactory(username="coordinator.us", role="coordinator", agency=atf)


@pytest.fixture
def coord_mx(fgr):
    return UserFactory(username="coordinator.mx", role="coordinator", agency=fgr, language="es")


@pytest.fixture
def coord_cbp(cbp):
    return UserFactory(username="coordinator.cbp", role="coordinator", agency=cbp)


@pytest.fixture
def liaison_us(hsi):
    return UserFactory(username="liaison.us", role="liaison-officer", agency=hsi)


@pytest.fixture
def liaison_atf(atf):
    return UserFactory(username="liaison.atf", role="liaison-officer", agency=atf)


@pytest.fixture
def staff(db):
    return UserFactory(username="admin.staff", role="admin-staff", agency=None)


@pytest.fixture
def nobody(atf):
    """Signed in, but in no role group: acts as public."""
    return UserFactory(username="no.role", agency=atf)
