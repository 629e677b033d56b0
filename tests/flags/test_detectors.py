"""Scenarios for every kind of SPEC §4: each raises exactly the flags it should, none other.

The flags are written incrementally by the receivers as the scenario is built; each test
also checks that the detector's full run finds exactly the same."""

import datetime

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from flags.models import FlagKind
from flags.reasons import flag_reason
from tests.factories import UserFactory
from tests.flags.builders import (
    action,
    addressed,
    agency,
    case,
    firearm,
    found,
    function,
    liaison,
    live,
    mandate,
    places,
    subject,
)

pytestmark = pytest.mark.django_db

OVERLAP = FlagKind.MANDATE_OVERLAP


def same_as_full_run(kind) -> None:
    assert {f.key for f in live(kind)} == {f.key for f in found(kind)}


@pytest.fixture
def geo():
    return places()


@pytest.fixture
def investigation():
    return function()


# --- mandate-overlap -------------------------------------------------------------------


def test_two_federal_primaries_over_intersecting_places_raise_one_high_overlap(geo, investigation):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"]])
    (flag,) = live(OVERLAP)
    assert flag.severity == "high"
    assert addressed(flag) == {"us-atf", "us-hsi"}
    assert flag.function_id == investigation.pk
    reader = UserFactory(role="admin-staff", agency=None)
    assert flag_reason(flag, reader).startswith(
        "ATF and HSI both hold a primary mandate for criminal investigation over Texas"
    )
    same_as_full_run(OVERLAP)


def test_overlap_names_the_widest_common_places(geo, investigation):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"], geo["US-ELP"], geo["US-AZ"]])
    (flag,) = live(OVERLAP)
    assert set(flag.params["places"]) == {geo["US-TX"].pk, geo["US-AZ"].pk}
    reader = UserFactory(role="admin-staff", agency=None)
    assert "over Arizona and Texas" in flag_reason(flag, reader)


def test_federal_and_state_primaries_are_a_low_concurrent_overlap(geo, investigation):
    fbi = agency("us-fbi", geo["US"])
    dps = agency("us-txdps", geo["US"], level="state", jurisdiction=geo["US-TX"])
    mandate(fbi, investigation, [geo["US"]])
    mandate(dps, investigation, [geo["US-TX"]])
    (flag,) = live(OVERLAP)
    assert flag.severity == "low"
    reader = UserFactory(role="admin-staff", agency=None)
    assert "concurrent jurisdiction" in flag_reason(flag, reader)


def test_agencies_in_one_hierarchy_line_do_not_overlap(geo, investigation):
    doj = agency("us-doj", geo["US"])
    atf = agency("us-atf", geo["US"], parent=doj)
    field_division = agency("us-atf-houston", geo["US"], parent=atf)
    for each in (doj, atf, field_division):
        mandate(each, investigation, [geo["US-TX"]])
    assert live(OVERLAP) == []
    assert found(OVERLAP) == []


def test_supporting_mandates_do_not_overlap(geo, investigation):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US"]], role="supporting")
    assert live(OVERLAP) == []


def test_agencies_of_different_countries_do_not_overlap(geo, investigation):
    atf = agency("us-atf", geo["US"])
    fgr = agency("mx-fgr", geo["MX"])
    mandate(atf, investigation, [geo["US-TX"]])
    # Even over the same place: only agencies of one country collide.
    mandate(fgr, investigation, [geo["US-TX"], geo["MX"]])
    assert live(OVERLAP) == []


def test_disjoint_places_other_functions_inactive_agencies_and_expired_mandates_do_not_overlap(geo, investigation):
    tracing = function("firearms-tracing", "Firearms tracing", "Rastreo de armas")
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    old = agency("us-old", geo["US"], active=False)
    cbp = agency("us-cbp", geo["US"])
    mandate(atf, investigation, [geo["US-TX"]])
    mandate(hsi, investigation, [geo["US-AZ"]])
    mandate(hsi, tracing, [geo["US"]])
    mandate(old, investigation, [geo["US"]])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    mandate(cbp, investigation, [geo["US"]], valid_to=yesterday)
    mandate(cbp, tracing, [geo["US"]], valid_from=timezone.localdate() + datetime.timedelta(days=1))
    assert live(OVERLAP) == []
    assert found(OVERLAP) == []


def test_three_agencies_raise_three_pairs(geo, investigation):
    trio = [agency(slug, geo["US"]) for slug in ("us-atf", "us-hsi", "us-fbi")]
    for each in trio:
        mandate(each, investigation, [geo["US-TX"]])
    flags = live(OVERLAP)
    assert len(flags) == 3
    assert {frozenset(addressed(f)) for f in flags} == {
        frozenset({"us-atf", "us-hsi"}),
        frozenset({"us-atf", "us-fbi"}),
        frozenset({"us-hsi", "us-fbi"}),
    }
    same_as_full_run(OVERLAP)


