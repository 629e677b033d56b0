"""The review queue API: who sees which flags, who acts on them, the filters, the reason in
the reader's language, deconfliction privacy on every endpoint, and constant query counts."""

import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone

from flags.models import Flag, FlagKind
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.flags.builders import agency, case, firearm, function, liaison, mandate, places, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """ATF and FGR each lead a restricted case about the same rifle; HSI overlaps ATF."""
    geo = places()
    investigation = function()
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    fgr = agency("mx-fgr", geo["MX"])
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"]])
    for each in (atf, hsi):
        liaison(each, investigation)
    # FGR holds a tracing mandate with nobody designated for it: a missing contact.
    mandate(fgr, function("firearms-tracing", "Firearms tracing", "Rastreo de armas"), [geo["MX"]])
    lucia = liaison(fgr, name="Lucía Pérez", email="lucia.perez@fgr.example")
    ours = case(atf, title="Houston straw purchasers")
    theirs = case(fgr, title="Operación Río Bravo secreta", contact=lucia)
    firearm(ours, "AB-123 456", make="Colt")
    secret_subject = firearm(theirs, "ab123456", make="COLT")
    secret_subject.note = "informant Zeta-7"
    secret_subject.save()
    return {
        "geo": geo,
        "atf": atf,
        "hsi": hsi,
        "fgr": fgr,
        "ours": ours,
        "theirs": theirs,
        "lucia": lucia,
        "function": investigation,
        "match": Flag.objects.get(kind=FlagKind.SUBJECT_MATCH),
        "overlap": Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP),
    }


def user(role, agency, **kwargs):
    return UserFactory(role=role, agency=agency, **kwargs)


def secrets_of(world) -> list[str]:
    theirs = world["theirs"]
    return [theirs.reference, theirs.title, "ab123456", "AB123456", "COLT", "Zeta-7"]


def assert_keeps_secrets(payload, world) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for secret in secrets_of(world):
        assert secret not in text, secret


def test_anonymous_users_get_401(api, world):
    assert api.get("/api/v1/flags/").status_code == 401
    assert api.get(f"/api/v1/flags/{world['match'].pk}/").status_code == 401


def test_users_see_only_flags_addressed_to_their_agency(world):
    atf_liaison = client_for(user("liaison-officer", world["atf"]))
    hsi_coordinator = client_for(user("coordinator", world["hsi"]))
    fgr_coordinator = client_for(user("coordinator", world["fgr"]))
    admin = client_for(UserFactory(role="admin-staff", agency=None))

    def kinds(client):
        return sorted(f["kind"] for f in client.get("/api/v1/flags/", {"status": "open"}).json()["results"])

    assert kinds(atf_liaison) == ["mandate-overlap", "subject-match"]
    assert kinds(hsi_coordinator) == ["mandate-overlap"]
    assert kinds(fgr_coordinator) == ["missing-contact", "subject-match"]
    assert len(kinds(admin)) == Flag.objects.live().count() == 3
    assert hsi_coordinator.get(f"/api/v1/flags/{world['match'].pk}/").status_code == 404


