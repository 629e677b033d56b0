"""The cases API of API.md: visibility for every role on every endpoint, rights (403),
validation (400 naming the field), ETag/If-Match, filters, read audit and query counts."""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from cases import services
from cases.models import ActionItem, Case, CaseParticipant, CaseReadLog
from tests.cases.factories import (
    ActionItemFactory,
    ActionUpdateFactory,
    CaseFactory,
    ParticipantFactory,
    SubjectFactory,
)
from tests.conftest import client_for
from tests.dates import days_from_today
from tests.factories import AgencyFactory, ContactFactory, FunctionalAreaFactory, JurisdictionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(atf, hsi, cbp, fgr):
    """A restricted case led by ATF with HSI taking part, and a public case led by CBP; each
    with a subject, an action item and an update; and a case-less commitment of FGR."""
    restricted = CaseFactory(title="Restricted rifles", lead_agency=atf, sensitivity="restricted")
    ParticipantFactory(case=restricted, agency=hsi)
    public = CaseFactory(title="Public outreach", lead_agency=cbp, sensitivity="public")
    restricted_subject = SubjectFactory(case=restricted, identifier="R-1")
    public_subject = SubjectFactory(case=public, identifier="P-1")
    restricted_item = ActionItemFactory(case=restricted, owner=atf, title="Trace the rifles")
    public_item = ActionItemFactory(case=public, owner=cbp, title="Train inspectors")
    commitment = ActionItemFactory(case=None, owner=fgr, title="Share ballistic data")
    for item in (restricted_item, public_item, commitment):
        ActionUpdateFactory(item=item)
    return {
        "restricted": restricted,
        "public": public,
        "restricted_subject": restricted_subject,
        "public_subject": public_subject,
        "restricted_item": restricted_item,
        "public_item": public_item,
        "commitment": commitment,
    }


def restricted_urls(w):
    case, subject, item = w["restricted"], w["restricted_subject"], w["restricted_item"]
    return [
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/cases/{case.pk}/participants/",
        f"/api/v1/cases/{case.pk}/subjects/",
        f"/api/v1/cases/{case.pk}/subjects/{subject.pk}/",
        f"/api/v1/action-items/{item.pk}/",
        f"/api/v1/action-items/{item.pk}/updates/",
    ]


def public_urls(w):
    case, subject, item = w["public"], w["public_subject"], w["public_item"]
    return [
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/cases/{case.pk}/participants/",
        f"/api/v1/cases/{case.pk}/subjects/",
        f"/api/v1/cases/{case.pk}/subjects/{subject.pk}/",
        f"/api/v1/action-items/{item.pk}/",
        f"/api/v1/action-items/{item.pk}/updates/",
        f"/api/v1/action-items/{w['commitment'].pk}/",
    ]


LISTS = ["/api/v1/cases/", "/api/v1/action-items/"]

# Who sees the restricted case: admin staff and users of participating agencies (ATF, HSI).
INSIDERS = ["staff", "coord_us", "liaison_atf", "liaison_us"]
OUTSIDERS = ["coord_mx", "coord_cbp"]


def test_anonymous_gets_401_everywhere(api, world):
    for url in [*restricted_urls(world), *public_urls(world), *LISTS]:
        assert api.get(url).status_code == 401, url


def test_a_user_without_role_gets_403(world, nobody):
    client = client_for(nobody)
    for url in [*public_urls(world), *LISTS]:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", INSIDERS)
