"""The agency list at national scale (issue 20): a page is read off the (name, id) index in
the list's order, the count of a filter and the page as sent are kept under the catalog's
version (agencies/cache.py), and every catalog write, bulk imports included, is visible at
once. Pages carry an ETag of their bytes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, AgencyName
from interchange.importers import import_catalog
from tests.factories import AgencyFactory, AgencyNameFactory, FunctionalAreaFactory, MandateFactory, mexico

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    investigation = FunctionalAreaFactory(slug="criminal-investigation")
    for n in range(6):
        MandateFactory(
            agency=AgencyFactory(slug=f"mx-fiscalia-{n}", name=f"Fiscalia {n}", country=mexico()),
            function=investigation,
        )
    return investigation


def selects(call) -> tuple:
    with CaptureQueriesContext(connection) as context:
        response = call()
    return response, sum(q["sql"].lstrip().upper().startswith("SELECT") for q in context.captured_queries)


def test_the_same_page_asked_again_is_served_as_kept(api, catalog):
    first, first_selects = selects(lambda: api.get("/api/v1/agencies/", {"function": "criminal-investigation"}))
    again, again_selects = selects(lambda: api.get("/api/v1/agencies/", {"function": "criminal-investigation"}))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and first["ETag"] == again["ETag"]
    assert first_selects >= 2 and again_selects == 0
    assert again["Content-Type"] == "application/json"


def test_a_client_with_the_current_page_gets_304(api, catalog):
    etag = api.get("/api/v1/agencies/").headers["ETag"]
    assert api.get("/api/v1/agencies/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    AgencyFactory(slug="us-new", name="Another agency")
    fresh = api.get("/api/v1/agencies/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert "us-new" in {row["slug"] for row in fresh.json()["results"]}


def test_every_catalog_write_shows_at_once(api, catalog):
    assert api.get("/api/v1/agencies/", {"q": "procuraduria"}).json()["count"] == 0
    AgencyNameFactory(
        agency=Agency.objects.get(slug="mx-fiscalia-0"), name="Procuraduría 0", kind=AgencyName.Kind.FORMER
    )
    assert api.get("/api/v1/agencies/", {"q": "procuraduria"}).json()["count"] == 1  # other names count
    listed = api.get("/api/v1/agencies/", {"function": "criminal-investigation", "limit": 2})
    assert listed.json()["count"] == 6
    MandateFactory(agency=AgencyFactory(slug="mx-fiscalia-9", name="Fiscalia 9", country=mexico()), function=catalog)
    assert api.get("/api/v1/agencies/", {"function": "criminal-investigation", "limit": 2}).json()["count"] == 7
    Agency.objects.filter(slug="mx-fiscalia-9").update(name="Fiscalia 9b")  # no signal
    # An update the signals do not see is bounded by the minute the entries live (not
    # measured here: no test depends on a clock); the writes of the app itself go through
    # save() or the importer, which both forget the kept pages.


def test_a_bulk_import_is_seen_by_the_next_read(api, catalog):
    assert api.get("/api/v1/agencies/", {"country": "MX"}).json()["count"] == 6
    rows = "slug,name,country,level\nmx-imported,Agencia importada,MX,federal\n"
    report = import_catalog(resource="agencies", content=rows.encode(), filename="agencies.csv", apply=True)
    assert report.applied, (report.file_errors, [row.messages for row in report.rows])
    listed = api.get("/api/v1/agencies/", {"country": "MX"}).json()
    assert listed["count"] == 7 and "mx-imported" in {row["slug"] for row in listed["results"]}


def test_agencies_with_the_same_name_never_show_twice_across_pages(api, db):
    for n in range(5):
        AgencyFactory(slug=f"us-same-{n}", name="Same name")
    seen = [api.get("/api/v1/agencies/", {"limit": 1, "offset": n}).json()["results"][0]["slug"] for n in range(5)]
    assert sorted(seen) == [f"us-same-{n}" for n in range(5)]


def test_the_list_order_is_read_off_its_index(db):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    for n in range(30):
        AgencyFactory(slug=f"us-agency-{n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_agency")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a 30-row table would be scanned whatever the index
        sql, params = Agency.objects.order_by("name", "id").values("id")[:50].query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "agency_name_id" in plan and "Sort" not in plan, plan
