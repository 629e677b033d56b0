"""The agency list reads its page's ids and the number of matching agencies in one query
(agencies/api/views.py, PageWithItsCount): the count must still be the whole match's,
whatever the page, the filter or the search, and a page costs the same queries whatever
its length and whatever its agencies hold (other names, a parent)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, AgencyName
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
    mexico,
    united_states,
)

pytestmark = pytest.mark.django_db

FILTERED = {"function": "criminal-investigation", "jurisdiction": "US-TX"}


@pytest.fixture
def catalog():
    """12 Mexican state prosecutors with a Texas mandate (each with a parent and two other
    names), 3 with a mandate for another function, 4 without any."""
    investigation = FunctionalAreaFactory(slug="criminal-investigation")
    customs = FunctionalAreaFactory(slug="customs")
    texas = JurisdictionFactory(code="US-TX", parent=united_states())
    parent = AgencyFactory(slug="mx-fgr", name="Fiscalía General de la República", country=mexico())
    for n in range(12):
        agency = AgencyFactory(
            slug=f"mx-fiscalia-{n:02}",
            name=f"Fiscalia {n:02}",
            country=mexico(),
            level=Agency.Level.STATE,
            parent=parent,
        )
        MandateFactory(agency=agency, function=investigation, jurisdictions=[texas])
        AgencyNameFactory(agency=agency, name=f"FGE{n}", kind=AgencyName.Kind.ACRONYM)
        AgencyNameFactory(agency=agency, name=f"Procuraduría {n}", kind=AgencyName.Kind.FORMER)
    for n in range(3):
        MandateFactory(
            agency=AgencyFactory(slug=f"mx-aduana-{n}", country=mexico()), function=customs, jurisdictions=[texas]
        )
    for n in range(4):
        AgencyFactory(slug=f"us-idle-{n}")


def test_each_page_carries_the_count_of_the_whole_match(api, catalog):
    seen = []
    for offset in (0, 5, 10):
        page = api.get("/api/v1/agencies/", {**FILTERED, "limit": 5, "offset": offset}).json()
        assert page["count"] == 12
        seen += [row["slug"] for row in page["results"]]
    assert seen == [f"mx-fiscalia-{n:02}" for n in range(12)]  # by name, none twice, none lost
    last = api.get("/api/v1/agencies/", {**FILTERED, "limit": 5, "offset": 10}).json()
    assert last["next"] is None and "offset=5" in last["previous"]


def test_a_page_past_the_end_is_empty_and_still_counted(api, catalog):
    page = api.get("/api/v1/agencies/", {**FILTERED, "offset": 40}).json()
    assert page == {"count": 12, "next": None, "previous": page["previous"], "results": []}
    assert page["previous"] is not None


def test_no_match_counts_zero(api, catalog):
    page = api.get("/api/v1/agencies/", {"function": "customs", "jurisdiction": "MX-NOWHERE"}).json()
    assert page["count"] == 0 and page["results"] == []
    page = api.get("/api/v1/agencies/", {"q": "no such agency anywhere"}).json()
    assert page["count"] == 0 and page["results"] == []


def test_the_count_follows_every_filter_and_the_search(api, catalog):
    total = Agency.objects.count()
    assert api.get("/api/v1/agencies/", {"limit": 3}).json()["count"] == total
    assert api.get("/api/v1/agencies/", {"function": "customs", "limit": 1}).json()["count"] == 3
    assert api.get("/api/v1/agencies/", {"jurisdiction": "US-TX", "limit": 1}).json()["count"] == 15
    assert api.get("/api/v1/agencies/", {"parent": "mx-fgr", "limit": 2}).json()["count"] == 12
    searched = api.get("/api/v1/agencies/", {"q": "fiscalia", "limit": 4}).json()
    assert searched["count"] == 13  # the twelve and their parent
    assert len(searched["results"]) == 4


def selects(call) -> tuple:
    """The response and the number of SELECTs it ran (a test's enclosing transaction adds
    a savepoint around each read)."""
    with CaptureQueriesContext(connection) as context:
        response = call()
    return response, sum(query["sql"].lstrip().upper().startswith("SELECT") for query in context.captured_queries)


@pytest.mark.parametrize("params", [FILTERED, {"q": "fiscalia"}, {}])
def test_a_page_costs_the_same_queries_for_2_and_50_agencies(api, catalog, params):
    small, small_count = selects(lambda: api.get("/api/v1/agencies/", {**params, "limit": 2}))
    large, large_count = selects(lambda: api.get("/api/v1/agencies/", {**params, "limit": 50}))
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) >= 12
    assert small_count == large_count
    # The page's ids with the count, the page's rows, and its agencies' other names; plus the
    # jurisdiction looked up by its code.
    assert large_count == 3 + ("jurisdiction" in params)
