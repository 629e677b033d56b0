"""?ordering= on every list endpoint: each field the schema names sorts the list (both ways),
a field it does not name is refused with 400 naming it in the reader's language, a list
sorted by a related field still runs the same queries whatever the page size, and a
single object answers 304 to an If-None-Match holding its current ETag."""

import re

import pytest
from django.urls import get_resolver

from cases.models import ActionItem, Case
from registry.api.ordering import ordering_pattern
from tests.cases.factories import ActionItemFactory, CaseFactory
from tests.conftest import client_for
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema_lists(django_db_setup, django_db_blocker):
    """Every list operation of the schema with the fields its ?ordering= names."""
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        document = SchemaGenerator().get_schema(request=None, public=True)
    lists = {}
    for path, item in document["paths"].items():
        get = item.get("get")
        if not get or "{" in path:
            continue
        ordering = [p for p in get.get("parameters", []) if p["name"] == "ordering"]
        if ordering or any(p["name"] == "limit" for p in get.get("parameters", [])):
            lists[path] = ordering[0] if ordering else None
    return lists


MAIN_LISTS = [
    "/api/v1/jurisdictions/",
    "/api/v1/functions/",
    "/api/v1/agencies/",
    "/api/v1/agency-names/",
    "/api/v1/identifiers/",
    "/api/v1/mandates/",
    "/api/v1/offices/",
    "/api/v1/contacts/",
    "/api/v1/counterpart-links/",
    "/api/v1/cases/",
    "/api/v1/action-items/",
    "/api/v1/flags/",
]


def fields_of(parameter) -> list[str]:
    return re.findall(r"[a-z_]+", parameter["schema"]["pattern"].split("(,")[0])


@pytest.mark.parametrize("path", MAIN_LISTS)
def test_each_list_documents_its_ordering_and_each_field_sorts_both_ways(schema_lists, path, admin_api):
    parameter = schema_lists[path]
    assert parameter is not None, f"{path} documents no ?ordering="
    fields = fields_of(parameter)
    assert fields and parameter["description"]
    assert parameter["schema"]["pattern"] == ordering_pattern(fields)
    for field in fields:
        for term in (field, f"-{field}"):
            response = admin_api.get(path, {"ordering": term})
            assert response.status_code == 200, (path, term, response.content[:300])


