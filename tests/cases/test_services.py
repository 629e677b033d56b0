"""The workflow services: opening, closing, archiving, participants, subjects, action item
transitions (each allowed and refused edge) and the timeline."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services
from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject
from cases.signals import action_item_status_changed, case_participant_added, case_participant_removed
from tests.cases.factories import ActionItemFactory, CaseFactory, ParticipantFactory
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(coord_us):
    return services.case_open(user=coord_us, title="DEMO rifles", summary="", sensitivity="restricted")


@pytest.fixture
def captured():
    """Collects the custom signals sent while the test runs."""
    seen = []

    def listener(signal_name):
        def receive(sender, **kwargs):
            seen.append((signal_name, kwargs))

        return receive

    receivers = {
        case_participant_added: listener("added"),
        case_participant_removed: listener("removed"),
        action_item_status_changed: listener("status"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    yield seen
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


# ------------------------------------------------------------------ opening


def test_case_open_makes_the_users_agency_lead_and_a_reference(case, coord_us):
    assert case.reference.startswith("ENL-") and len(case.reference) == len("ENL-2026-0001")
    assert case.lead_agency == coord_us.agency
    assert list(case.participants.values_list("agency__slug", "role")) == [("us-atf", "lead")]
    assert case.status == Case.Status.OPEN


def test_references_count_up_within_a_year(coord_us):
    first = services.case_open(user=coord_us, title="One", summary="", sensitivity="public")
    second = services.case_open(user=coord_us, title="Two", summary="", sensitivity="public")
    assert int(second.reference[-4:]) == int(first.reference[-4:]) + 1


def test_case_open_with_another_lead_keeps_the_user_agency_as_support(coord_mx, atf, captured):
    case = services.case_open(
        user=coord_mx, title="Led by ATF", summary="", sensitivity="restricted", lead=atf, participants=[]
    )
    roles = dict(case.participants.values_list("agency__slug", "role"))
    assert roles == {"us-atf": "lead", "mx-fgr": "support"}
    assert case.lead_agency == atf
    assert [name for name, _kw in captured] == ["added", "added"]


def test_case_open_lead_named_in_participants(coord_us, fgr, hsi):
    case = services.case_open(
        user=coord_us,
        title="Binational",
        summary="",
        sensitivity="public",
        participants=[{"agency": fgr, "role": "lead"}, (hsi, "observer")],
    )
    assert dict(case.participants.values_list("agency__slug", "role")) == {
        "mx-fgr": "lead",
        "us-atf": "support",
        "us-hsi": "observer",
    }


def test_case_open_refuses_two_leads(coord_us, fgr, hsi):
    with pytest.raises(ValidationError) as error:
        services.case_open(
            user=coord_us, title="x", summary="", sensitivity="public", lead=fgr, participants=[(hsi, "lead")]
        )
    assert "participants" in error.value.message_dict


@pytest.mark.parametrize("who", ["liaison_us", "staff", "nobody"])
def test_only_coordinators_open_cases(who, request):
    with pytest.raises(PermissionDenied):
        services.case_open(user=request.getfixturevalue(who), title="x", summary="", sensitivity="public")


def test_case_open_refuses_an_empty_title(coord_us):
    with pytest.raises(ValidationError) as error:
        services.case_open(user=coord_us, title="", summary="", sensitivity="public")
    assert "title" in error.value.message_dict


def test_case_open_refuses_an_unknown_sensitivity(coord_us):
    with pytest.raises(ValidationError) as error:
        services.case_open(user=coord_us, title="x", summary="", sensitivity="secret")
    assert "sensitivity" in error.value.message_dict


# ------------------------------------------------------------------ update, close, archive


def test_case_update_by_participating_coordinator(case, coord_us):
    services.case_update(case=case, user=coord_us, title="Renamed", status="active")
    case.refresh_from_db()
    assert (case.title, case.status) == ("Renamed", "active")


def test_case_update_refuses_outsiders_and_liaisons(case, coord_cbp, liaison_atf):
    for user in (coord_cbp, liaison_atf):
        with pytest.raises(PermissionDenied):
            services.case_update(case=case, user=user, title="Hijacked")


def test_case_update_cannot_close(case, coord_us):
    with pytest.raises(ValidationError) as error:
        services.case_update(case=case, user=coord_us, status="closed")
    assert "status" in error.value.message_dict


def test_close_then_archive(case, coord_us):
    services.case_close(case=case, user=coord_us)
    assert case.status == "closed" and case.closed_on is not None
    with pytest.raises(ValidationError):
        services.case_close(case=case, user=coord_us)
    services.case_archive(case=case, user=coord_us)
    case.refresh_from_db()
    assert case.status == "archived"
    assert case.history.count() == 3


def test_archive_needs_a_closed_case(case, coord_us):
    with pytest.raises(ValidationError) as error:
        services.case_archive(case=case, user=coord_us)
    assert "status" in error.value.message_dict


def test_close_refuses_outsiders(case, coord_cbp):
    with pytest.raises(PermissionDenied):
        services.case_close(case=case, user=coord_cbp)


# ------------------------------------------------------------------ participants


def test_participant_add_and_remove_send_signals(case, coord_us, fgr, captured):
    participant = services.participant_add(case=case, user=coord_us, agency=fgr, role="support")
    assert participant.role == "support"
    services.participant_remove(case=case, user=coord_us, agency=fgr)
    assert not case.participants.filter(agency=fgr).exists()
    assert [name for name, _kw in captured] == ["added", "removed"]
    assert captured[0][1]["participant"] == participant and captured[1][1]["agency"] == fgr


def test_naming_a_new_lead_demotes_the_old_one(case, coord_us, fgr):
    services.participant_add(case=case, user=coord_us, agency=fgr, role="lead")
    case.refresh_from_db()
    assert case.lead_agency == fgr
    assert dict(case.participants.values_list("agency__slug", "role")) == {"us-atf": "support", "mx-fgr": "lead"}
    assert case.participants.filter(role="lead").count() == 1


def test_participant_add_refuses_duplicates_and_bad_roles(case, coord_us, atf, fgr):
    with pytest.raises(ValidationError) as error:
        services.participant_add(case=case, user=coord_us, agency=atf, role="support")
    assert "agency" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.participant_add(case=case, user=coord_us, agency=fgr, role="boss")
    assert "role" in error.value.message_dict


def test_participant_contact_must_belong_to_the_agency(case, coord_us, fgr, hsi):
    with pytest.raises(ValidationError) as error:
        services.participant_add(
            case=case, user=coord_us, agency=fgr, role="support", contact=ContactFactory(agency=hsi)
        )
    assert "contact" in error.value.message_dict


def test_the_lead_cannot_be_removed(case, coord_us, atf):
    with pytest.raises(ValidationError):
        services.participant_remove(case=case, user=coord_us, agency=atf)


def test_an_agency_owning_open_items_cannot_be_removed(case, coord_us, fgr):
    services.participant_add(case=case, user=coord_us, agency=fgr, role="support")
    services.action_item_create(user=coord_us, owner=fgr, title="Trace", case=case)
    with pytest.raises(ValidationError):
        services.participant_remove(case=case, user=coord_us, agency=fgr)


def test_participants_need_a_participating_coordinator(case, coord_cbp, liaison_atf, fgr):
    for user in (coord_cbp, liaison_atf):
        with pytest.raises(PermissionDenied):
            services.participant_add(case=case, user=user, agency=fgr, role="support")


def test_the_database_refuses_two_leads(db):
    case = CaseFactory()
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, whichever the backend
        from django.db import transaction

        with transaction.atomic():
            ParticipantFactory(case=case, role=CaseParticipant.Role.LEAD)


# ------------------------------------------------------------------ subjects


def test_liaison_of_a_participating_agency_adds_a_firearm(case, coord_us, hsi, liaison_us, mx):
    services.participant_add(case=case, user=coord_us, agency=hsi, role="support")
    subject = services.subject_add(
        case=case,
        user=liaison_us,
        kind="firearm",
        identifier="ab-123 45",
        make="Glock",
        model="19",
        caliber="9mm",
        recovered_in=mx,
        trace_number="T-2026-1",
        trace_status="requested",
    )
    assert subject.normalized_key == "GLOCK:AB12345"
    assert subject.created_by == liaison_us


def test_subject_add_refuses_outsiders(case, liaison_us):
    with pytest.raises(PermissionDenied):
        services.subject_add(case=case, user=liaison_us, kind="phone", identifier="915 555 0143")


def test_subject_add_refuses_a_duplicate_in_another_format(case, coord_us):
    services.subject_add(case=case, user=coord_us, kind="phone", identifier="+52 55 1234 5678")
    with pytest.raises(ValidationError) as error:
        services.subject_add(case=case, user=coord_us, kind="phone", identifier="044 55 1234 5678")
    assert "identifier" in error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "identifier", "details", "field"),
    [
        ("phone", "12", {}, "identifier"),
        ("firearm", "AB1", {}, "make"),
        ("dealer", "AB", {"caliber": "9mm"}, "caliber"),
        ("person", "Ana", {"birth_date": "not a date"}, "birth_date"),
        ("spaceship", "x", {}, "kind"),
    ],
)
def test_subject_add_names_the_bad_field(case, coord_us, kind, identifier, details, field):
    with pytest.raises(ValidationError) as error:
        services.subject_add(case=case, user=coord_us, kind=kind, identifier=identifier, **details)
    assert field in error.value.message_dict


def test_subject_update_and_remove(case, coord_us, liaison_atf):
    subject = services.subject_add(case=case, user=liaison_atf, kind="firearm", identifier="X1", make="Colt")
    services.subject_update(subject=subject, user=liaison_atf, trace_status="completed")
    assert CaseSubject.objects.get(pk=subject.pk).trace_status == "completed"
    with pytest.raises(PermissionDenied):
        services.subject_remove(subject=subject, user=liaison_atf)
    services.subject_remove(subject=subject, user=coord_us)
    assert not CaseSubject.objects.filter(pk=subject.pk).exists()


# ------------------------------------------------------------------ action items


def test_action_item_on_a_case_needs_a_participating_owner(case, coord_us, cbp):
    with pytest.raises(ValidationError) as error:
        services.action_item_create(user=coord_us, owner=cbp, title="x", case=case)
    assert "owner" in error.value.message_dict


def test_caseless_commitment_must_involve_the_users_agency(coord_us, fgr, atf):
    with pytest.raises(PermissionDenied):
        services.action_item_create(user=coord_us, owner=fgr, title="Their task")
    item = services.action_item_create(user=coord_us, owner=fgr, title="Joint", supporting_agencies=[atf])
    assert list(item.supporting_agencies.all()) == [atf]


def test_a_caseless_commitment_is_its_owners_to_change(coord_us, coord_mx, fgr, atf, liaison_atf, staff):
    """Supporting it lets ATF read it, not edit, move or annotate it; FGR's coordinators and
    admin staff may."""
    item = services.action_item_create(user=coord_mx, owner=fgr, title="Share data", supporting_agencies=[atf])
    for user in (coord_us, liaison_atf):
        with pytest.raises(PermissionDenied):
            services.action_item_update(item=item, user=user, title="Ours")
        with pytest.raises(PermissionDenied):
            services.action_item_transition(item=item, user=user, status="in-progress")
        with pytest.raises(PermissionDenied):
            services.action_update_add(item=item, user=user, text="Done by us")
    services.action_item_update(item=item, user=coord_mx, title="Share ballistic data")
    services.action_item_update(item=item, user=staff, priority="high")
    services.action_update_add(item=item, user=staff, text="Checked by records staff")
    item.refresh_from_db()
    assert (item.title, item.priority, item.updates.count()) == ("Share ballistic data", "high", 1)


def test_an_items_case_is_fixed_once_created(case, coord_us, atf):
    item = services.action_item_create(user=coord_us, owner=atf, title="On the case", case=case)
    commitment = services.action_item_create(user=coord_us, owner=atf, title="Case-less")
    for target, new_case in ((item, None), (commitment, case)):
        with pytest.raises(ValidationError) as error:
            services.action_item_update(item=target, user=coord_us, case=new_case)
        assert list(error.value.message_dict) == ["case"]
    services.action_item_update(item=item, user=coord_us, case=case, title="Same case, new title")
    assert ActionItem.objects.get(pk=item.pk).case_id == case.pk
    assert ActionItem.objects.get(pk=commitment.pk).case_id is None


def test_assignee_must_belong_to_the_owner(coord_us, atf, fgr):
    with pytest.raises(ValidationError) as error:
        services.action_item_create(user=coord_us, owner=atf, title="x", assignee=ContactFactory(agency=fgr))
    assert "assignee" in error.value.message_dict


def test_liaison_cannot_create_or_edit_items(liaison_atf, atf, coord_us):
    with pytest.raises(PermissionDenied):
        services.action_item_create(user=liaison_atf, owner=atf, title="x")
    item = services.action_item_create(user=coord_us, owner=atf, title="x")
    with pytest.raises(PermissionDenied):
        services.action_item_update(item=item, user=liaison_atf, title="y")


def test_action_item_update(coord_us, atf):
    item = services.action_item_create(user=coord_us, owner=atf, title="x", theme="coordination")
    services.action_item_update(item=item, user=coord_us, title="y", priority="high")
    item.refresh_from_db()
    assert (item.title, item.priority) == ("y", "high")
    with pytest.raises(ValidationError) as error:
        services.action_item_update(item=item, user=coord_us, status="done")
    assert "status" in error.value.message_dict


ALLOWED = [(src, dst) for src, targets in ActionItem.TRANSITIONS.items() for dst in targets]
REFUSED = [
    (src, dst)
    for src, dst in itertools.product(ActionItem.Status.values, ActionItem.Status.values)
    if (src, dst) not in ALLOWED
]


def _item_in(status, owner):
    return ActionItemFactory(owner=owner, status=status, completed_at=timezone.now() if status == "done" else None)


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_allowed_transition(source, target, liaison_atf, atf, captured):
    item = _item_in(source, atf)
    services.action_item_transition(item=item, user=liaison_atf, status=target, reason="Because of the court order")
    item.refresh_from_db()
    assert item.status == target
    assert (item.completed_at is not None) == (target == "done")
    entry = item.updates.get()
    assert (entry.old_status, entry.new_status, entry.author) == (source, target, liaison_atf)
    assert captured[-1][0] == "status"
    assert (captured[-1][1]["old_status"], captured[-1][1]["new_status"]) == (source, target)


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_refused_transition_names_the_allowed_ones(source, target, liaison_atf, atf):
    item = _item_in(source, atf)
    with pytest.raises(ValidationError) as error:
        services.action_item_transition(item=item, user=liaison_atf, status=target, reason="x")
    message = error.value.message_dict["status"][0]
    for allowed in ActionItem.TRANSITIONS[source]:
        # Named by its label, as every message names a status.
        assert str(ActionItem.Status(allowed).label) in message
    if not ActionItem.TRANSITIONS[source]:
        assert "finished" in message
    item.refresh_from_db()
    assert item.status == source and not item.updates.exists()


@pytest.mark.parametrize("target", ["blocked", "cancelled"])
def test_blocked_and_cancelled_need_a_reason(target, liaison_atf, atf):
    item = _item_in("open", atf)
    with pytest.raises(ValidationError) as error:
        services.action_item_transition(item=item, user=liaison_atf, status=target, reason="  ")
    assert "status_reason" in error.value.message_dict


def test_unknown_status_is_refused(liaison_atf, atf):
    with pytest.raises(ValidationError):
        services.action_item_transition(item=_item_in("open", atf), user=liaison_atf, status="paused")


def test_only_the_owner_agency_moves_an_item(liaison_us, coord_cbp, atf):
    item = _item_in("open", atf)
    for user in (liaison_us, coord_cbp):
        with pytest.raises(PermissionDenied):
            services.action_item_transition(item=item, user=user, status="in-progress")


def test_coordinator_of_a_case_participant_may_move_an_item(case, coord_us, coord_mx, fgr):
    services.participant_add(case=case, user=coord_us, agency=fgr, role="support")
    item = services.action_item_create(user=coord_mx, owner=fgr, title="Trace", case=case)
    services.action_item_transition(item=item, user=coord_us, status="in-progress")
    assert item.status == "in-progress"


def test_reopening_a_blocked_item_clears_the_reason(liaison_atf, atf):
    item = _item_in("open", atf)
    services.action_item_transition(item=item, user=liaison_atf, status="blocked", reason="Waiting on court")
    assert item.status_reason == "Waiting on court"
    services.action_item_transition(item=item, user=liaison_atf, status="in-progress")
    assert item.status_reason == ""
    assert item.updates.count() == 2


def test_action_update_add(liaison_atf, liaison_us, atf):
    item = _item_in("open", atf)
    before = item.updated_at
    update = services.action_update_add(item=item, user=liaison_atf, text="  Called the FFL.  ")
    assert update.text == "Called the FFL."
    assert ActionItem.objects.get(pk=item.pk).updated_at > before
    with pytest.raises(ValidationError) as error:
        services.action_update_add(item=item, user=liaison_atf, text=" ")
    assert "text" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.action_update_add(item=item, user=liaison_us, text="Not mine")
    assert ActionUpdate.objects.filter(item=item).count() == 1


def test_calendar_token_rotate(coord_us):
    old = coord_us.calendar_token
    new = services.calendar_token_rotate(user=coord_us)
    coord_us.refresh_from_db()
    assert new != old and coord_us.calendar_token == new