def test_insiders_see_the_restricted_case_everywhere(who, request, world):
    client = client_for(request.getfixturevalue(who))
    for url in [*restricted_urls(world), *public_urls(world)]:
        assert client.get(url).status_code == 200, url
    cases = client.get("/api/v1/cases/").json()
    assert cases["count"] == 2
    assert {row["reference"] for row in cases["results"]} == {world["restricted"].reference, world["public"].reference}
    items = client.get("/api/v1/action-items/").json()
    assert items["count"] == 3


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_and_never_see_it_counted(who, request, world):
    client = client_for(request.getfixturevalue(who))
    for url in restricted_urls(world):
        response = client.get(url)
        assert response.status_code == 404, url
        assert world["restricted"].reference not in response.content.decode()
    for url in public_urls(world):
        assert client.get(url).status_code == 200, url
    cases = client.get("/api/v1/cases/").json()
    assert cases["count"] == 1 and cases["results"][0]["reference"] == world["public"].reference
    items = client.get("/api/v1/action-items/").json()
    assert items["count"] == 2
    assert world["restricted_item"].pk not in {row["id"] for row in items["results"]}
    # Filters do not reveal it either.
    assert client.get(f"/api/v1/action-items/?case={world['restricted'].pk}").json()["count"] == 0
    assert client.get("/api/v1/cases/?lead_agency=us-atf").json()["count"] == 0


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_write_to_the_restricted_case(who, request, world, fgr):
    client = client_for(request.getfixturevalue(who))
    case = world["restricted"]
    assert client.patch(f"/api/v1/cases/{case.pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/cases/{case.pk}/close/").status_code == 404
    body = {"agency": "mx-fgr", "role": "support"}
    assert client.post(f"/api/v1/cases/{case.pk}/participants/", body, format="json").status_code == 404
    body = {"kind": "phone", "identifier": "915 555 0143"}
    assert client.post(f"/api/v1/cases/{case.pk}/subjects/", body, format="json").status_code == 404
    item = world["restricted_item"]
    assert client.post(f"/api/v1/action-items/{item.pk}/updates/", {"text": "x"}, format="json").status_code == 404
    body = {"title": "x", "owner": "mx-fgr", "case": case.pk}
    response = client.post("/api/v1/action-items/", body, format="json")
    assert response.status_code == 400 and "case" in response.json()


def test_the_restricted_case_appears_when_the_agency_is_added(world, coord_us, coord_mx):
    case = world["restricted"]
    mx_client = client_for(coord_mx)
    assert mx_client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    response = client_for(coord_us).post(
        f"/api/v1/cases/{case.pk}/participants/", {"agency": "mx-fgr", "role": "support"}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {"agency": "mx-fgr", "role": "support", "contact": None}
    detail = mx_client.get(f"/api/v1/cases/{case.pk}/")
    assert detail.status_code == 200
    assert {p["agency"] for p in detail.json()["participants"]} == {"us-atf", "us-hsi", "mx-fgr"}
    assert client_for(coord_us).delete(f"/api/v1/cases/{case.pk}/participants/mx-fgr/").status_code == 204
    assert mx_client.get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_a_participant_posted_without_a_role_supports_and_bad_input_names_its_field(world, coord_us):
    """Issue 13: {"agency"} alone was a 500 (TypeError: the service wanted a role the schema left optional)."""
    case = world["restricted"]
    client = client_for(coord_us)
    url = f"/api/v1/cases/{case.pk}/participants/"
    response = client.post(url, {"agency": "mx-fgr"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"agency": "mx-fgr", "role": "support", "contact": None}
    assert case.participants.get(agency__slug="mx-fgr").role == CaseParticipant.Role.SUPPORT
    for body, field in [
        ({}, "agency"),
        ({"agency": "no-such-agency"}, "agency"),
        ({"agency": "us-cbp", "role": "boss"}, "role"),
        ({"agency": "us-cbp", "contact": "x"}, "contact"),
        ({"agency": ["us-cbp"]}, "agency"),
    ]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)


def test_a_patch_of_a_caseless_action_item_answers_case_reference_null(world, coord_us):
    """The schema requires case_reference (nullable); a partial update left it out when case was null."""
    item = world["commitment"]
    assert item.case_id is None
    response = client_for(coord_us).patch(f"/api/v1/action-items/{item.pk}/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["case_reference"] is None


# ------------------------------------------------------------------ rights (403) and validation (400)


def test_liaison_of_a_participant_reads_but_cannot_edit_the_case(world, liaison_us):
    client = client_for(liaison_us)
    case = world["restricted"]
    assert client.patch(f"/api/v1/cases/{case.pk}/", {"title": "x"}, format="json").status_code == 403
    body = {"agency": "mx-fgr", "role": "support"}
    assert client.post(f"/api/v1/cases/{case.pk}/participants/", body, format="json").status_code == 403
    # ... but adds subjects to its agency's case.
    body = {
        "kind": "firearm",
        "identifier": "ab-123 45",
        "make": "Glock",
        "recovered_in": "MX",
        "trace_status": "requested",
    }
    response = client.post(f"/api/v1/cases/{case.pk}/subjects/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["normalized_key"] == "GLOCK:AB12345"
    assert response.json()["recovered_in"] == "MX"


def test_admin_staff_reads_all_but_writes_no_case(world, staff):
    client = client_for(staff)
    case = world["restricted"]
    assert client.patch(f"/api/v1/cases/{case.pk}/", {"title": "x"}, format="json").status_code == 403
    body = {"title": "x", "summary": "", "sensitivity": "public"}
    assert client.post("/api/v1/cases/", body, format="json").status_code == 403


def test_coordinator_creates_a_case_with_another_lead(coord_mx, atf, fgr):
    body = {"title": "Led by ATF", "sensitivity": "restricted", "lead_agency": "us-atf", "jurisdictions": []}
    response = client_for(coord_mx).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["lead_agency"] == "us-atf"
    assert {(p["agency"], p["role"]) for p in data["participants"]} == {("us-atf", "lead"), ("mx-fgr", "support")}
    assert data["reference"].startswith(f"ENL-{timezone.localdate().year}-")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "sensitivity": "public"}, "title"),
        ({"title": "x", "sensitivity": "secret"}, "sensitivity"),
        ({"title": "x"}, "sensitivity"),
        ({"title": "x", "sensitivity": "public", "lead_agency": "nope"}, "lead_agency"),
        ({"title": "x", "sensitivity": "public", "status": "closed"}, "status"),
        ({"title": "x", "sensitivity": "public", "jurisdictions": ["XX-NOPE"]}, "jurisdictions"),
    ],
)
def test_case_create_names_the_bad_field(coord_us, body, field):
    response = client_for(coord_us).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_case_delete_is_refused(world, coord_us):
    response = client_for(coord_us).delete(f"/api/v1/cases/{world['restricted'].pk}/")
    assert response.status_code == 405
    assert Case.objects.filter(pk=world["restricted"].pk).exists()


