"""Personal data rights (ARCO) end to end: export everything held about one person,
correct it, block it (hidden everywhere, kept for audit), erase it, and keep the request's
dates. Blocked contacts must not show up in any read path."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from agencies.models import Contact
from privacy import services
from privacy.models import PersonalDataRequest
from registry.models import SecurityEvent
from tests.factories import ContactFactory, FunctionalAreaFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    contact = ContactFactory(name="Lucía Fernández Ortiz", email="lucia.fernandez@fgr.example", title="Enlace")
    contact.functions.add(FunctionalAreaFactory(slug="firearms-tracing"))
    return contact


def test_export_holds_the_record_its_history_and_references(person):
    services.person_correct(contact=person, changes={"title": "Directora de enlace"})
    export = services.person_export(email="LUCIA.FERNANDEZ@fgr.example")
    assert len(export["records"]) == 1
    record = export["records"][0]
    assert record["contact"]["name"] == "Lucía Fernández Ortiz"
    assert record["contact"]["title"] == "Directora de enlace"
    assert record["contact"]["functions"] == ["firearms-tracing"]
    assert record["history"][0]["type"] == "+"
    assert record["history"][0]["fields"]["title"] == "Enlace"
    assert record["history"][-1]["fields"]["title"] == "Directora de enlace"
    assert isinstance(record["references"], list)


def test_correction_is_validated_and_limited_to_personal_fields(person):
    with pytest.raises(ValidationError):
        services.person_correct(contact=person, changes={"email": "not-an-address"})
    with pytest.raises(ValidationError):
        services.person_correct(contact=person, changes={"agency_id": 1})
    services.person_correct(contact=person, changes={"email": "lucia.f@fgr.example"})
    person.refresh_from_db()
    assert person.email == "lucia.f@fgr.example"


def test_block_hides_the_person_everywhere_but_keeps_the_row(person, liaison_api, admin_api):
    services.person_block(contact=person)
    person.refresh_from_db()
    assert person.blocked_at is not None
    assert Contact.objects.filter(pk=person.pk).exists()
    assert not Contact.objects.visible().filter(pk=person.pk).exists()
    for client in (liaison_api, admin_api):
        listing = client.get("/api/v1/contacts/?limit=1000").json()["results"]
        assert person.pk not in [row["id"] for row in listing]
        assert client.get(f"/api/v1/contacts/{person.pk}/").status_code == 404
        assert "Lucía" not in client.get("/api/v1/contacts/?q=Lucia").content.decode()
    browser = Client()
    browser.force_login(UserFactory(role="liaison-officer"))
    assert "Fernández" not in browser.get("/search/?q=fernandez").content.decode()
    assert browser.get(f"/contacts/{person.pk}/vcard/").status_code == 404


def test_erase_replaces_personal_fields_in_the_record_and_its_history(person):
    services.person_correct(contact=person, changes={"title": "Directora"})
    services.person_erase(contact=person)
    person.refresh_from_db()
    assert person.name == services.ERASED
    assert person.email == ""
    assert str(person.phone) == ""
    assert person.blocked_at is not None
    history = list(person.history.all())
    assert len(history) >= 3  # created, corrected, blocked/erased: the trail of *what happened* stays
    for row in history:
        assert row.name == services.ERASED
        assert row.email == ""
        assert row.title == ""
    assert "Lucía" not in str(services.person_export(contact_ids=[person.pk]))


def test_the_request_register_keeps_its_dates(person, admin_user, today):
    received = today - datetime.timedelta(days=2)
    request = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.CANCELLATION, contact=person, received_on=received
    )
    services.request_answer(request=request, outcome="Blocked and erased.", user=admin_user)
    request.refresh_from_db()
    assert (request.received_on, request.answered_on) == (received, today)
    assert request.handled_by == admin_user
    bad = PersonalDataRequest(
        kind="access", contact=person, received_on=received, answered_on=received - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "answered_on" in caught.value.message_dict


def test_admin_staff_run_the_whole_flow_from_the_admin(person, today):
    admin = UserFactory(role="admin-staff", agency=None, is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    request = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.CANCELLATION, contact=person, received_on=today - datetime.timedelta(days=14)
    )
    changelist = "/admin/privacy/personaldatarequest/"
    exported = browser.post(changelist, {"action": "export_person", "_selected_action": [request.pk]})
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/json"
    assert b"lucia.fernandez@fgr.example" in exported.content
    assert browser.post(changelist, {"action": "block_person", "_selected_action": [request.pk]}).status_code == 302
    person.refresh_from_db()
    assert person.blocked_at is not None
    assert browser.post(changelist, {"action": "erase_person", "_selected_action": [request.pk]}).status_code == 302
    person.refresh_from_db()
    assert person.name == services.ERASED
    actions = set(SecurityEvent.objects.filter(kind="personal-data").values_list("detail__action", flat=True))
    assert actions == {"export", "block", "erase"}
    # The register of requests is kept: no delete.
    assert browser.post(f"{changelist}{request.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PersonalDataRequest.objects.filter(pk=request.pk).exists()


def test_admin_staff_register_and_answer_a_request_in_the_admin(person):
    admin = UserFactory(role="admin-staff", agency=None, is_staff=True)
    browser = Client()
    browser.force_login(admin)
    changelist = "/admin/privacy/personaldatarequest/"
    received = timezone.localdate() - datetime.timedelta(days=3)
    assert browser.get(changelist).status_code == 200
    assert browser.get(f"{changelist}add/").status_code == 200
    added = browser.post(
        f"{changelist}add/",
        {"kind": "access", "contact": person.pk, "requester": "Lucía", "received_on": received, "status": "received"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    request = PersonalDataRequest.objects.get(contact=person)
    assert request.handled_by is None
    assert browser.get(f"{changelist}{request.pk}/change/").status_code == 200
    answered = browser.post(
        f"{changelist}{request.pk}/change/",
        {
            "kind": "access",
            "contact": person.pk,
            "requester": "Lucía",
            "received_on": received,
            "answered_on": timezone.localdate(),
            "status": "answered",
            "outcome": "Sent the export.",
        },
    )
    assert answered.status_code == 302, answered.content.decode()[:2000]
    request.refresh_from_db()
    assert (request.status, request.handled_by) == ("answered", admin)


@pytest.mark.parametrize("role", ["coordinator", "liaison-officer"])
def test_officers_with_the_staff_flag_cannot_touch_requests(person, role):
    request = PersonalDataRequest.objects.create(kind="access", contact=person, received_on=timezone.localdate())
    browser = Client()
    browser.force_login(UserFactory(role=role, is_staff=True))
    changelist = "/admin/privacy/personaldatarequest/"
    assert browser.get(changelist).status_code == 403
    assert browser.get(f"{changelist}{request.pk}/change/").status_code == 403
    refused = browser.post(changelist, {"action": "export_person", "_selected_action": [request.pk]})
    assert refused.status_code == 403
    assert not SecurityEvent.objects.filter(kind="personal-data").exists()


def test_admin_staff_without_the_superuser_flag_export_block_and_erase(person):
    # Admin staff as SPEC §1 has them: the staff flag, not superusers.
    browser = Client()
    browser.force_login(UserFactory(role="admin-staff", agency=None, is_staff=True))
    request = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.CANCELLATION, contact=person, received_on=timezone.localdate()
    )
    changelist = "/admin/privacy/personaldatarequest/"
    exported = browser.post(changelist, {"action": "export_person", "_selected_action": [request.pk]})
    assert exported.status_code == 200 and exported["Content-Type"] == "application/json"
    assert b"lucia.fernandez@fgr.example" in exported.content
    assert browser.post(changelist, {"action": "block_person", "_selected_action": [request.pk]}).status_code == 302
    assert browser.post(changelist, {"action": "erase_person", "_selected_action": [request.pk]}).status_code == 302
    person.refresh_from_db()
    assert person.blocked_at is not None and person.name == services.ERASED
    actions = set(SecurityEvent.objects.filter(kind="personal-data").values_list("detail__action", flat=True))
    assert actions == {"export", "block", "erase"}
    assert browser.post(f"{changelist}{request.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PersonalDataRequest.objects.filter(pk=request.pk).exists()
