"""The audit trail over the API (GET /api/v1/history/): admin staff only; who, when (UTC),
what action on which record, and each changed field's old and new value; filters; a fixed
number of queries per page."""

import datetime

import pytest

from agencies.models import Agency, Mandate
from tests.dates import days_from_today
from tests.factories import AgencyFactory, FunctionalAreaFactory, JurisdictionFactory, mexico, united_states

pytestmark = pytest.mark.django_db

URL = "/api/v1/history/"


@pytest.fixture
def catalog():
    united_states(), mexico()
    FunctionalAreaFactory(slug="firearms-tracing")
    AgencyFactory(slug="us-hsi")
    return AgencyFactory(slug="us-atf", acronym="ATF", name="Bureau of ATF")


def entries(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_only_admin_staff_read_the_trail(api, coordinator_api, liaison_api, admin_api):
    assert api.get(URL).status_code == 401
    assert coordinator_api.get(URL).status_code == 403
    assert liaison_api.get(URL).status_code == 403
    assert admin_api.get(URL).status_code == 200


def test_create_update_delete_say_who_when_and_what(admin_api, admin_user, catalog):
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    created = admin_api.post(
        "/api/v1/agencies/",
        {"slug": "us-dea", "name": "Drug Enforcement Administration", "level": "federal", "country": "US"},
        format="json",
    )
    assert created.status_code == 201
    changed = admin_api.patch("/api/v1/agencies/us-dea/", {"acronym": "DEA", "parent": "us-atf"}, format="json")
    assert changed.status_code == 200
    assert admin_api.delete("/api/v1/agencies/us-dea/").status_code == 204

    deleted, updated, made = entries(admin_api, model="agency", object="us-dea")
    assert [made["action"], updated["action"], deleted["action"]] == ["+", "~", "-"]
    assert [made["action_name"], updated["action_name"], deleted["action_name"]] == ["created", "changed", "deleted"]
    for entry in (made, updated, deleted):
        assert entry["user"] == admin_user.username
        assert entry["model"] == "agency"
        assert entry["object"] == "us-dea"
        when = datetime.datetime.fromisoformat(entry["date"].replace("Z", "+00:00"))
        assert when.utcoffset() == datetime.timedelta(0)
        assert when >= before
    assert {"field": "name", "old": None, "new": "Drug Enforcement Administration"} in made["changes"]
    assert {"field": "country", "old": None, "new": "US"} in made["changes"]
    # A foreign key shows as the related record's public identifier.
    assert updated["changes"] == [
        {"field": "acronym", "old": "", "new": "DEA"},
        {"field": "parent", "old": None, "new": "us-atf"},
    ]
    assert {"field": "acronym", "old": "DEA", "new": None} in deleted["changes"]


def test_many_to_many_changes_show_old_and_new_members(admin_api, catalog):
    JurisdictionFactory(code="US-TX", parent=united_states())
    response = admin_api.post(
        "/api/v1/mandates/",
        {"agency": "us-atf", "function": "firearms-tracing", "jurisdictions": ["US"], "role": "primary"},
        format="json",
    )
    mandate_id = response.json()["id"]
    admin_api.patch(f"/api/v1/mandates/{mandate_id}/", {"jurisdictions": ["US-TX", "MX"]}, format="json")
    trail = entries(admin_api, model="mandate", object=mandate_id)
    latest, first = trail[0], trail[-1]
    # Django's set() removes, then adds: the trail shows both steps.
    assert {"field": "jurisdictions", "old": [], "new": ["MX", "US-TX"]} in latest["changes"]
    assert any({"field": "jurisdictions", "old": ["US"], "new": []} in e["changes"] for e in trail)
    assert first["action"] == "+"
    assert {"field": "agency", "old": None, "new": "us-atf"} in first["changes"]


def test_filters_by_model_object_user_and_since(admin_api, admin_user, catalog, make_client):
    other_admin = type(admin_user).objects.create_user(username="second.admin", password="x" * 16)
    other_admin.groups.add(*admin_user.groups.all())
    other = make_client(other_admin)
    admin_api.patch("/api/v1/agencies/us-atf/", {"website": "https://www.atf.gov/"}, format="json")
    other.patch("/api/v1/jurisdictions/MX/", {"name": "United Mexican States"}, format="json")

    assert {e["model"] for e in entries(admin_api, model="jurisdiction", user="second.admin")} == {"jurisdiction"}
    by_user = entries(admin_api, user="second.admin")
    assert [(e["model"], e["object"]) for e in by_user] == [("jurisdiction", "MX")]
    by_object = entries(admin_api, object="us-atf")
    assert {(e["model"], e["object"]) for e in by_object} == {("agency", "us-atf")}
    agency = Agency.objects.get(slug="us-atf")
    assert entries(admin_api, model="agency", object_id=agency.pk) == entries(
        admin_api, model="agency", object="us-atf"
    )
    tomorrow = days_from_today(2).isoformat()
    assert entries(admin_api, since=tomorrow) == []
    assert len(entries(admin_api, since="2000-01-01T00:00:00Z")) == len(entries(admin_api))


@pytest.mark.parametrize(
    ("params", "field"),
    [({"model": "spaceship"}, "model"), ({"since": "last tuesday"}, "since"), ({"since": "2026-13-45"}, "since")],
)
def test_bad_filters_are_400_naming_the_field(admin_api, params, field):
    response = admin_api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_page_costs_the_same_queries_for_5_and_100_entries(admin_api, catalog, count_queries):
    tracing = "firearms-tracing"
    for n in range(6):
        JurisdictionFactory(code=f"US-S{n}", parent=united_states())
    started = datetime.datetime.now(datetime.UTC)
    for n in range(6):
        mandate = admin_api.post(
            "/api/v1/mandates/",
            {"agency": "us-atf", "function": tracing, "jurisdictions": ["US"], "role": "primary"},
            format="json",
        ).json()
        admin_api.patch(f"/api/v1/mandates/{mandate['id']}/", {"jurisdictions": [f"US-S{n}", "MX"]}, format="json")
        admin_api.patch("/api/v1/agencies/us-atf/", {"website": f"https://example.gov/{n}"}, format="json")
        admin_api.patch("/api/v1/functions/firearms-tracing/", {"name": f"Tracing {n}"}, format="json")
    assert Mandate.history.count() >= 8

    for params in [{"model": "mandate"}, {"model": "agency"}, {"model": "functionalarea"}]:
        small, small_count = count_queries(lambda p=params: admin_api.get(URL, {**p, "limit": 5}))
        large, large_count = count_queries(lambda p=params: admin_api.get(URL, {**p, "limit": 100}))
        assert len(small.json()["results"]) == 5
        assert len(large.json()["results"]) > 5
        assert small_count == large_count, (params, small_count, large_count)

    # Over every model, the cost depends on which models a page holds, never on its length:
    # one query per model on the page, plus one per many-to-many field it tracks.
    since = {"since": started.isoformat()}
    small, small_count = count_queries(lambda: admin_api.get(URL, {**since, "limit": 5}))
    large, large_count = count_queries(lambda: admin_api.get(URL, {**since, "limit": 100}))
    small_models = {e["model"] for e in small.json()["results"]}
    large_models = {e["model"] for e in large.json()["results"]}
    assert small_models >= {"mandate", "agency", "functionalarea"}
    assert len(large.json()["results"]) >= 20
    assert large_count - small_count <= 2 * len(large_models - small_models), (small_count, large_count)


# Refused by their shape, never compared with the clock.
NOT_RFC_3339 = ["20260131", "2026-W05-1", "2026-01-31T08:00:00", "2026-02-30", "yesterday"]  # any-date


@pytest.mark.parametrize("since", NOT_RFC_3339)
def test_since_is_rfc_3339_or_a_400_naming_it_in_the_users_language(admin_api, since):
    response = admin_api.get(URL, {"since": since}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response.json() == {"since": ["Indique una fecha (2026-01-31) o una fecha y hora (2026-01-31T08:00:00Z)."]}


def test_since_reads_a_day_or_a_moment_in_any_offset(admin_api, catalog):
    everything = entries(admin_api)
    assert everything
    last = datetime.datetime.fromisoformat(everything[0]["date"].replace("Z", "+00:00"))
    after = last + datetime.timedelta(seconds=1)
    in_mexico_city = after.astimezone(datetime.timezone(datetime.timedelta(hours=-6)))
    assert entries(admin_api, since=in_mexico_city.isoformat()) == []
    first = datetime.datetime.fromisoformat(everything[-1]["date"].replace("Z", "+00:00"))
    assert len(entries(admin_api, since=first.date().isoformat())) == len(everything)
