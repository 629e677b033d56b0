"""What the floor's lighter middleware (issue 20, registry/middleware.py) keeps: the policy
header django-csp would write, the user's language, messages, the second factor and the
audit trail's user, and /livez's no-store; a boolean parameter that is empty is refused."""

import csp.utils
import pytest
from django.contrib import messages
from django.test import override_settings
from simple_history.models import HistoricalRecords

from registry.middleware import CSPMiddleware

pytestmark = pytest.mark.django_db


def test_the_policy_header_is_the_one_django_csp_builds(client):
    assert client.get("/livez")["Content-Security-Policy"] == csp.utils.build_policy()
    changed = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=changed):
        assert client.get("/livez")["Content-Security-Policy"] == "default-src 'none'"
        assert CSPMiddleware.constant_policy(False) == csp.utils.build_policy()
    assert client.get("/livez")["Content-Security-Policy"] == csp.utils.build_policy()
    assert "Content-Security-Policy-Report-Only" not in client.get("/livez")


def test_livez_is_never_cached_and_says_ok(client):
    response = client.get("/livez")
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert client.post("/livez").status_code == 405


def test_the_language_comes_from_the_cookie_then_accept_language(client):
    assert client.get("/livez")["Content-Language"] == "en"
    assert client.get("/livez", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")["Content-Language"] == "es"
    client.cookies["django_language"] = "es"
    response = client.get("/api/v1/agencies/does-not-exist/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "es" and "Accept-Language" in response["Vary"]
    assert response.json()["detail"] != "Not found."  # in Spanish


def test_messages_are_stored_when_a_view_adds_one_and_not_built_otherwise(rf):
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.utils.functional import empty

    from registry.middleware import MessageMiddleware

    def adds(request):
        messages.info(request, "kept")
        return HttpResponse()

    request = rf.get("/")
    request.session = SessionStore()
    response = MessageMiddleware(adds)(request)
    stored = CookieStorage(rf.get("/"))._decode(response.cookies["messages"].value)
    assert [message.message for message in stored] == ["kept"]

    request = rf.get("/")
    request.session = SessionStore()
    response = MessageMiddleware(lambda request: HttpResponse())(request)
    assert "messages" not in response.cookies and request._messages._wrapped is empty


def test_the_audit_trail_knows_the_request_while_it_runs_and_forgets_it_after(rf):
    from registry.middleware import HistoryRequestMiddleware

    seen = []
    middleware = HistoryRequestMiddleware(lambda request: seen.append(HistoricalRecords.context.request) or "answer")
    request = rf.get("/")
    assert middleware(request) == "answer" and seen == [request]
    assert not hasattr(HistoricalRecords.context, "request")


@pytest.mark.parametrize("value", ["", "maybe"])
def test_an_empty_or_unknown_boolean_parameter_is_refused(api, value):
    response = api.get("/api/v1/mandates/", {"brief": value})
    assert response.status_code == 400 and "brief" in response.json()
