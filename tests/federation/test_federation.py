"""The federation's parts in one process: the PSI core, the signed messages, the partner
endpoints' refusals, and the responder's run turning matches into subject-match flags that
`detect_flags` keeps, re-runs leave alone and a vanished match closes."""

import base64
import json
import time

import pytest
from django.core.management import call_command
from django.test import override_settings

from cases.models import Case, CaseParticipant, CaseSubject
from federation import psi, signing
from federation.models import Alert, Match, Partner, Run
from flags.models import Flag, FlagKind, FlagStatus, SystemNote
from tests.factories import AgencyFactory, ContactFactory, mexico

OUR_SEED, OUR_PUBLIC = signing.new_signing_key()
THEIR_SEED, THEIR_PUBLIC = signing.new_signing_key()
START = "/api/federation/v1/psi/start/"
FINISH = "/api/federation/v1/psi/finish/"
LIAISONS = "/api/federation/v1/psi/liaisons/"

pytestmark = pytest.mark.usefixtures("federation_settings")


@pytest.fixture
def federation_settings():
    with override_settings(ENLACE_FEDERATION_ID="us-registry", ENLACE_FEDERATION_SIGNING_KEY=OUR_SEED):
        yield


# --- PSI ---------------------------------------------------------------------------------


def _run(keys_a, keys_b, kind="firearm", pad=1):
    a, b = psi.Party(kind, keys_a, pad_multiple=pad), psi.Party(kind, keys_b, pad_multiple=pad)
    xa, xb = a.blinded_own(), b.blinded_own()
    ya, wb = b.blind_theirs(xa), a.blind_theirs(xb)
    return a.matches(ya, wb), b.matches(wb, ya), xa, xb


def test_each_side_learns_exactly_its_keys_also_on_the_other_side_with_one_shared_handle():
    found_a, found_b, _xa, _xb = _run(["GLOCK:1", "GLOCK:2", "COLT:3"], ["GLOCK:2", "COLT:3", "RUGER:9"])
    assert set(found_a) == set(found_b) == {"GLOCK:2", "COLT:3"}
    assert found_a == found_b  # the same opaque handle for the same key on both sides


def test_kinds_are_domain_separated_and_points_reveal_no_key():
    assert psi.hash_to_point("firearm", "123") != psi.hash_to_point("dealer", "123")
    found_a, found_b, xa, _xb = _run(["123"], ["123"], kind="dealer")
    assert found_a == found_b == {"123": found_a["123"]}
    assert b"123" not in base64.b64decode(psi.pack(xa))
    # Blinded with a fresh secret each run: the same key is never sent as the same point twice.
    assert psi.Party("dealer", ["123"]).blinded_own() != psi.Party("dealer", ["123"]).blinded_own()


def test_padding_sends_a_multiple_and_padding_never_matches():
    found_a, _found_b, xa, xb = _run(["A", "B", "C"], ["C", "D"], pad=8)
    assert (len(xa), len(xb)) == (8, 8)
    assert set(found_a) == {"C"}


def test_unpack_refuses_what_is_not_a_list_of_group_points():
    with pytest.raises(ValueError):
        psi.unpack("not base64!")
    with pytest.raises(ValueError):
        psi.unpack(base64.b64encode(b"x" * 31).decode())
    with pytest.raises(ValueError):
        psi.unpack(base64.b64encode(b"\x00" * 32).decode())  # the identity: small order
    points = psi.random_points(3)
    assert psi.unpack(psi.pack(points)) == points
    with pytest.raises(ValueError):
        psi.unpack(psi.pack(points), limit=2)


# --- signatures --------------------------------------------------------------------------


def test_a_signed_request_verifies_and_any_change_breaks_it():
    key, public = signing.signing_key(THEIR_SEED), signing.verify_key(THEIR_PUBLIC)
    body = b'{"a":1}'
    headers = signing.sign_request(key, "mx-registry", "POST", START, body)
    values = {"@method": "POST", "@path": START, "content-digest": headers["Content-Digest"]}
    assert signing.verify([public], values, headers, body).keyid == "mx-registry"
    with pytest.raises(signing.SignatureError):
        signing.verify([public], values, headers, b'{"a":2}')
    with pytest.raises(signing.SignatureError):
        signing.verify([public], {**values, "@path": FINISH}, headers, body)
    with pytest.raises(signing.SignatureError):
        signing.verify([signing.verify_key(OUR_PUBLIC)], values, headers, body)
    with pytest.raises(signing.SignatureError):
        signing.verify([public], values, headers, body, now=time.time() + 2 * signing.MAX_SKEW)


