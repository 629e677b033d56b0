"""API tokens expire after ENLACE_TOKEN_TTL_HOURS and can be revoked."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import SecurityEvent
from tests.security.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
SIGNED_IN_ONLY = "/api/v1/contacts/"


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_works_until_it_expires(api):
    user = make_user("liaison-officer")
    answer = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token", "expires"}
    assert with_token(body["token"]).get(SIGNED_IN_ONLY).status_code == 200
    Token.objects.filter(key=body["token"]).update(created=timezone.now() - timedelta(hours=12, seconds=1))
    expired = with_token(body["token"]).get(SIGNED_IN_ONLY)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]


@override_settings(ENLACE_TOKEN_TTL_HOURS=1)
def test_the_lifetime_comes_from_settings_and_a_new_sign_in_replaces_an_expired_token(api):
    user = make_user("liaison-officer")
    first = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json").json()["token"]
    Token.objects.filter(key=first).update(created=timezone.now() - timedelta(minutes=61))
    assert with_token(first).get(SIGNED_IN_ONLY).status_code == 401
    second = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json").json()["token"]
    assert second != first
    assert with_token(second).get(SIGNED_IN_ONLY).status_code == 200


def test_delete_revokes_the_token(api):
    user = make_user("coordinator")
    key = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json").json()["token"]
    client = with_token(key)
    assert client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(key=key).exists()
    assert client.get(SIGNED_IN_ONLY).status_code == 401
    assert SecurityEvent.objects.filter(kind="token-revoked", user=user).exists()
    assert SecurityEvent.objects.filter(kind="token-issued", user=user).exists()


def test_revoking_needs_a_token(api):
    assert api.delete(TOKEN_URL).status_code == 401


def test_an_inactive_account_gets_no_token(api):
    user = make_user("liaison-officer", is_active=False)
    answer = api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert answer.status_code == 400
    assert not Token.objects.filter(user=user).exists()


def test_a_stale_token_sent_along_does_not_stop_signing_in(api):
    user = make_user("liaison-officer")
    client = with_token("0" * 40)
    answer = client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json")
    assert answer.status_code == 200
