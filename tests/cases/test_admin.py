"""The admin of cases and action items: pages answer, history is there, reads are logged."""

import pytest

from cases.models import CaseReadLog
from tests.cases.factories import ActionItemFactory, ActionUpdateFactory, CaseFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_user(client, staff):
    staff.is_staff = True
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client


def test_case_pages_and_history(admin_client_user, staff, atf):
    case = CaseFactory(lead_agency=atf)
    SubjectFactory(case=case)
    ActionItemFactory(case=case, owner=atf)
    assert admin_client_user.get("/admin/cases/case/").status_code == 200
    response = admin_client_user.get(f"/admin/cases/case/{case.pk}/change/")
    assert response.status_code == 200
    assert case.reference in response.content.decode()
    assert admin_client_user.get(f"/admin/cases/case/{case.pk}/history/").status_code == 200
    assert list(CaseReadLog.objects.values_list("user", "via")) == [(staff.pk, "web")]


def test_action_item_pages(admin_client_user, atf):
    item = ActionItemFactory(owner=atf)
    ActionUpdateFactory(item=item, text="A timeline note")
    assert admin_client_user.get("/admin/cases/actionitem/").status_code == 200
    response = admin_client_user.get(f"/admin/cases/actionitem/{item.pk}/change/")
    assert response.status_code == 200 and "A timeline note" in response.content.decode()
    assert admin_client_user.get(f"/admin/cases/actionitem/{item.pk}/history/").status_code == 200


def test_an_items_case_is_read_only_once_created(admin_client_user, atf):
    item = ActionItemFactory(case=CaseFactory(lead_agency=atf, sensitivity="restricted"), owner=atf)
    change = admin_client_user.get(f"/admin/cases/actionitem/{item.pk}/change/").content.decode()
    assert item.case.reference in change and 'name="case"' not in change
    assert 'name="case"' in admin_client_user.get("/admin/cases/actionitem/add/").content.decode()


def test_read_log_cannot_be_changed_in_the_admin(admin_client_user, staff, atf):
    case = CaseFactory(lead_agency=atf)
    entry = CaseReadLog.objects.create(case=case, user=staff, via="api")
    assert admin_client_user.get("/admin/cases/casereadlog/").status_code == 200
    assert admin_client_user.post(f"/admin/cases/casereadlog/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CaseReadLog.objects.filter(pk=entry.pk).exists()


@pytest.fixture
def records_staff_client(client, staff):
    """Admin staff as SPEC §1 has them: the staff flag, no superuser flag."""
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    return client


def test_admin_staff_read_every_case_page_without_being_superusers(records_staff_client, staff, atf):
    case = CaseFactory(lead_agency=atf, sensitivity="restricted")
    subject = SubjectFactory(case=case, identifier="SN-ADMIN-READ")
    item = ActionItemFactory(case=case, owner=atf, title="Trace the pistol")
    ActionUpdateFactory(item=item, text="Called the dealer")
    assert records_staff_client.get("/admin/cases/case/").status_code == 200
    page = records_staff_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert case.reference in text and "SN-ADMIN-READ" in text and "Trace the pistol" in text
    assert 'name="title"' not in text  # read, not edit
    assert records_staff_client.get(f"/admin/cases/case/{case.pk}/history/").status_code == 200
    assert list(CaseReadLog.objects.values_list("user", "via")) == [(staff.pk, "web")]
    item_page = records_staff_client.get(f"/admin/cases/actionitem/{item.pk}/change/").content.decode()
    assert "Called the dealer" in item_page
    assert records_staff_client.get(f"/admin/cases/casesubject/{subject.pk}/change/").status_code == 200
    assert records_staff_client.get("/admin/cases/casereadlog/").status_code == 200
    assert records_staff_client.get("/admin/cases/reminderlog/").status_code == 200


def test_admin_staff_do_not_write_cases_in_the_admin(records_staff_client, atf):
    case = CaseFactory(lead_agency=atf, title="Untouched")
    response = records_staff_client.post(f"/admin/cases/case/{case.pk}/change/", {"title": "Renamed"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.title == "Untouched"
    assert records_staff_client.get("/admin/cases/case/add/").status_code == 403
    assert records_staff_client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "liaison-officer"])
def test_officers_with_the_staff_flag_see_no_case_in_the_admin(client, atf, role):
    from tests.factories import UserFactory

    case = CaseFactory(lead_agency=atf, sensitivity="restricted")
    client.force_login(UserFactory(role=role, agency=atf, is_staff=True))
    assert client.get("/admin/cases/case/").status_code == 403
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 403
    assert not CaseReadLog.objects.exists()
