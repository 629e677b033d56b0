"""The catalog lists the bench times (issue 7) cost the same number of queries whatever the
size of the catalog, and PostgreSQL has an index for each of their filters."""

import pytest
from django.db import connection

from agencies.models import Agency
from tests.factories import (
    AgencyFactory,
    ContactFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
    mexico,
    united_states,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    """Grows the catalog by `count` agencies, each with a Texas mandate, two liaisons and a
    Fiscalía name, and answers the paths the bench times."""
    tracing = FunctionalAreaFactory(slug="criminal-investigation")
    texas = JurisdictionFactory(code="US-TX", parent=united_states())
    home = AgencyFactory(slug="mx-home", country=mexico())
    made = [0]

    def grow(count):
        for _ in range(count):
            n = made[0] = made[0] + 1
            agency = AgencyFactory(
                slug=f"mx-fiscalia-{n}", name_es=f"Fiscalía Número {n}", country=mexico(), level=Agency.Level.STATE
            )
            MandateFactory(agency=agency, function=tracing, jurisdictions=[texas])
            ContactFactory(agency=home, functions=[tracing])
            ContactFactory(agency=home, functions=[tracing])

    return grow


PATHS = [
    ("/api/v1/agencies/", {"q": "fiscalia"}),
    ("/api/v1/agencies/", {"function": "criminal-investigation", "jurisdiction": "us-tx"}),
    ("/api/v1/contacts/", {"agency": "mx-home", "function": "criminal-investigation"}),
    ("/api/v1/mandates/", {"function": "criminal-investigation", "jurisdiction": "US-TX"}),
]


def test_the_filtered_lists_cost_the_same_queries_for_3_and_60_agencies(catalog, liaison_api, count_queries):
    """Every timed list, measured at both sizes of one catalog (growing it is the slow part)."""

    def measure() -> dict[str, tuple[int, int, int]]:
        costs = {}
        for path, params in PATHS:
            response, queries = count_queries(lambda path=path, params=params: liaison_api.get(path, params))
            costs[f"{path}?{params}"] = (response.status_code, response.json()["count"], queries)
        return costs

    catalog(3)
    small = measure()
    catalog(57)
    large = measure()
    for name, (status, count, queries) in small.items():
        assert status == large[name][0] == 200, name
        assert count >= 3 and large[name][1] >= 60, name
        assert queries == large[name][2], name


def test_postgresql_has_an_index_for_every_filter_of_the_timed_lists():
    if connection.vendor != "postgresql":
        pytest.skip("index names are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'agencies_%'")
        definitions = dict(cursor.fetchall())
        cursor.execute("SHOW random_page_cost")
        (page_cost,) = cursor.fetchone()
    for index in ["agency", "contact", "office", "jurisdiction", "agencyname"]:
        assert "gin_trgm_ops" in definitions[f"{index}_search_text_trgm"]
    assert "upper" in definitions["jurisdiction_code_upper"].lower()
    assert "(kind)" in definitions["agency_kind"]
    # Read from memory: every connection tells the planner so (settings), so the indexes are used.
    assert float(page_cost) == 1.1
