"""Fixtures for the whole suite: an API client, and one signed-in user per role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

ROLES = ["admin-staff", "coordinator", "liaison-officer"]


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def make_client():
    return client_for


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin-staff-user", role="admin-staff", agency=None)


@pytest.fixture
def coordinator_user(db):
    return UserFactory(username="coordinator-user", role="coordinator")


@pytest.fixture
def liaison_user(db):
    return UserFactory(username="liaison-user", role="liaison-officer")


@pytest.fixture
def admin_api(admin_user):
    return client_for(admin_user)


@pytest.fixture
def coordinator_api(coordinator_user):
    return client_for(coordinator_user)


@pytest.fixture
def liaison_api(liaison_user):
    return client_for(liaison_user)


@pytest.fixture
def count_queries():
    """count_queries(callable) -> (result, number of SQL queries it ran)."""

    def run(func):
        with CaptureQueriesContext(connection) as context:
            result = func()
        return result, len(context.captured_queries)

    return run
