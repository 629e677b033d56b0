"""The flag lifecycle: open, decide, stay decided, reopen on changed inputs, close itself
when the cause disappears; the rights and transitions of flag_set_status; signals."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from flags.models import Flag, FlagEvent, FlagKind
from flags.services import deferred_flag_sync, flag_set_status, sync_all_flags, sync_flags
from flags.signals import flag_status_changed, flags_opened, flags_status_changed
from tests.factories import UserFactory
from tests.flags.builders import agency, function, live, mandate, two_investigators

pytestmark = pytest.mark.django_db


@pytest.fixture
def overlap():
    geo, investigation, atf, hsi = two_investigators()
    mine = mandate(atf, investigation, [geo["US"]])
    theirs = mandate(hsi, investigation, [geo["US-TX"]])
    flag = Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP)
    return {"geo": geo, "atf": atf, "hsi": hsi, "mine": mine, "theirs": theirs, "flag": flag, "function": investigation}


@pytest.fixture
def admin():
    return UserFactory(role="admin-staff", agency=None)


def detect() -> str:
    out = StringIO()
    call_command("detect_flags", stdout=out)
    return out.getvalue()


def statuses(flag) -> list[tuple[str, str]]:
    return list(FlagEvent.objects.filter(flag=flag).order_by("id").values_list("old_status", "new_status"))


def test_a_new_flag_is_open_with_an_opening_event(overlap):
    flag = overlap["flag"]
    assert flag.status == "open"
    assert flag.inputs_digest
    assert statuses(flag) == [("", "open")]
    assert flag.last_note == "The registry raised this flag."


def test_a_dismissed_flag_stays_dismissed_after_detect_flags_and_unrelated_edits(overlap, admin):
    flag = flag_set_status(flag=overlap["flag"], user=admin, status="dismissed", note="Concurrent by statute")
    output = detect()
    assert "opened 0, reopened 0, closed 0" in output
    theirs = overlap["theirs"]
    theirs.legal_basis = "Homeland Security Act of 2002, amended"
    theirs.save()
    overlap["atf"].name = "Bureau of Alcohol, Tobacco, Firearms and Explosives"
    overlap["atf"].save()
    flag.refresh_from_db()
    assert flag.status == "dismissed"
    assert flag.status_note == "Concurrent by statute"
    assert flag.status_changed_by == admin
    detect()
    flag.refresh_from_db()
    assert flag.status == "dismissed"
    assert statuses(flag) == [("", "open"), ("open", "dismissed")]


def test_a_dismissed_flag_reopens_when_one_of_its_inputs_changes(overlap, admin):
    flag = flag_set_status(flag=overlap["flag"], user=admin, status="dismissed", note="Known")
    overlap["theirs"].jurisdictions.add(overlap["geo"]["US-AZ"])
    flag.refresh_from_db()
    assert flag.status == "open"
    assert flag.closed_at is None
    assert flag.status_changed_by is None
    assert flag.last_note == "The registry reopened this flag: what it was computed from changed."
    assert statuses(flag) == [("", "open"), ("open", "dismissed"), ("dismissed", "open")]
    # The same key: one flag, its history kept.
    assert Flag.objects.filter(kind=FlagKind.MANDATE_OVERLAP).count() == 1


def test_detect_flags_reopens_on_changed_inputs_too(overlap, admin):
    flag = flag_set_status(flag=overlap["flag"], user=admin, status="resolved", note="Agreed")
    # A change the receivers do not see (a bulk update): only the full run notices it.
    from agencies.models import Agency

    Agency.objects.filter(pk=overlap["hsi"].pk).update(level="state")
    assert "reopened 1" in detect()
    flag.refresh_from_db()
    assert flag.status == "open"
    assert flag.severity == "low"


def test_a_flag_whose_cause_disappears_closes_itself_with_a_note(overlap):
    flag = overlap["flag"]
    overlap["theirs"].role = "supporting"
    overlap["theirs"].save()
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.status_changed_by is None
    assert flag.status_system_note == "cause-disappeared"
    assert flag.last_note.startswith("The cause disappeared")
    assert flag.inputs_digest == ""
    # When the cause comes back, the flag reopens (its inputs changed twice).
    overlap["theirs"].role = "primary"
    overlap["theirs"].save()
    flag.refresh_from_db()
    assert flag.status == "open"
    assert [event[1] for event in statuses(flag)] == ["open", "resolved", "open"]


def test_an_acknowledged_flag_closes_itself_too_and_deleting_a_mandate_counts(overlap, admin):
    flag = flag_set_status(flag=overlap["flag"], user=admin, status="acknowledged", note="Looking")
    deleted_id = overlap["theirs"].pk
    overlap["theirs"].delete()
    flag.refresh_from_db()
    assert flag.status == "resolved"
    # The flag still says what it was about.
    assert flag.other_mandate_id == deleted_id


def test_a_dismissed_flag_whose_cause_disappears_stays_dismissed(overlap, admin):
    flag = flag_set_status(flag=overlap["flag"], user=admin, status="dismissed", note="Fine")
    overlap["theirs"].valid_to = timezone.localdate() - datetime.timedelta(days=1)
    overlap["theirs"].save()
    overlap["theirs"].valid_to = None
    overlap["theirs"].save()
    flag.refresh_from_db()
    # Back with the same inputs as when it was dismissed: the decision holds.
    assert flag.status == "dismissed"


# --- flag_set_status ---------------------------------------------------------------------


def test_coordinators_of_an_addressed_agency_decide(overlap):
    coordinator = UserFactory(role="coordinator", agency=overlap["hsi"])
    flag = flag_set_status(flag=overlap["flag"], user=coordinator, status="acknowledged", note="")
    assert flag.status == "acknowledged"
    flag = flag_set_status(flag=flag, user=coordinator, status="resolved", note="MOU")
    assert flag.status == "resolved"
    assert flag.closed_at is not None
    event = FlagEvent.objects.filter(flag=flag).order_by("-id").first()
    assert (event.user, event.note, event.old_status, event.new_status) == (
        coordinator,
        "MOU",
        "acknowledged",
        "resolved",
    )


@pytest.mark.parametrize("role", ["liaison-officer", "coordinator"])
def test_others_may_not_decide(overlap, role):
    outsider_agency = agency("mx-fgr", overlap["geo"]["MX"])
    users = [UserFactory(role="liaison-officer", agency=overlap["atf"]), UserFactory(role=role, agency=outsider_agency)]
    for user in users:
        with pytest.raises(PermissionDenied):
            flag_set_status(flag=overlap["flag"], user=user, status="resolved", note="")
    assert Flag.objects.get(pk=overlap["flag"].pk).status == "open"


def test_transitions_and_notes_are_checked(overlap, admin):
    flag = overlap["flag"]
    with pytest.raises(ValidationError) as error:
        flag_set_status(flag=flag, user=admin, status="open", note="")
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        flag_set_status(flag=flag, user=admin, status="dismissed", note=" ")
    assert "note" in error.value.message_dict
    flag_set_status(flag=flag, user=admin, status="resolved", note="")
    with pytest.raises(ValidationError) as error:
        flag_set_status(flag=flag, user=admin, status="dismissed", note="late")
    assert "already “Resolved”" in error.value.message_dict["status"][0]


def test_signals_are_sent(overlap, admin):
    opened, changed, registry_changed = [], [], []

    def on_opened(sender, flag_ids, **kwargs):
        opened.append([Flag.objects.get(pk=pk).kind for pk in flag_ids])

    def on_changed(sender, flag, old_status, new_status, user, **kwargs):
        changed.append((old_status, new_status, user))

    def on_registry_changed(sender, changes, user, **kwargs):
        registry_changed.append([(Flag.objects.get(pk=pk).kind, old, new) for pk, old, new in changes])

    flags_opened.connect(on_opened)
    flag_status_changed.connect(on_changed)
    flags_status_changed.connect(on_registry_changed)
    try:
        flag_set_status(flag=overlap["flag"], user=admin, status="acknowledged", note="")
        atf = overlap["atf"]
        mandate(atf, function("customs", "Customs", "Aduanas"), [overlap["geo"]["US"]])
        overlap["theirs"].delete()
    finally:
        flags_opened.disconnect(on_opened)
        flag_status_changed.disconnect(on_changed)
        flags_status_changed.disconnect(on_registry_changed)
    assert changed == [("open", "acknowledged", admin)]
    # The registry's changes are announced once per sync, all its flags at once.
    assert opened == [[FlagKind.MISSING_CONTACT]]
    assert registry_changed == [[(FlagKind.MANDATE_OVERLAP, "acknowledged", "resolved")]]


# --- sync ----------------------------------------------------------------------------------


def test_deferred_sync_recomputes_once_at_the_end(overlap):
    geo, investigation = overlap["geo"], overlap["function"]
    with deferred_flag_sync():
        cbp = agency("us-cbp", geo["US"])
        mandate(cbp, investigation, [geo["US-AZ"]])
        mandate(overlap["atf"], function("customs", "Customs", "Aduanas"), [geo["US"]])
        assert live(FlagKind.MISSING_CONTACT) == []
        assert len(live(FlagKind.MANDATE_OVERLAP)) == 1
    assert len(live(FlagKind.MANDATE_OVERLAP)) == 2  # CBP × ATF over Arizona
    assert len(live(FlagKind.MISSING_CONTACT)) == 2  # CBP, and ATF for customs


def test_a_scoped_sync_leaves_other_scopes_alone(overlap):
    other = function("customs", "Customs", "Aduanas")
    result = sync_flags(kind=FlagKind.MANDATE_OVERLAP, ids={other.pk})
    assert (result.opened, result.closed, result.unchanged) == (0, 0, 0)
    result = sync_flags(kind=FlagKind.MANDATE_OVERLAP, ids={overlap["function"].pk})
    assert result.unchanged == 1


def test_full_sync_reports_per_kind(overlap):
    results = sync_all_flags()
    assert set(results) == set(FlagKind.values)
    assert all(not result.changed for result in results.values())
