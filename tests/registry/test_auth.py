"""Token sign-in at /api/v1/auth/token/ (API.md § Auth): good credentials give a token that
works; bad or missing ones answer 400 naming the problem."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def liaison():
    return UserFactory(username="liaison.test", role="liaison-officer")


def test_good_credentials_give_a_token_that_signs_in(api, liaison):
    response = api.post(URL, {"username": "liaison.test", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 20
    client = APIClient()
    assert client.get("/api/v1/contacts/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/contacts/").status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"username": "liaison.test", "password": "wrong-password-entirely"},
        {"username": "nobody.here", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-user"],
)
def test_bad_credentials_are_400_saying_so(api, liaison, data):
    response = api.post(URL, data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "token" not in body
    assert "username and password" in " ".join(body["non_field_errors"])


@pytest.mark.parametrize("missing", ["username", "password"])
def test_a_missing_field_is_400_naming_it(api, liaison, missing):
    data = {"username": "liaison.test", "password": PASSWORD}
    del data[missing]
    response = api.post(URL, data, format="json")
    assert response.status_code == 400
    assert missing in response.json()


def test_an_inactive_account_gets_no_token(api, liaison):
    liaison.is_active = False
    liaison.save()
    response = api.post(URL, {"username": "liaison.test", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_bad_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/contacts/").status_code == 401