# --- the partner endpoints -------------------------------------------------------------


@pytest.fixture
def world(db):
    atf = AgencyFactory(slug="us-atf", acronym="ATF")
    fgr = AgencyFactory(slug="mx-fgr", acronym="FGR", country=mexico(), jurisdiction=mexico())
    contact = ContactFactory(agency=atf, name="Alice Liaison")
    case = Case.objects.create(title="Network", lead_agency=atf)
    CaseParticipant.objects.create(case=case, agency=atf, role=CaseParticipant.Role.LEAD, contact=contact)
    for kind, make, identifier in [
        ("firearm", "Glock", "AB-123"),
        ("firearm", "Colt", "ONLYOURS1"),
        ("dealer", "", "5-55-555-55-5A-55555"),
    ]:
        CaseSubject.objects.create(case=case, kind=kind, make=make, identifier=identifier)
    partner = Partner.objects.create(
        name="Mexican registry", instance_id="mx-registry", base_url="http://127.0.0.1:9", public_key=THEIR_PUBLIC
    )
    partner.agencies.set([fgr])
    return {"case": case, "partner": partner, "atf": atf, "fgr": fgr}


def _post(client, path, payload, *, seed=THEIR_SEED, keyid="mx-registry", headers=None):
    body = json.dumps(payload).encode()
    signed = signing.sign_request(signing.signing_key(seed), keyid, "POST", path, body) if headers is None else headers
    response = client.post(path, body, content_type="application/json", headers=signed)
    return response, signed, body


def _initiate(client, kind, keys, run_id="run0123456789abcdef"):
    """Play the partner's side of a run against our endpoints; what it learns."""
    party = psi.Party(kind, keys)
    digest = psi.set_digest(kind, keys, b"salt")
    text = f"enlace-psi-commitment-v1\n{run_id}\n{kind}\n{len(party.order)}\n{digest}".encode()
    commitment = {
        "count": len(party.order),
        "digest": digest,
        "signature": base64.b64encode(signing.signing_key(THEIR_SEED).sign(text).signature).decode(),
    }
    payload = {"run_id": run_id, "kind": kind, "commitment": commitment, "points": psi.pack(party.blinded_own())}
    response, _h, _b = _post(client, START, payload)
    assert response.status_code == 200, response.content
    started = response.json()
    own_doubled, theirs = psi.unpack(started["doubled"]), psi.unpack(started["points"])
    their_doubled = party.blind_theirs(theirs)
    matched = party.matches(own_doubled, their_doubled)
    response, _h, _b = _post(client, FINISH, {"run_id": run_id, "kind": kind, "doubled": psi.pack(their_doubled)})
    assert response.status_code == 200, response.content
    sides = {handle: [{"agency": "mx-fgr", "contact": {"name": "Bruno Enlace"}}] for handle in matched.values()}
    response, _h, _b = _post(client, LIAISONS, {"run_id": run_id, "kind": kind, "sides": sides})
    assert response.status_code == 200, response.content
    return matched, response.json()["sides"]


def _federated_flags():
    return [flag for flag in Flag.objects.filter(kind=FlagKind.SUBJECT_MATCH) if "partner" in flag.params]