@pytest.mark.parametrize("path", MAIN_LISTS)
def test_an_unknown_field_is_refused_naming_it_in_spanish(path, admin_api):
    response = admin_api.get(path, {"ordering": "password"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert "password" in message and "No se puede ordenar" in message
    assert admin_api.get(path, {"ordering": "-"}).status_code == 400
    assert admin_api.get(path + "?ordering=a&ordering=b").status_code == 400


def test_cases_sort_by_title_both_ways_and_by_lead_agency(admin_api):
    atf, cbp = AgencyFactory(slug="us-atf"), AgencyFactory(slug="us-cbp")
    for title, lead in [("Bravo", cbp), ("Alfa", atf), ("Charlie", atf)]:
        CaseFactory(title=title, lead_agency=lead)

    def titles(ordering):
        return [c["title"] for c in admin_api.get("/api/v1/cases/", {"ordering": ordering}).json()["results"]]

    assert titles("title") == ["Alfa", "Bravo", "Charlie"]
    assert titles("-title") == ["Charlie", "Bravo", "Alfa"]
    assert titles("-lead_agency,title") == ["Bravo", "Alfa", "Charlie"]


def test_action_items_sort_by_priority_rank_not_alphabet(admin_api):
    case = CaseFactory()
    for priority in ("low", "urgent", "normal", "high"):
        ActionItemFactory(case=case, owner=case.lead_agency, priority=priority, title=priority)
    listed = admin_api.get("/api/v1/action-items/", {"ordering": "-priority"}).json()["results"]
    assert [i["priority"] for i in listed] == ["urgent", "high", "normal", "low"]


@pytest.mark.parametrize(
    "url, ordering",
    [("/api/v1/cases/", "-lead_agency,title"), ("/api/v1/action-items/", "owner,-priority,due_date")],
)
def test_a_sorted_list_runs_the_same_queries_for_5_and_100_rows(url, ordering, count_queries):
    atf, hsi = AgencyFactory(slug="us-atf"), AgencyFactory(slug="us-hsi")
    coordinator = UserFactory(role="coordinator", agency=atf)
    for n in range(12):
        case = CaseFactory(title=f"Bulk {n}", lead_agency=atf if n % 2 else hsi, sensitivity="public")
        ActionItemFactory(case=case, owner=atf, title=f"item {n}")
    client = client_for(coordinator)
    client.get(url, {"limit": 1, "ordering": ordering})  # warm the role and token caches
    small, small_queries = count_queries(lambda: client.get(url, {"limit": 5, "ordering": ordering}))
    large, large_queries = count_queries(lambda: client.get(url, {"limit": 100, "ordering": ordering}))
    assert small.status_code == large.status_code == 200
    assert len(large.json()["results"]) == 12
    assert small_queries == large_queries


def test_sorting_never_shows_a_case_the_user_may_not_see():
    atf, other = AgencyFactory(slug="us-atf"), AgencyFactory(slug="mx-other")
    hidden = CaseFactory(title="Aaa hidden", lead_agency=other, sensitivity=Case.Sensitivity.RESTRICTED)
    ActionItemFactory(case=hidden, owner=other, title="Aaa hidden item")
    CaseFactory(title="Zzz ours", lead_agency=atf)
    client = client_for(UserFactory(role="coordinator", agency=atf))
    for ordering in ("title", "-title", "lead_agency", "-updated_at"):
        listed = client.get("/api/v1/cases/", {"ordering": ordering}).json()
        assert [c["title"] for c in listed["results"]] == ["Zzz ours"] and listed["count"] == 1
    assert client.get("/api/v1/action-items/", {"ordering": "title"}).json()["count"] == 0
    assert ActionItem.objects.count() == 1


# ------------------------------------------------------------------ 304 Not Modified


@pytest.mark.parametrize("path", ["/api/v1/agencies/us-atf/", "/api/v1/cases/{case}/", "/api/v1/action-items/{item}/"])
def test_if_none_match_with_the_current_etag_answers_304_and_a_stale_one_the_object(path, admin_api):
    case = CaseFactory(lead_agency=AgencyFactory(slug="us-atf"))
    item = ActionItemFactory(case=case, owner=case.lead_agency)
    url = path.format(case=case.pk, item=item.pk)
    first = admin_api.get(url)
    etag = first["ETag"]
    again = admin_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert admin_api.get(url, HTTP_IF_NONE_MATCH=f'"stale", W/{etag}').status_code == 304
    stale = admin_api.get(url, HTTP_IF_NONE_MATCH='"stale"')
    assert stale.status_code == 200 and stale.json() == first.json()


def test_if_none_match_never_reveals_a_case_the_user_may_not_see(admin_api):
    hidden = CaseFactory(lead_agency=AgencyFactory(slug="mx-other"), sensitivity=Case.Sensitivity.RESTRICTED)
    etag = admin_api.get(f"/api/v1/cases/{hidden.pk}/")["ETag"]
    outsider = client_for(UserFactory(role="coordinator", agency=AgencyFactory(slug="us-atf")))
    assert outsider.get(f"/api/v1/cases/{hidden.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_every_list_route_is_in_the_checked_lists(schema_lists):
    """A new list endpoint must join MAIN_LISTS (and so get its ?ordering=), or be one of the
    lists that keep their own order (nested lists, the history, the counterparts ranking)."""
    own_order = {"/api/v1/history/"}
    assert get_resolver() is not None
    assert set(schema_lists) - own_order <= set(MAIN_LISTS), set(schema_lists) - own_order - set(MAIN_LISTS)