def test_the_reason_is_a_sentence_in_the_readers_language(world):
    client = client_for(user("coordinator", world["hsi"]))
    flag = client.get(f"/api/v1/flags/{world['overlap'].pk}/").json()
    assert flag["reason"] == (
        "ATF and HSI both hold a primary mandate for criminal investigation over Texas; agree on who leads."
    )
    assert {a["slug"] for a in flag["agencies"]} == {"us-atf", "us-hsi"}
    assert flag["concerns"]["jurisdictions"] == ["US-TX"]
    spanish = client.get(f"/api/v1/flags/{world['overlap'].pk}/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert "investigación criminal" in spanish["reason"]


# --- deconfliction privacy -------------------------------------------------------------


def test_a_match_with_a_case_the_reader_cannot_see_reveals_only_lead_and_liaison(world):
    atf_coordinator = user("coordinator", world["atf"])
    client = client_for(atf_coordinator)
    pk = world["match"].pk
    listed = client.get("/api/v1/flags/", {"kind": "subject-match"}).json()["results"]
    detail = client.get(f"/api/v1/flags/{pk}/").json()
    resolved = client.post(
        f"/api/v1/flags/{pk}/resolve/", {"status": "acknowledged", "note": "Calling FGR"}, format="json"
    )
    assert resolved.status_code == 200
    for payload in (listed, detail, resolved.json()):
        assert_keeps_secrets(payload, world)
    reason = detail["reason"]
    assert world["ours"].reference in reason
    assert "FGR" in reason and "Lucía Pérez" in reason
    sides = detail["concerns"]["cases"]
    mine = next(side for side in sides if side["visible"])
    other = next(side for side in sides if not side["visible"])
    assert mine["case"]["reference"] == world["ours"].reference
    assert set(other) == {"visible", "lead_agency", "liaison_contact"}
    assert other["lead_agency"]["slug"] == "mx-fgr"
    assert other["liaison_contact"]["name"] == "Lucía Pérez"
    assert detail["concerns"]["subject_kind"] == "firearm"


def test_the_other_side_is_told_the_same_way(world):
    client = client_for(user("liaison-officer", world["fgr"]))
    detail = client.get(f"/api/v1/flags/{world['match'].pk}/").json()
    ours = world["ours"]
    text = json.dumps(detail, ensure_ascii=False)
    assert ours.reference not in text and ours.title not in text
    assert world["theirs"].reference in detail["reason"]


def test_a_match_with_a_case_the_reader_may_see_names_both_cases(world):
    world["theirs"].sensitivity = "public"
    world["theirs"].save()
    client = client_for(user("coordinator", world["atf"]))
    detail = client.get(f"/api/v1/flags/{world['match'].pk}/").json()
    assert world["theirs"].reference in detail["reason"]
    assert all(side["visible"] for side in detail["concerns"]["cases"])


def test_admin_staff_see_both_cases(world):
    client = client_for(UserFactory(role="admin-staff", agency=None))
    detail = client.get(f"/api/v1/flags/{world['match'].pk}/").json()
    assert world["theirs"].reference in detail["reason"] and world["ours"].reference in detail["reason"]


def test_the_notification_keeps_the_secret_too(world, django_capture_on_commit_callbacks):
    user("coordinator", world["atf"], email="coord@atf.example")
    with django_capture_on_commit_callbacks(execute=True):
        firearm(world["theirs"], "ZZ-999", make="Ruger")
        firearm(world["ours"], "zz999", make="RUGER")
    run_queued_tasks()
    (message,) = [m for m in mail.outbox if "coord@atf.example" in m.to]
    for secret in secrets_of(world):
        assert secret not in message.body and secret not in message.subject


# --- acting on flags -------------------------------------------------------------------


def test_coordinators_of_an_addressed_agency_resolve(world):
    client = client_for(user("coordinator", world["hsi"]))
    pk = world["overlap"].pk
    response = client.post(f"/api/v1/flags/{pk}/resolve/", {"status": "resolved", "note": "MOU signed"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "resolved"
    assert body["status_note"] == "MOU signed"
    assert [e["new_status"] for e in body["events"]] == ["open", "resolved"]
    again = client.post(f"/api/v1/flags/{pk}/resolve/", {"status": "acknowledged"}, format="json")
    assert again.status_code == 400
    assert "status" in again.json()


def test_liaisons_may_read_but_not_act_and_outsiders_get_404(world):
    pk = world["overlap"].pk
    liaison_client = client_for(user("liaison-officer", world["atf"]))
    assert liaison_client.get(f"/api/v1/flags/{pk}/").status_code == 200
    assert liaison_client.post(f"/api/v1/flags/{pk}/resolve/", {"status": "resolved"}, format="json").status_code == 403
    outsider = client_for(user("coordinator", world["fgr"]))
    assert outsider.post(f"/api/v1/flags/{pk}/resolve/", {"status": "resolved"}, format="json").status_code == 404
    assert Flag.objects.get(pk=pk).status == "open"


def test_admin_staff_act_on_any_flag(world):
    client = client_for(UserFactory(role="admin-staff", agency=None))
    response = client.post(
        f"/api/v1/flags/{world['match'].pk}/resolve/", {"status": "dismissed", "note": "Same gun, known"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "open"}, "status"),
        ({"status": "closed"}, "status"),
        ({}, "status"),
        ({"status": "dismissed"}, "note"),
        ({"status": "dismissed", "note": "   "}, "note"),
        ({"status": ["resolved"]}, "status"),
    ],
)
def test_bad_decisions_answer_400_naming_the_field(world, payload, field):
    client = client_for(user("coordinator", world["atf"]))
    response = client.post(f"/api/v1/flags/{world['overlap'].pk}/resolve/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    if field == "status" and payload.get("status") in ("open", "closed"):
        assert "acknowledged, resolved, dismissed" in response.json()["status"][0]


def test_resolve_in_spanish(world):
    client = client_for(user("coordinator", world["atf"]))
    response = client.post(
        f"/api/v1/flags/{world['overlap'].pk}/resolve/",
        {"status": "dismissed"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    assert "note" in response.json()


# --- filters -----------------------------------------------------------------------------


def test_filters(world):
    client = client_for(UserFactory(role="admin-staff", agency=None))

    def ids(**params):
        response = client.get("/api/v1/flags/", params)
        assert response.status_code == 200, response.content
        return {f["id"] for f in response.json()["results"]}

    assert ids(kind="mandate-overlap") == {world["overlap"].pk}
    assert ids(severity="high") == {world["overlap"].pk, world["match"].pk}
    assert ids(agency="us-hsi", status="open") == {world["overlap"].pk}
    assert ids(agency="mx-fgr", kind="subject-match") == {world["match"].pk}
    assert ids(status="resolved") == set(Flag.objects.filter(status="resolved").values_list("pk", flat=True))
    assert len(ids(status="resolved")) == 2  # ATF's and HSI's missing contacts, closed once designated
    assert ids(agency="nobody") == set()
    assert client.get("/api/v1/flags/", {"kind": "nonsense"}).status_code == 400
    assert client.get("/api/v1/flags/", {"status": "closed"}).status_code == 400


# --- query counts ------------------------------------------------------------------------


def test_the_list_runs_the_same_queries_for_5_or_100_flags(world, count_queries):
    # Many older stale contacts, then one flag of every kind, newest first on the page.
    long_ago = timezone.localdate() - datetime.timedelta(days=800)
    for _n in range(30):
        liaison(world["atf"], world["function"], verified_on=long_ago)
    from tests.flags.builders import action

    hsi = world["hsi"]
    policy = function("diplomacy-policy", "Diplomacy and policy", "Diplomacia y política")
    dos = agency("us-dos", world["geo"]["US"])
    mandate(world["atf"], policy, [world["geo"]["US"]])
    mandate(dos, policy, [world["geo"]["US"]])
    shared = case(world["atf"], others=[hsi])
    action(shared, world["atf"], world["function"])
    action(shared, hsi, world["function"])
    liaison(world["atf"], verified_on=long_ago)
    firearm(world["ours"], "QQ1", make="Glock")
    firearm(world["theirs"], "QQ-1", make="Glock")
    first_five = {f.kind for f in Flag.objects.order_by("-opened_at", "-id")[:5]}
    assert first_five == set(FlagKind.values)
    reader = user("coordinator", world["atf"])
    client = client_for(reader)
    client.get("/api/v1/flags/")  # warm the token and role lookups

    small, small_count = count_queries(lambda: client.get("/api/v1/flags/", {"limit": 5}))
    large, large_count = count_queries(lambda: client.get("/api/v1/flags/", {"limit": 100}))
    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) > 30
    assert small_count == large_count
