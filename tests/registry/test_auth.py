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


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([], "public"),
        (["liaison-officer"], "liaison-officer"),
        (["liaison-officer", "coordinator"], "coordinator"),
        (["coordinator", "admin-staff"], "admin-staff"),
    ],
)
def test_a_token_signs_in_with_the_accounts_strongest_role_in_one_query(groups, expected):
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from registry.api.tokens import ExpiringTokenAuthentication

    user = UserFactory(username="many.hats")
    user.groups.set([Group.objects.get(name=name) for name in groups])
    key = Token.objects.create(user=user).key
    with CaptureQueriesContext(connection) as queries:
        signed_in, token = ExpiringTokenAuthentication().authenticate_credentials(key)
        role = signed_in.role
    assert len(queries.captured_queries) == 1
    assert (signed_in.pk, token.key, role) == (user.pk, key, expected)
    # The same role a fresh read of the account derives (registry/models.py).
    assert type(user).objects.get(pk=user.pk).role == expected
    assert signed_in.username == "many.hats" and signed_in.has_usable_password()


def test_a_token_of_a_deactivated_account_is_refused(liaison):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=liaison).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/contacts/").status_code == 200
    liaison.is_active = False
    liaison.save()
    assert client.get("/api/v1/contacts/").status_code == 401