def test_moving_an_agency_under_the_other_closes_the_overlap(geo, investigation):
    doj = agency("us-doj", geo["US"])
    atf = agency("us-atf", geo["US"])
    mandate(doj, investigation, [geo["US"]])
    mandate(atf, investigation, [geo["US"]])
    (flag,) = live(OVERLAP)
    atf.parent = doj
    atf.save()
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.status_system_note == "cause-disappeared"
    assert live(OVERLAP) == []


# --- missing-contact -------------------------------------------------------------------

MISSING = FlagKind.MISSING_CONTACT


def test_a_mandate_without_a_liaison_raises_missing_contact(geo, investigation):
    atf = agency("us-atf", geo["US"])
    mandate(atf, investigation, [geo["US"]], role="supporting")
    (flag,) = live(MISSING)
    assert addressed(flag) == {"us-atf"}
    assert flag.for_admin_staff
    reader = UserFactory(role="admin-staff", agency=None)
    assert flag_reason(flag, reader) == (
        "ATF holds an active mandate for criminal investigation but has no active liaison contact for it; "
        "add or designate one."
    )
    same_as_full_run(MISSING)


def test_an_active_liaison_closes_missing_contact_and_inactive_or_blocked_ones_do_not(geo, investigation):
    tracing = function("firearms-tracing", "Firearms tracing", "Rastreo de armas")
    atf = agency("us-atf", geo["US"])
    mandate(atf, investigation, [geo["US"]])
    liaison(atf, investigation, active=False)
    liaison(atf, investigation, blocked_at=timezone.now())
    liaison(atf, tracing)  # liaison for another function
    assert len(live(MISSING)) == 1
    desk = liaison(atf, investigation)
    assert live(MISSING) == []
    desk.active = False
    desk.save()
    assert len(live(MISSING)) == 1
    same_as_full_run(MISSING)


def test_expired_mandates_and_inactive_agencies_need_no_contact(geo, investigation):
    atf = agency("us-atf", geo["US"])
    gone = agency("us-gone", geo["US"], active=False)
    mandate(atf, investigation, [geo["US"]], valid_to=timezone.localdate() - datetime.timedelta(days=1))
    mandate(gone, investigation, [geo["US"]])
    assert live(MISSING) == []
    assert found(MISSING) == []


# --- stale-contact ---------------------------------------------------------------------

STALE = FlagKind.STALE_CONTACT


def test_contacts_verified_more_than_a_year_ago_are_stale(geo):
    atf = agency("us-atf", geo["US"])
    today = timezone.localdate()
    old = liaison(atf, name="Ana Old", verified_on=today - datetime.timedelta(days=366))
    liaison(atf, verified_on=today - datetime.timedelta(days=365))
    liaison(atf, verified_on=today - datetime.timedelta(days=400), active=False)
    liaison(atf, verified_on=today - datetime.timedelta(days=400), blocked_at=timezone.now())
    never = liaison(atf, name="Never Checked", verified_on=None)
    flags = live(STALE)
    assert {f.contact_id for f in flags} == {old.pk, never.pk}
    assert all(addressed(f) == {"us-atf"} and f.for_admin_staff for f in flags)
    reader = UserFactory(role="admin-staff", agency=None)
    by_contact = {f.contact_id: flag_reason(f, reader) for f in flags}
    assert by_contact[old.pk].startswith("Ana Old of ATF was last verified on")
    assert by_contact[never.pk].startswith("Never Checked of ATF has never been verified")
    same_as_full_run(STALE)


def test_reverifying_a_contact_closes_its_stale_flag(geo):
    atf = agency("us-atf", geo["US"])
    contact = liaison(atf, verified_on=timezone.localdate() - datetime.timedelta(days=500))
    (flag,) = live(STALE)
    contact.verified_on = timezone.localdate()
    contact.save()
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.closed_at is not None


@override_settings(ENLACE_STALE_CONTACT_DAYS=30)
def test_the_stale_threshold_comes_from_settings(geo):
    atf = agency("us-atf", geo["US"])
    liaison(atf, verified_on=timezone.localdate() - datetime.timedelta(days=31))
    assert len(live(STALE)) == 1


# --- subject-match ---------------------------------------------------------------------

MATCH = FlagKind.SUBJECT_MATCH


