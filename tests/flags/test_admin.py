"""Flags in the admin: admin staff (not superusers) read every flag and acknowledge or
resolve any through the same service as the queue; officers see nothing there."""

import pytest
from django.test import Client

from flags.models import Flag, FlagEvent, FlagKind
from tests.factories import UserFactory
from tests.flags.builders import mandate, two_investigators

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/flags/flag/"


@pytest.fixture
def overlap():
    geo, investigation, atf, hsi = two_investigators()
    mandate(atf, investigation, [geo["US"]])
    mandate(hsi, investigation, [geo["US-TX"]])
    return Flag.objects.get(kind=FlagKind.MANDATE_OVERLAP)


@pytest.fixture
def staff_browser():
    browser = Client()
    staff = UserFactory(username="records.staff", role="admin-staff", agency=None, is_staff=True)
    browser.force_login(staff)
    browser.user = staff
    return browser


def test_admin_staff_read_flags_in_the_admin(staff_browser, overlap):
    listing = staff_browser.get(CHANGELIST)
    assert listing.status_code == 200 and listing.context["cl"].result_count == Flag.objects.count() >= 1
    page = staff_browser.get(f"{CHANGELIST}{overlap.pk}/change/")
    assert page.status_code == 200
    assert overlap.key in page.content.decode()
    assert staff_browser.get(f"{CHANGELIST}{overlap.pk}/history/").status_code == 200


def test_admin_staff_acknowledge_then_resolve_from_the_admin(staff_browser, overlap):
    acknowledged = staff_browser.post(CHANGELIST, {"action": "acknowledge", "_selected_action": [overlap.pk]})
    assert acknowledged.status_code == 302
    overlap.refresh_from_db()
    assert (overlap.status, overlap.status_changed_by) == ("acknowledged", staff_browser.user)
    resolved = staff_browser.post(CHANGELIST, {"action": "resolve", "_selected_action": [overlap.pk]})
    assert resolved.status_code == 302
    overlap.refresh_from_db()
    assert overlap.status == "resolved" and overlap.closed_at is not None
    events = FlagEvent.objects.filter(flag=overlap, user=staff_browser.user).values_list("new_status", flat=True)
    assert sorted(events) == ["acknowledged", "resolved"]
    # A closed flag stays closed: resolving again changes nothing and says so.
    again = staff_browser.post(
        CHANGELIST, {"action": "acknowledge", "_selected_action": [overlap.pk]}, follow=True
    ).content.decode()
    assert str(overlap.pk) in again and "Not changed" in again
    overlap.refresh_from_db()
    assert overlap.status == "resolved"


def test_admin_staff_do_not_edit_a_flags_fields(staff_browser, overlap):
    response = staff_browser.post(f"{CHANGELIST}{overlap.pk}/change/", {"status": "dismissed"})
    assert response.status_code == 403
    overlap.refresh_from_db()
    assert overlap.status == "open"


@pytest.mark.parametrize("role", ["coordinator", "liaison-officer"])
def test_officers_with_the_staff_flag_see_no_flag_in_the_admin(overlap, role):
    browser = Client()
    browser.force_login(UserFactory(role=role, agency=overlap.agencies.first(), is_staff=True))
    assert browser.get(CHANGELIST).status_code == 403
    assert browser.post(CHANGELIST, {"action": "resolve", "_selected_action": [overlap.pk]}).status_code == 403
    overlap.refresh_from_db()
    assert overlap.status == "open"