def test_close_and_archive_through_the_api(world, coord_us):
    client = client_for(coord_us)
    case = world["restricted"]
    assert client.post(f"/api/v1/cases/{case.pk}/archive/").status_code == 400
    response = client.post(f"/api/v1/cases/{case.pk}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert client.post(f"/api/v1/cases/{case.pk}/archive/").json()["status"] == "archived"


def test_case_etag_and_if_match(world, coord_us):
    client = client_for(coord_us)
    url = f"/api/v1/cases/{world['restricted'].pk}/"
    etag = client.get(url)["ETag"]
    assert etag
    response = client.patch(url, {"title": "First"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    response = client.patch(url, {"title": "Second"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Case.objects.get(pk=world["restricted"].pk).title == "First"


def test_subject_validation_names_the_field(world, coord_us):
    url = f"/api/v1/cases/{world['restricted'].pk}/subjects/"
    client = client_for(coord_us)
    response = client.post(url, {"kind": "phone", "identifier": "12"}, format="json")
    assert response.status_code == 400 and "identifier" in response.json()
    response = client.post(url, {"kind": "firearm", "identifier": "A1"}, format="json")
    assert response.status_code == 400 and "make" in response.json()
    response = client.post(url, {"kind": "rocket", "identifier": "A1"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()


def test_subject_patch_and_delete(world, coord_us, liaison_us):
    subject = world["restricted_subject"]
    url = f"/api/v1/cases/{world['restricted'].pk}/subjects/{subject.pk}/"
    response = client_for(liaison_us).patch(url, {"trace_status": "completed"}, format="json")
    assert response.status_code == 200 and response.json()["trace_status"] == "completed"
    assert client_for(liaison_us).delete(url).status_code == 403
    assert client_for(coord_us).delete(url).status_code == 204


# ------------------------------------------------------------------ action items


def test_create_an_action_item(world, coord_us):
    function = FunctionalAreaFactory(slug="firearms-tracing")
    contact = ContactFactory(agency=world["restricted"].lead_agency)
    body = {
        "title": "Submit eTrace requests",
        "case": world["restricted"].pk,
        "owner": "us-atf",
        "assignee": contact.pk,
        "supporting_agencies": ["us-hsi"],
        "function": function.slug,
        "theme": "forensics-data-sharing",
        "priority": "high",
        "due_date": days_from_today(30).isoformat(),
    }
    response = client_for(coord_us).post("/api/v1/action-items/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "open" and data["overdue"] is False
    assert data["due_date"] == body["due_date"]
    assert data["supporting_agencies"] == ["us-hsi"] and data["function"] == "firearms-tracing"
    assert data["case_reference"] == world["restricted"].reference


def test_bad_theme_is_a_400(world, coord_us):
    body = {"title": "x", "owner": "us-atf", "theme": "world-peace"}
    response = client_for(coord_us).post("/api/v1/action-items/", body, format="json")
    assert response.status_code == 400 and "theme" in response.json()


def test_transition_through_patch(world, liaison_atf):
    client = client_for(liaison_atf)
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    response = client.patch(url, {"status": "in-progress"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "in-progress"
    response = client.patch(url, {"status": "blocked"}, format="json")
    assert response.status_code == 400 and "status_reason" in response.json()
    response = client.patch(url, {"status": "done"}, format="json")
    assert response.status_code == 200 and response.json()["completed_at"]
    response = client.patch(url, {"status": "open"}, format="json")
    assert response.status_code == 400
    assert "finished" in response.json()["status"][0]
    timeline = client.get(url + "updates/").json()["results"]
    assert [(e["old_status"], e["new_status"]) for e in timeline if e["new_status"]] == [
        ("open", "in-progress"),
        ("in-progress", "done"),
    ]


def test_illegal_transition_names_the_allowed_ones(world, liaison_atf):
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    response = client_for(liaison_atf).patch(url, {"status": "done"}, format="json")
    assert response.status_code == 400
    message = response.json()["status"][0]
    # Statuses by their labels, in the reader's language: never the slugs.
    assert "In progress" in message and "Blocked" in message and "Cancelled" in message


def test_liaison_of_the_owner_cannot_edit_fields(world, liaison_atf):
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    assert client_for(liaison_atf).patch(url, {"title": "x"}, format="json").status_code == 403


def test_liaison_of_another_agency_cannot_move_it(world, liaison_us):
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    assert client_for(liaison_us).patch(url, {"status": "in-progress"}, format="json").status_code == 403


def test_an_item_made_case_less_would_be_public_so_its_case_is_fixed(world, coord_us, coord_mx):
    """The issue's leak: a participant's coordinator PATCHed an item of a restricted case to
    `"case": null`, and every signed-in user could then read it."""
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    response = client_for(coord_us).patch(url, {"case": None}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["case"]
    assert "stays in the case it was created in" in response.json()["case"][0]
    assert ActionItem.objects.get(pk=world["restricted_item"].pk).case_id == world["restricted"].pk
    assert client_for(coord_mx).get(url).status_code == 404


def test_an_items_case_is_fixed_in_spanish_too_and_unchanged_values_pass(world, coord_us):
    client = client_for(coord_us)
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    response = client.patch(url, {"case": world["public"].pk}, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert "se queda en el caso" in response.json()["case"][0]
    # Sending the item's own case (a PUT of what was read) is no change.
    body = {"title": "Trace every rifle", "owner": "us-atf", "case": world["restricted"].pk}
    assert client.put(url, body, format="json").status_code == 200


def test_the_schema_says_an_items_case_is_set_on_creation_only():
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("ActionItem", "ActionItemRequest", "PatchedActionItemRequest"):
        assert "creation only" in schemas[name]["properties"]["case"]["description"], name


def test_updates_post(world, liaison_atf):
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/updates/"
    response = client_for(liaison_atf).post(url, {"text": "Called the dealer."}, format="json")
    assert response.status_code == 201
    assert response.json()["author"] == "liaison.atf"
    assert client_for(liaison_atf).post(url, {"text": ""}, format="json").status_code == 400


def test_action_item_delete_is_refused(world, coord_us):
    response = client_for(coord_us).delete(f"/api/v1/action-items/{world['restricted_item'].pk}/")
    assert response.status_code == 405


def test_action_item_if_match(world, coord_us):
    client = client_for(coord_us)
    url = f"/api/v1/action-items/{world['restricted_item'].pk}/"
    etag = client.get(url)["ETag"]
    client.post(url + "updates/", {"text": "A note changes the item's version."}, format="json")
    assert client.patch(url, {"title": "y"}, format="json", HTTP_IF_MATCH=etag).status_code == 412


def test_action_item_filters(world, coord_us, atf):
    today = timezone.localdate()
    late = ActionItemFactory(owner=atf, title="Late report", due_date=today - datetime.timedelta(days=3))
    soon = ActionItemFactory(owner=atf, title="Soon", due_date=today + datetime.timedelta(days=2), theme="coordination")
    ActionItemFactory(
        owner=atf,
        title="Done late",
        due_date=today - datetime.timedelta(days=5),
        status="done",
        completed_at=timezone.now(),
    )
    client = client_for(coord_us)

    def ids(query):
        response = client.get(f"/api/v1/action-items/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("overdue=true") == {late.pk}
    assert late.pk not in ids("overdue=false") and soon.pk in ids("overdue=false")
    assert ids("theme=coordination") == {soon.pk}
    assert ids(f"due_before={today.isoformat()}") >= {late.pk}
    assert soon.pk not in ids(f"due_before={today.isoformat()}")
    assert ids(f"due_after={today.isoformat()}") == {soon.pk}
    assert ids("owner=mx-fgr") == {world["commitment"].pk}
    assert ids(f"case={world['public'].pk}") == {world["public_item"].pk}
    assert ids("status=done") == {ActionItem.objects.get(title="Done late").pk}
    assert ids("q=late report") == {late.pk}
    # The "date" format only (as the schema says), not every form Django reads; empty is no filter.
    for loose in ("yesterday", today.strftime("%m/%d/%Y"), today.strftime("%Y%m%d")):
        response = client.get(f"/api/v1/action-items/?due_before={loose}")
        assert response.status_code == 400 and "due_before" in response.json()
    assert ids("due_before=") == ids("")
    response = client.get("/api/v1/action-items/?status=paused")
    assert response.status_code == 400 and "status" in response.json()
    assert next(r for r in client.get("/api/v1/action-items/").json()["results"] if r["id"] == late.pk)["overdue"]


def test_case_filters_and_search(world, coord_us):
    client = client_for(coord_us)
    assert client.get("/api/v1/cases/?q=rifles").json()["count"] == 1
    assert client.get("/api/v1/cases/?sensitivity=public").json()["count"] == 1
    assert client.get("/api/v1/cases/?participant=us-hsi").json()["count"] == 1
    assert client.get("/api/v1/cases/?lead_agency=us-cbp").json()["count"] == 1
    assert client.get("/api/v1/cases/?brief=1").json()["results"][0].keys() == {
        "id",
        "reference",
        "title",
        "status",
        "sensitivity",
        "lead_agency",
    }


# ------------------------------------------------------------------ read audit


def test_every_read_of_a_restricted_case_is_logged(world, coord_us, staff):
    case = world["restricted"]
    client = client_for(coord_us)
    client.get(f"/api/v1/cases/{case.pk}/")
    client.get(f"/api/v1/cases/{case.pk}/subjects/")
    client.get("/api/v1/cases/")
    client.get(f"/api/v1/action-items/{world['restricted_item'].pk}/")
    client_for(staff).get(f"/api/v1/cases/{case.pk}/")
    log = list(CaseReadLog.objects.filter(case=case).order_by("id").values_list("user__username", "via"))
    assert log == [("coordinator.us", "api")] * 4 + [("admin.staff", "api")]
    # Public cases are not logged; refused reads are not reads.
    client.get(f"/api/v1/cases/{world['public'].pk}/")
    assert not CaseReadLog.objects.filter(case=world["public"]).exists()


def test_refused_reads_leave_no_log(world, coord_mx):
    client_for(coord_mx).get(f"/api/v1/cases/{world['restricted'].pk}/")
    assert not CaseReadLog.objects.exists()


def test_the_read_log_is_append_only(world, coord_us):
    client_for(coord_us).get(f"/api/v1/cases/{world['restricted'].pk}/")
    entry = CaseReadLog.objects.get()
    with pytest.raises(Exception):  # noqa: B017 - ValidationError from the model
        entry.save()
    with pytest.raises(Exception):  # noqa: B017
        entry.delete()


# ------------------------------------------------------------------ query counts


def _many_cases(atf, hsi, count):
    for n in range(count):
        case = CaseFactory(title=f"Bulk {n}", lead_agency=atf, sensitivity="restricted" if n % 2 else "public")
        ParticipantFactory(case=case, agency=hsi)


@pytest.mark.parametrize("url", ["/api/v1/cases/?limit={n}", "/api/v1/cases/?limit={n}&brief=1"])
def test_case_list_query_count_is_constant(url, coord_us, atf, hsi, count_queries):
    _many_cases(atf, hsi, 30)
    client = client_for(coord_us)
    client.get("/api/v1/cases/?limit=1")  # warm the role and token caches alike
    small, small_queries = count_queries(lambda: client.get(url.format(n=5)))
    large, large_queries = count_queries(lambda: client.get(url.format(n=100)))
    assert small.status_code == large.status_code == 200
    assert len(large.json()["results"]) == 30
    assert small_queries == large_queries


def test_action_item_list_query_count_is_constant(coord_us, atf, hsi, count_queries):
    _many_cases(atf, hsi, 10)
    for case in Case.objects.all():
        for n in range(3):
            item = ActionItemFactory(case=case, owner=atf, title=f"{case.title} item {n}")
            item.supporting_agencies.set([hsi])
    client = client_for(coord_us)
    client.get("/api/v1/action-items/?limit=1")
    small, small_queries = count_queries(lambda: client.get("/api/v1/action-items/?limit=5"))
    large, large_queries = count_queries(lambda: client.get("/api/v1/action-items/?limit=100"))
    assert len(small.json()["results"]) == 5 and len(large.json()["results"]) == 30
    assert small_queries == large_queries


def test_subject_and_update_lists_query_count_is_constant(world, coord_us, count_queries):
    case = world["restricted"]
    item = world["restricted_item"]
    for n in range(20):
        SubjectFactory(case=case, kind="phone", make="", identifier=f"+52 55 1234 {n:04d}")
        services.action_update_add(item=item, user=coord_us, text=f"note {n}")
    client = client_for(coord_us)
    for url in (f"/api/v1/cases/{case.pk}/subjects/", f"/api/v1/action-items/{item.pk}/updates/"):
        client.get(url + "?limit=1")
        _r, small = count_queries(lambda u=url: client.get(u + "?limit=5"))
        _r, large = count_queries(lambda u=url: client.get(u + "?limit=100"))
        assert small == large, url


def test_adding_a_participant_changes_the_case_etag(world, coord_us):
    client = client_for(coord_us)
    url = f"/api/v1/cases/{world['restricted'].pk}/"
    etag = client.get(url)["ETag"]
    client.post(url + "participants/", {"agency": "mx-fgr", "role": "observer"}, format="json")
    assert client.get(url)["ETag"] != etag
    assert client.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == 412


def test_subject_etag_and_if_match(world, coord_us):
    client = client_for(coord_us)
    url = f"/api/v1/cases/{world['restricted'].pk}/subjects/{world['restricted_subject'].pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"trace_status": "requested"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    assert client.patch(url, {"trace_status": "completed"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert client.get(url).json()["trace_status"] == "requested"


def _grow_the_registry(lead, count):
    """Cases of other agencies (restricted and public), each with an overdue item of its own."""
    for n in range(count):
        other = AgencyFactory()
        case = CaseFactory(title=f"Elsewhere {n}", lead_agency=other, sensitivity="restricted" if n % 2 else "public")
        ActionItemFactory(case=case, owner=other, title=f"Elsewhere item {n}", due_date=datetime.date(2020, 1, 1))
        ActionItemFactory(case=None, owner=lead, title=f"Late commitment {n}", due_date=datetime.date(2020, 1, 1))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/",
        "/api/v1/cases/?status=open&sensitivity=restricted",
        "/api/v1/action-items/?owner=us-atf&overdue=true",
        "/api/v1/action-items/",
    ],
)
def test_lists_run_the_same_queries_whatever_the_size_of_the_registry(url, coord_us, atf, hsi, count_queries):
    """A coordinator's lists: the same queries with 2 or 40 cases and agencies around, and
    other agencies' restricted cases never in the results nor in the count."""
    _many_cases(atf, hsi, 2)
    for case in Case.objects.all():  # one public, one restricted (logged) case of ATF's, each with an overdue item
        ActionItemFactory(case=case, owner=atf, title=f"{case.title} item", due_date=datetime.date(2020, 1, 1))
    client = client_for(coord_us)
    client.get(url)  # warm the role and token caches
    small, small_queries = count_queries(lambda: client.get(url))
    _grow_the_registry(atf, 40)
    large, large_queries = count_queries(lambda: client.get(url))
    assert small.status_code == large.status_code == 200
    assert small_queries == large_queries
    visible = set(
        Case.objects.filter(Q(sensitivity="public") | Q(participants__agency=atf)).values_list("pk", flat=True)
    )
    if url.startswith("/api/v1/cases/"):
        rows = large.json()["results"]
        assert {row["id"] for row in rows} <= visible
        expected = Case.objects.filter(pk__in=visible)
        if "status=open" in url:
            expected = expected.filter(status="open", sensitivity="restricted")
        assert large.json()["count"] == expected.count()
    else:
        rows = large.json()["results"]
        assert all(row["case"] is None or row["case"] in visible for row in rows)
        items = ActionItem.objects.filter(Q(case__isnull=True) | Q(case__in=visible))
        if "overdue" in url:
            items = items.filter(owner=atf, due_date__lt=timezone.localdate()).exclude(status__in=["done", "cancelled"])
            assert large.json()["count"] == items.count() == 42
        else:
            assert large.json()["count"] == items.count()


def _plan(queryset, keep_index: str | None = None) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if keep_index:
            # Leave the planner no other index of the table to prefer (with empty tables its
            # choice among equal costs depends on what earlier tests left): inside the test's
            # transaction, so the DROPs are rolled back with it.
            table = queryset.model._meta.db_table
            cursor.execute(
                "SELECT i.indexname FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.tablename = %s AND i.indexname <> %s AND NOT x.indisprimary AND NOT x.indisunique",
                [table, keep_index],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "filterset, params, index",
    [
        ("CaseFilterSet", {"q": "rifles"}, "case_title_trgm"),
        ("CaseFilterSet", {"q": "ENL-2026"}, "case_reference_trgm"),
        ("ActionItemFilterSet", {"q": "trace"}, "actionitem_title_trgm"),
        ("ActionItemFilterSet", {"owner": "us-atf", "overdue": "true"}, "actionitem_owner_open_due"),
        ("ActionItemFilterSet", {"priority": "urgent"}, "actionitem_priority"),
    ],
)
def test_filters_can_use_an_index(db, filterset, params, index):
    """PostgreSQL can answer each filter from an index (the condition the filter writes is the
    one the index was built on); the planner chooses, so scans are only discouraged here."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner and trigram indexes")
    from cases import filtersets

    model = Case if filterset == "CaseFilterSet" else ActionItem
    queryset = getattr(filtersets, filterset)(params, queryset=model.objects.all()).qs
    # A b-tree filter must be served by its own index, whatever else the table has; `q`
    # needs every trigram index of the columns it searches (one bitmap OR), so those stay.
    assert index in _plan(queryset.order_by(), keep_index=None if index.endswith("_trgm") else index)


# ------------------------------------------------------------------ the case list's count


@pytest.fixture
def counted_cases(atf, hsi, cbp):
    """For ATF: 3 public cases (one led by ATF itself, which must not count twice), 3
    restricted cases ATF takes part in (led, supporting), and 3 restricted cases of others,
    one of them with two participants and a jurisdiction (a join that could count it twice)."""
    border = JurisdictionFactory(code="ZZ-BORDER")
    public = [
        CaseFactory(title="Public rifles", lead_agency=cbp, sensitivity="public"),
        CaseFactory(title="Public outreach", lead_agency=atf, sensitivity="public", status="active"),
        CaseFactory(title="Public training", lead_agency=hsi, sensitivity="public"),
    ]
    own = [
        CaseFactory(title="Own rifles", lead_agency=atf),
        CaseFactory(title="Own pistols", lead_agency=atf, status="active"),
        CaseFactory(title="Supported rifles", lead_agency=hsi),
    ]
    ParticipantFactory(case=own[2], agency=atf)
    others = [
        CaseFactory(title="Other rifles", lead_agency=cbp),
        CaseFactory(title="Other pistols", lead_agency=hsi, status="active"),
        CaseFactory(title="Other ammunition", lead_agency=cbp),
    ]
    ParticipantFactory(case=others[2], agency=hsi)
    for case in (public[0], own[0], own[2], others[0], others[2]):
        case.jurisdictions.set([border])
    return {"public": public, "own": own, "others": others}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", 6),
        ("?status=active", 2),
        ("?sensitivity=restricted", 3),
        ("?sensitivity=public", 3),
        ("?q=rifles", 3),
        ("?lead_agency=us-atf", 3),
        ("?participant=us-hsi", 2),
        ("?jurisdiction=ZZ-BORDER", 3),
        ("?jurisdiction=ZZ-BORDER&status=open", 3),
    ],
)
def test_case_list_count_is_exact(query, expected, counted_cases, coord_us):
    """The total counts public cases and the restricted cases of the user's agency apart
    (selectors.count_cases_visible_to): the same number as the rows listed, and as a count of
    the visibility condition, each case once, never another agency's restricted case."""
    from cases import filtersets, selectors

    body = client_for(coord_us).get("/api/v1/cases/" + query).json()
    listed = {row["id"] for row in body["results"]}
    assert body["count"] == len(body["results"]) == len(listed) == expected
    assert not listed & {case.pk for case in counted_cases["others"]}
    params = QueryDict(query.lstrip("?"))
    visible = filtersets.CaseFilterSet(params, queryset=selectors.cases_visible_to(coord_us)).qs
    assert body["count"] == visible.count()


@pytest.mark.parametrize("who, expected", [("staff", 9), ("coord_cbp", 3 + 2), ("liaison_us", 3 + 3)])
def test_case_list_count_for_every_kind_of_user(who, expected, request, counted_cases):
    """Admin staff count every case; another agency counts the public cases and its own."""
    body = client_for(request.getfixturevalue(who)).get("/api/v1/cases/").json()
    assert body["count"] == len(body["results"]) == expected


def test_case_list_count_for_a_user_without_agency(counted_cases, db):
    from cases import selectors
    from tests.factories import UserFactory

    user = UserFactory(username="coordinator.none", role="coordinator", agency=None)
    assert selectors.count_cases_visible_to(user) == 3
    assert client_for(user).get("/api/v1/cases/").json()["count"] == 3


def test_case_list_count_pages_keep_the_total(counted_cases, coord_us):
    client = client_for(coord_us)
    first = client.get("/api/v1/cases/?limit=4").json()
    second = client.get(first["next"]).json()
    assert first["count"] == second["count"] == 6 and first["previous"] is None
    assert len(first["results"]) == 4 and len(second["results"]) == 2 and second["next"] is None


def test_case_list_count_reads_the_public_cases_from_an_index(counted_cases, coord_us, count_queries):
    """On PostgreSQL the count of the public cases can come from the sensitivity index alone,
    with no condition evaluated on every case of the registry (`public OR id IN (…)` could not)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client_for(coord_us).get("/api/v1/cases/").status_code == 200
    (count_sql,) = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + count_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using cases_case_sensitivity" in plan, plan
    assert "hashed SubPlan" not in plan and " OR " not in plan, plan


def test_case_list_shows_participants_as_the_case_does(counted_cases, coord_us, fgr):
    """The list reads participants and jurisdictions as plain rows (attach_shown_relations): the same objects,
    in the same order, as a case read on its own and as the brief-less serializer gives them."""
    case = counted_cases["own"][2]
    contact = ContactFactory(agency=fgr)
    ParticipantFactory(case=case, agency=fgr, role="observer", contact=contact)
    client = client_for(coord_us)
    rows = client.get("/api/v1/cases/").json()["results"]
    assert len(rows) == 6
    for row in rows:
        assert row == client.get(f"/api/v1/cases/{row['id']}/").json()
    shown = next(row for row in rows if row["id"] == case.pk)["participants"]
    assert shown == [
        {"agency": "us-hsi", "role": "lead", "contact": None},
        {"agency": "mx-fgr", "role": "observer", "contact": contact.pk},
        {"agency": "us-atf", "role": "support", "contact": None},
    ]
