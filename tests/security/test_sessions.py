"""A session unused for 30 minutes ends (CJIS 5.5.5)."""

import pytest
from django.test import Client

from registry import middleware
from registry.models import SecurityEvent
from tests.security.conftest import make_user

pytestmark = pytest.mark.django_db
SIGNED_IN_ONLY = "/api/v1/contacts/"


def test_an_idle_session_ends_after_thirty_minutes(monkeypatch, settings):
    assert settings.ENLACE_SESSION_IDLE_SECONDS == 30 * 60
    clock = [1_000_000.0]
    monkeypatch.setattr(middleware, "now_seconds", lambda: clock[0])
    user = make_user("liaison-officer")
    browser = Client()
    browser.force_login(user)
    assert browser.get(SIGNED_IN_ONLY).status_code == 200
    clock[0] += 29 * 60
    assert browser.get(SIGNED_IN_ONLY).status_code == 200  # activity renews the clock
    clock[0] += 29 * 60
    assert browser.get(SIGNED_IN_ONLY).status_code == 200
    clock[0] += 30 * 60 + 1
    assert browser.get(SIGNED_IN_ONLY).status_code in {401, 403}
    assert "_auth_user_id" not in browser.session
    assert SecurityEvent.objects.filter(kind="session-expired", user=user).exists()


def test_session_cookies_are_http_only_and_limited(settings):
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
