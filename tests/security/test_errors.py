"""Errors never leak: no traceback, SQL or internal path with debug off; a request id in
every response and in its log line; 503 with Retry-After while the database is down."""

import io
import logging

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, override_settings

from registry import middleware
from registry.middleware import RequestIdLogFilter, is_database_unavailable

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls_faults")]
LEAKS = ["Traceback", "SELECT", "secret_table", "/work/", "site-packages", ".py", 'File "']


def no_leak(response):
    text = response.content.decode(errors="replace")
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked in {text[:200]}"


def quiet_client() -> Client:
    return Client(raise_request_exception=False)


def test_debug_is_off_in_the_suite():
    assert settings.DEBUG is False


def test_an_exception_in_an_api_view_answers_a_plain_500():
    response = quiet_client().get("/api/v1/test-faults/boom/")
    assert response.status_code == 500
    assert response.json()["detail"].endswith(response["X-Request-ID"])
    no_leak(response)


def test_a_broken_query_answers_a_plain_500():
    response = quiet_client().get("/api/v1/test-faults/bad-sql/")
    assert response.status_code == 500
    no_leak(response)


def test_an_exception_in_a_page_answers_the_500_page_without_leaks():
    response = quiet_client().get("/test-faults/page-boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Request-ID"] in response.content.decode()
    no_leak(response)


def test_a_database_outage_in_a_view_answers_503_with_retry_after():
    response = quiet_client().get("/api/v1/test-faults/db-down/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "detail" in response.json()
    no_leak(response)


def test_a_database_outage_in_middleware_answers_503_too(monkeypatch, admin_api):
    def unreachable(request):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(middleware, "_principal", unreachable)
    admin_api.raise_request_exception = False
    response = admin_api.post("/api/v1/functions/", {"slug": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 503
    assert response["Retry-After"]
    no_leak(response)


def test_not_found_and_bad_input_do_not_leak(api):
    no_leak(api.get("/api/v1/agencies/no-such-agency/"))
    no_leak(api.get("/api/v1/agencies/?limit=abc&offset=-1"))
    no_leak(api.post("/api/v1/auth/token/", "{not json", content_type="application/json"))


def test_every_response_has_a_request_id_and_a_given_one_is_kept(api):
    first = api.get("/healthz")
    second = api.get("/api/v1/agencies/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert api.get("/livez", HTTP_X_REQUEST_ID="proxy-id-12345")["X-Request-ID"] == "proxy-id-12345"
    # Anything odd in the incoming header is replaced, never echoed.
    assert api.get("/livez", HTTP_X_REQUEST_ID="<script>x")["X-Request-ID"] != "<script>x"


def test_the_log_line_of_a_request_names_its_id(api):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["default"]["format"]))
    logger = logging.getLogger("enlace.request")
    logger.addHandler(handler)
    try:
        response = api.get("/api/v1/agencies/")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert f"[{response['X-Request-ID']}]" in line
    assert "GET api/v1/agencies/ 200" in line  # the route (URL pattern), not the path


@override_settings(DEBUG=False)
def test_the_error_log_keeps_the_traceback_for_operators(caplog):
    with caplog.at_level(logging.ERROR):
        response = quiet_client().get("/api/v1/test-faults/boom/")
    assert response.status_code == 500
    assert any(record.exc_info for record in caplog.records)


def test_only_connection_trouble_counts_as_unavailable():
    assert is_database_unavailable(InterfaceError("connection already closed"))
    assert not is_database_unavailable(ValueError("database is locked"))
    if connection.vendor == "sqlite":
        assert is_database_unavailable(OperationalError("database is locked"))
        assert not is_database_unavailable(OperationalError("no such column: secret"))
    else:
        assert is_database_unavailable(OperationalError("server closed the connection unexpectedly"))
