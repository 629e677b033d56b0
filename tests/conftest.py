"""Fixtures for the whole suite: an API client, one signed-in user per role, today's date, and
clocks that do not run out in the middle of a test."""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import dates
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


@pytest.fixture
def today() -> datetime.date:
    """The one "today" a test derives its dates from (tests/dates.py)."""
    return dates.today()


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """A request in Spanish leaves Spanish active in the thread (LocaleMiddleware activates the
    request's language and nothing puts it back), and management commands write in the active
    language: without this, a command's output depends on which test ran before it in the same
    worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_expiry_while_a_test_runs(monkeypatch):
    """No test depends on how fast the machine is: what the code keeps for a while (the
    60-second caches of counterparts, metrics and the coverage matrix; the session's activity
    stamp, rewritten at most every 15 seconds) stays put until the test itself changes it, so
    a query count or a cache hit is the same on a busy machine as on an idle one. Tests of the
    idle timeout move the session clock themselves (tests/security/test_sessions.py). Each test
    starts from an empty cache, so nothing kept by an earlier test is read by a later one."""
    from django.core.cache import cache

    from agencies import selectors as agency_selectors
    from cases import selectors as case_selectors
    from registry import middleware

    for module, name in [
        (agency_selectors, "COUNTERPARTS_CACHE_SECONDS"),
        (agency_selectors, "LIST_COUNT_CACHE_SECONDS"),
        (agency_selectors, "LIST_PAGE_CACHE_SECONDS"),
        (case_selectors, "METRICS_CACHE_SECONDS"),
        (agency_selectors, "COVERAGE_CACHE_SECONDS"),
    ]:
        monkeypatch.setattr(module, name, None)  # kept until invalidated (or cleared by the test)
    started = time.time()
    monkeypatch.setattr(middleware, "now_seconds", lambda: started)
    cache.clear()
