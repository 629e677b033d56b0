"""The PostgreSQL backend's health check of reused connections (registry/db/postgresql):
no round trip to the server, and a connection the server has dropped is not reused."""

import time

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL backend only; SQLite has no server"),
]


@pytest.fixture
def other():
    """A second connection to the test database, as a worker's persistent connection."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_a_healthy_connection_is_usable_without_a_query(other):
    with other.cursor() as cursor:
        cursor.execute("SELECT 1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT query_start FROM pg_stat_activity WHERE pid = %s", [other.connection.info.backend_pid])
        before = cursor.fetchone()[0]
    assert other.is_usable()
    other.close_if_health_check_failed()
    assert other.connection is not None  # kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT query_start FROM pg_stat_activity WHERE pid = %s", [other.connection.info.backend_pid])
        assert cursor.fetchone()[0] == before  # the check sent nothing to the server


def test_a_connection_the_server_dropped_is_replaced(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0] is True
    deadline = time.monotonic() + 60  # waits for the server only as long as it takes; generous when busy
    while other.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not other.is_usable()
    # What Django does at the start of a request with CONN_HEALTH_CHECKS: drop it, then reconnect.
    other.health_check_done = False
    other.close_if_health_check_failed()
    assert other.connection is None
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_closed_connection_is_not_usable(other):
    other.connection.close()
    assert not other.is_usable()


def prepared_statements(wrapper) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_token_lookup_is_prepared_once_per_connection(coordinator_api):
    assert coordinator_api.get("/api/v1/functions/").status_code == 200
    assert coordinator_api.get("/api/v1/functions/").status_code == 200
    token_statements = [s for s in prepared_statements(connection) if "authtoken_token" in s]
    assert len(token_statements) == 1
    # Other queries keep Django's client-side binding: nothing else is prepared.
    assert len(prepared_statements(connection)) == 1


def test_the_session_user_lookup_is_prepared_once_per_connection(client, coordinator_user):
    client.force_login(coordinator_user)
    assert client.get("/cases/").status_code == 200
    assert client.get("/actions/").status_code == 200
    statements = prepared_statements(connection)
    assert len(statements) == 1
    assert "registry_user" in statements[0] and "LEFT JOIN" in statements[0]


@pytest.mark.parametrize(("enabled", "prepared"), [(False, []), (True, ["SELECT $1::int + 1"])])
def test_prepared_statements_can_be_switched_off_for_a_pooler(settings, enabled, prepared):
    settings.ENLACE_PG_PREPARED_STATEMENTS = enabled  # read when a connection opens
    wrapper = connections.create_connection("default")
    try:
        with wrapper.prepared_cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone()[0] == 42
        assert prepared_statements(wrapper) == prepared
    finally:
        wrapper.close()