def test_the_same_firearm_in_two_cases_matches_and_is_addressed_to_both_leads(geo):
    atf = agency("us-atf", geo["US"])
    fgr = agency("mx-fgr", geo["MX"])
    ours = case(atf, title="Houston straw purchasers")
    theirs = case(fgr, title="Juárez seizure")
    firearm(ours, "AB-123 456", make="Colt")
    firearm(theirs, "ab123456", make="COLT")
    (flag,) = live(MATCH)
    assert flag.severity == "high"
    assert addressed(flag) == {"us-atf", "mx-fgr"}
    assert {flag.case_id, flag.other_case_id} == {ours.pk, theirs.pk}
    same_as_full_run(MATCH)


def test_different_kinds_or_keys_do_not_match_and_three_cases_make_three_pairs(geo):
    atf = agency("us-atf", geo["US"])
    first, second, third = (case(atf, title=t) for t in ("One", "Two", "Three"))
    subject(first, "organization", "Los Primos")
    subject(second, "person", "Los Primos")
    firearm(first, "111", make="Glock")
    firearm(second, "111", make="Colt")
    assert live(MATCH) == []
    for each in (first, second, third):
        subject(each, "phone", "+52 656 123 4567")
    assert len(live(MATCH)) == 3
    same_as_full_run(MATCH)


def test_a_new_lead_readdresses_the_match(geo):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    fgr = agency("mx-fgr", geo["MX"])
    ours = case(atf)
    theirs = case(fgr)
    subject(ours, "dealer", "5-74-12345")
    subject(theirs, "dealer", "57412345")
    (flag,) = live(MATCH)
    theirs.lead_agency = hsi
    theirs.save()
    flag.refresh_from_db()
    assert addressed(flag) == {"us-atf", "us-hsi"}


def test_removing_a_subject_closes_the_match(geo):
    atf = agency("us-atf", geo["US"])
    ours, theirs = case(atf), case(atf)
    subject(ours, "vehicle", "1HGCM82633A004352")
    gone = subject(theirs, "vehicle", "1hgcm82633a004352")
    (flag,) = live(MATCH)
    gone.delete()
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.status_system_note == "cause-disappeared"


# --- duplicate-action ------------------------------------------------------------------

DUPLICATE = FlagKind.DUPLICATE_ACTION


def test_two_open_items_of_one_case_for_one_function_by_two_owners(geo, investigation):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    shared = case(atf, others=[hsi])
    action(shared, atf, investigation)
    action(shared, hsi, investigation, status="in-progress")
    (flag,) = live(DUPLICATE)
    assert addressed(flag) == {"us-atf", "us-hsi"}
    reader = UserFactory(role="admin-staff", agency=None)
    assert flag_reason(flag, reader) == (
        f"ATF and HSI both own an open action item for criminal investigation in case {shared.reference}; "
        "agree on who does it."
    )
    same_as_full_run(DUPLICATE)


def test_same_owner_closed_items_other_cases_and_other_functions_are_no_duplicates(geo, investigation):
    tracing = function("firearms-tracing", "Firearms tracing", "Rastreo de armas")
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    one, two = case(atf, others=[hsi]), case(atf, others=[hsi])
    action(one, atf, investigation)
    action(one, atf, investigation, title="Same owner again")
    action(one, hsi, investigation, status="done")
    action(one, hsi, investigation, status="cancelled")
    action(one, hsi, tracing)
    action(one, hsi, None)
    action(two, hsi, investigation)
    action(None, hsi, investigation)
    assert live(DUPLICATE) == []
    assert found(DUPLICATE) == []


def test_closing_one_item_closes_the_duplicate(geo, investigation):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    shared = case(atf, others=[hsi])
    action(shared, atf, investigation)
    second = action(shared, hsi, investigation)
    (flag,) = live(DUPLICATE)
    second.status = "cancelled"
    second.save()
    flag.refresh_from_db()
    assert flag.status == "resolved"


# --- full run ----------------------------------------------------------------------------


def test_detect_flags_finds_nothing_new_after_incremental_updates(geo, investigation):
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"]])
    ours, theirs = case(atf), case(hsi)
    firearm(ours, "X1")
    firearm(theirs, "X-1")
    liaison(atf, verified_on=None)
    before = sorted(live(), key=lambda f: f.pk)
    assert {f.kind for f in before} == {OVERLAP, MISSING, STALE, MATCH}
    from io import StringIO

    out = StringIO()
    call_command("detect_flags", stdout=out)
    assert "opened 0, reopened 0, closed 0, updated 0" in out.getvalue()
    assert [f.pk for f in sorted(live(), key=lambda f: f.pk)] == [f.pk for f in before]
