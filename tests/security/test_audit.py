"""The audit trail (change history, case read log, security events) is append-only, in
UTC, kept at least a year, and exportable by admin staff only."""

import csv
import io

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import Client, RequestFactory

from cases.models import CaseReadLog
from registry.models import SecurityEvent
from tests.cases.factories import CaseFactory
from tests.factories import AgencyFactory, UserFactory
from tests.security.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/audit/export/"


def audit_models():
    found = [SecurityEvent, CaseReadLog]
    found += [model for model in apps.get_models() if model.__name__.startswith("Historical")]
    return found


@pytest.fixture
def superuser():
    return UserFactory(role="admin-staff", agency=None, is_staff=True, is_superuser=True)


def test_retention_is_at_least_a_year():
    assert settings.ENLACE_AUDIT_RETENTION_DAYS >= 365


def test_no_admin_can_add_change_or_delete_audit_rows(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    registered = [model for model in audit_models() if admin.site.is_registered(model)]
    assert SecurityEvent in registered
    assert CaseReadLog in registered
    for model in registered:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_delete_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert "delete_selected" not in model_admin.get_actions(request), model


def test_the_admin_refuses_to_delete_or_edit_a_security_event(superuser):
    event = SecurityEvent.objects.create(kind="sign-in", username="someone")
    browser = Client()
    browser.force_login(superuser)
    base = "/admin/registry/securityevent/"
    assert browser.get(base).status_code == 200
    assert browser.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    browser.post(f"{base}{event.pk}/change/", {"kind": "sign-out", "username": "other"})
    bulk = browser.post(base, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert bulk.status_code in {200, 302}
    event.refresh_from_db()
    assert (event.kind, event.username) == ("sign-in", "someone")


def test_security_events_cannot_be_changed_or_deleted_in_code():
    event = SecurityEvent.objects.create(kind="sign-in", username="someone")
    event.kind = "lockout"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_the_api_offers_no_way_to_change_history(admin_api):
    agency = AgencyFactory()
    for method in ("post", "put", "patch", "delete"):
        answer = getattr(admin_api, method)(f"/api/v1/history/{agency.pk}/", {}, format="json")
        assert answer.status_code in {404, 405}, (method, answer.status_code)
        answer = getattr(admin_api, method)("/api/v1/history/", {}, format="json")
        assert answer.status_code == 405, (method, answer.status_code)


def test_role_changes_are_recorded():
    user = make_user("liaison-officer")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="coordinator"))
    user.groups.remove(Group.objects.get(name="liaison-officer"))
    changes = SecurityEvent.objects.filter(kind="role-change", user=user).order_by("id")
    assert [(event.detail["action"], event.detail["groups"]) for event in changes][-2:] == [
        ("add", ["coordinator"]),
        ("remove", ["liaison-officer"]),
    ]


def test_sign_ins_and_failures_on_the_web_are_recorded():
    user = make_user("liaison-officer")
    browser = Client()
    browser.post("/accounts/login/", {"username": user.username, "password": "wrong-password-guess"})
    browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    kinds = list(SecurityEvent.objects.filter(username=user.username).values_list("kind", flat=True))
    assert "sign-in-failure" in kinds
    assert "sign-in" in kinds


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_admin_staff_export_history_reads_and_security_events_in_utc(admin_api, api):
    admin_api.post(
        "/api/v1/functions/", {"slug": "audit-trail", "name": "Audit", "name_es": "Auditoría"}, format="json"
    )
    user = make_user("liaison-officer")
    api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    case = CaseFactory()
    CaseReadLog.objects.create(case=case, user=user, via="api")
    response = admin_api.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    sources = {row["source"] for row in rows}
    assert sources >= {"history", "read-log", "security"}
    assert any(row["object_type"] == "agencies.functionalarea" and row["action"] == "created" for row in rows)
    assert any(row["action"] == "token-issued" and row["actor"] == user.username for row in rows)
    assert any(row["source"] == "read-log" and row["object_id"] == str(case.pk) for row in rows)
    assert all(row["at"].endswith("Z") for row in rows)
    as_json = admin_api.get(EXPORT + "?format=json")
    assert as_json.status_code == 200
    import json

    results = json.loads(b"".join(as_json.streaming_content))["results"]
    assert len(results) >= len(rows)
    assert SecurityEvent.objects.filter(kind="audit-export").count() == 2


def test_the_export_window_filters_by_time(admin_api):
    SecurityEvent.objects.create(kind="sign-in", username="inside")
    rows = rows_of(admin_api.get(EXPORT + "?since=2999-01-01T00:00:00Z"))
    assert rows == []
    bad = admin_api.get(EXPORT + "?since=yesterday")
    assert bad.status_code == 400
    assert "since" in bad.json()


# Refused by their shape, never compared with the clock.
NOT_RFC_3339 = ["2026-01-31", "20260131T080000Z", "2026-01-31T08:00:00", "2026-01-31T25:00:00Z"]  # any-date


@pytest.mark.parametrize("bound", ["since", "until"])
@pytest.mark.parametrize("value", NOT_RFC_3339)
def test_a_bound_not_in_rfc_3339_is_a_400_naming_it_in_the_users_language(admin_api, bound, value):
    response = admin_api.get(EXPORT, {bound: value}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response.json() == {bound: ["Indique una fecha y hora en formato RFC 3339, p. ej. 2026-01-31T08:00:00Z."]}
    assert admin_api.get(EXPORT, {bound: ""}).status_code == 200  # an empty filter is no filter


@pytest.mark.parametrize("role", ["coordinator", "liaison-officer"])
def test_only_admin_staff_export(make_client, api, role):
    assert make_client(make_user(role)).get(EXPORT).status_code == 403
    assert api.get(EXPORT).status_code == 401