def test_unsigned_unknown_disabled_badly_signed_and_replayed_requests_are_refused(client, world):
    response = client.post(START, b"{}", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (401, "unsigned")
    response, _h, _b = _post(client, START, {}, keyid="nobody")
    assert (response.status_code, response.json()["code"]) == (403, "unknown-partner")
    response, _h, _b = _post(client, START, {}, seed=OUR_SEED)
    assert (response.status_code, response.json()["code"]) == (401, "bad-signature")
    response, headers, _b = _post(client, START, {})
    assert response.status_code == 400  # authenticated; the body is what is wrong
    response, _h, _b = _post(client, START, {}, headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "replayed")
    Partner.objects.filter(pk=world["partner"].pk).update(enabled=False)
    response, _h, _b = _post(client, START, {})
    assert (response.status_code, response.json()["code"]) == (403, "unknown-partner")
    assert Alert.objects.filter(kind=Alert.Kind.BAD_SIGNATURE).count() == 2
    # Every answer, refusals too, is signed by us for the partner to check.
    assert response["Signature-Input"].startswith("enlace=(") and response["Content-Digest"]


def test_a_partner_over_its_limits_is_refused_and_admin_staff_alerted(client, world):
    Partner.objects.filter(pk=world["partner"].pk).update(max_set_size=1)
    party = psi.Party("firearm", ["GLOCK:AB123", "X:1"])
    response, _h, _b = _post(
        client,
        START,
        {
            "run_id": "run0123456789abcdef",
            "kind": "firearm",
            "commitment": {"count": 2, "digest": "0" * 64, "signature": "AAAA"},
            "points": psi.pack(party.blinded_own()),
        },
    )
    assert response.status_code in (401, 403)  # the commitment is checked, then the limits
    Partner.objects.filter(pk=world["partner"].pk).update(max_set_size=100, max_runs_per_day=1)
    _initiate(client, "firearm", ["GLOCK:AB123"], run_id="run9123456789abcdef")
    with pytest.raises(AssertionError):
        _initiate(client, "firearm", ["GLOCK:AB123"], run_id="run1123456789abcdef")
    refused = Run.objects.filter(role=Run.Role.RESPONDER, status=Run.Status.REFUSED)
    assert refused.exists()
    assert Alert.objects.filter(kind=Alert.Kind.OVER_LIMIT, detail__limit="runs-per-day").exists()


def test_the_growth_limit_refuses_a_set_that_grew_too_fast_and_alerts_before(client, world):
    Partner.objects.filter(pk=world["partner"].pk).update(max_growth_per_run=3, alert_growth=1, max_runs_per_day=10)
    _initiate(client, "firearm", ["GLOCK:AB123"])
    _initiate(client, "firearm", ["GLOCK:AB123", "A:1", "A:2"], run_id="run2123456789abcdef")
    assert Alert.objects.filter(kind=Alert.Kind.FAST_GROWTH).count() == 1
    with pytest.raises(AssertionError):
        _initiate(client, "firearm", ["GLOCK:AB123", *(f"B:{i}" for i in range(6))], run_id="run3123456789abcdef")
    assert Alert.objects.filter(kind=Alert.Kind.OVER_LIMIT, detail__limit="growth").exists()


def test_matches_become_subject_match_flags_that_recomputation_keeps_and_a_vanished_match_closes(client, world):
    matched, sides = _initiate(client, "firearm", ["GLOCK:AB123", "RUGER:THEIRSONLY"])
    assert set(matched) == {"GLOCK:AB123"}  # the partner learns only the common key
    (flag,) = _federated_flags()
    assert flag.status == FlagStatus.OPEN
    assert list(flag.agencies.values_list("slug", flat=True)) == ["us-atf"]
    assert flag.params["remote"] == [
        {"agency": world["fgr"].pk, "contact": {"name": "Bruno Enlace", "email": "", "phone": "", "title": ""}}
    ]
    # The partner got our liaison for the match, by its handle, and nothing for other handles.
    (handle,) = matched.values()
    assert sides[handle][0]["agency"] == "us-atf" and sides[handle][0]["contact"]["name"] == "Alice Liaison"
    assert Match.objects.get().normalized_key == "GLOCK:AB123"

    call_command("detect_flags", verbosity=0)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    history = flag.history.count()

    _initiate(client, "firearm", ["GLOCK:AB123", "RUGER:THEIRSONLY"], run_id="run4123456789abcdef")
    flag.refresh_from_db()
    assert (flag.status, flag.history.count()) == (FlagStatus.OPEN, history)  # nothing changed

    _initiate(client, "firearm", ["RUGER:THEIRSONLY"], run_id="run5123456789abcdef")
    flag.refresh_from_db()
    assert (flag.status, flag.status_system_note) == (FlagStatus.RESOLVED, SystemNote.CAUSE_DISAPPEARED)
    assert not Match.objects.get().active


def test_the_flag_names_only_the_partner_agency_and_liaison(admin_api, world, client):
    _initiate(client, "firearm", ["GLOCK:AB123"])
    (flag,) = _federated_flags()
    body = admin_api.get(f"/api/v1/flags/{flag.pk}/").json()
    assert "Mexican registry" in body["reason"] and "FGR" in body["reason"] and "Bruno Enlace" in body["reason"]
    mine, theirs = body["concerns"]["cases"]
    assert mine["visible"] is True
    assert theirs == {
        "visible": False,
        "partner": "Mexican registry",
        "lead_agency": {"slug": "mx-fgr", "acronym": "FGR", "name": world["fgr"].name, "name_es": world["fgr"].name_es},
        "liaison_contact": {"name": "Bruno Enlace", "email": "", "phone": "", "title": ""},
    }


def test_admin_staff_see_the_overview_of_partners_runs_and_errors(client, world, admin_user):
    Run.objects.create(
        partner=world["partner"], run_id="r1", kind="firearm", role="initiator", status="failed", error="down"
    )
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.get("/admin/federation/partner/overview/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Mexican registry" in text and "down" in text
