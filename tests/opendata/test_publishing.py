"""One publishing path: a dataset downloaded from the open-data page and the same list from
the API with `?format=csv` are the same file (columns, list separator, byte-order mark,
formula neutralisation), the whole dataset, streamed in a constant number of queries."""

import csv
import io

import pytest

from agencies.models import Agency
from opendata import datasets
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

API_LISTS = ["agencies", "agency-names", "functions", "jurisdictions", "mandates", "offices", "counterpart-links"]


def body(response) -> bytes:
    assert response.status_code == 200
    return response.getvalue()


def rows_of(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", API_LISTS)
def test_the_page_and_the_api_give_the_same_file(catalog, anonymous, name):
    page = body(anonymous.get(f"/open-data/{name}.csv"))
    api = body(anonymous.get(f"/api/v1/{name}/?format=csv"))

    assert page == api
    assert page.startswith("\ufeff".encode()), "one encoding choice: UTF-8 with a byte-order mark"
    assert len(rows_of(page)) == datasets.get(name).count() > 0


def test_lists_are_joined_the_same_way_everywhere(catalog, anonymous):
    Agency.objects.filter(pk=catalog.fgr.pk).update(sources=["https://www.gob.mx/fgr", "https://www.fgr.org.mx"])

    page = {r["slug"]: r for r in rows_of(body(anonymous.get("/open-data/agencies.csv")))}
    api = {r["slug"]: r for r in rows_of(body(anonymous.get("/api/v1/agencies/?format=csv")))}

    assert page["mx-fgr"]["sources"] == api["mx-fgr"]["sources"] == "https://www.gob.mx/fgr | https://www.fgr.org.mx"


def test_the_api_csv_is_the_whole_filtered_list_not_its_first_page(catalog, anonymous):
    for n in range(60):
        AgencyFactory(slug=f"us-extra-{n:02d}", name=f"Extra office {n}", country=catalog.us)
    total = Agency.objects.count()

    response = anonymous.get("/api/v1/agencies/?format=csv")
    mexican = rows_of(body(anonymous.get("/api/v1/agencies/?format=csv&country=MX")))

    assert response.streaming, "streamed row by row, not built in memory"
    assert len(rows_of(body(response))) == total > 50
    assert {r["country"] for r in mexican} == {"MX"}
    assert len(mexican) == Agency.objects.filter(country__code="MX").count() > 0


def test_with_limit_or_offset_the_api_csv_is_that_page(catalog, anonymous):
    page = rows_of(body(anonymous.get("/api/v1/agencies/?format=csv&limit=2")))
    rest = rows_of(body(anonymous.get("/api/v1/agencies/?format=csv&limit=2&offset=2")))

    assert len(page) == len(rest) == 2
    assert {r["slug"] for r in page}.isdisjoint({r["slug"] for r in rest})


def test_a_download_runs_a_constant_number_of_queries(catalog, anonymous, count_queries):
    _, few = count_queries(lambda: body(anonymous.get("/open-data/agencies.csv")))
    _, few_api = count_queries(lambda: body(anonymous.get("/api/v1/agencies/?format=csv")))
    for n in range(40):
        AgencyFactory(slug=f"us-more-{n:02d}", country=catalog.us)

    _, many = count_queries(lambda: body(anonymous.get("/open-data/agencies.csv")))
    _, many_api = count_queries(lambda: body(anonymous.get("/api/v1/agencies/?format=csv")))

    assert (few, few_api) == (many, many_api)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_formula_is_neutralised_in_every_format_from_every_door(catalog, anonymous, fmt):
    Agency.objects.filter(pk=catalog.fgr.pk).update(name="=HYPERLINK(1)")

    page = body(anonymous.get(f"/open-data/agencies.{fmt}")).decode("utf-8-sig")

    if fmt == "csv":
        assert "'=HYPERLINK(1)" in page
        assert page == body(anonymous.get("/api/v1/agencies/?format=csv")).decode("utf-8-sig")
    else:
        assert '"=HYPERLINK(1)"' in page, "JSON is data, not a spreadsheet: kept as it is, as the API does"
