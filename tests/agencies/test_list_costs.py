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


@pytest.mark.parametrize(("path", "params"), PATHS)
def test_a_filtered_list_costs_the_same_queries_for_3_and_60_agencies(
    catalog, liaison_api, count_queries, path, params
):
    catalog(3)
    small, small_count = count_queries(lambda: liaison_api.get(path, params))
    catalog(57)
    large, large_count = count_queries(lambda: liaison_api.get(path, params))
    assert small.status_code == large.status_code == 200
    assert small.json()["count"] >= 3
    assert large.json()["count"] >= 60
    assert small_count == large_count


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
