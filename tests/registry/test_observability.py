"""Observability (docs/observability.md): the Prometheus endpoint is protected (404 for anyone but
a scraper with the bearer token or admin staff), counts requests by route (the URL pattern, not
the path) and status, times them, counts their SQL queries, reports the task queue and times
flag syncs; the JSON log line of a signed-in request names its request id, user id and route
and no username, e-mail address or path."""

import io
import json
import logging
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client, override_settings
from django.urls import resolve
from django_tasks_db.models import DBTaskResult

from flags.models import FlagKind
from flags.services import sync_flags
from registry.middleware import RequestIdLogFilter
from tests.factories import AgencyFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-scraper-token-for-the-tests-0123456789"
pytestmark = pytest.mark.django_db


def sample(body: str, name: str, **labels) -> float:
    """The value of one series of the exposition text (0 when absent)."""
    for line in body.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape(client=None, token=TOKEN):
    client = client or Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", **headers)


@override_settings(ENLACE_METRICS_TOKEN=TOKEN)
def test_only_the_scraper_token_and_admin_staff_read_the_metrics(coordinator_user, admin_user):
    assert scrape(token=None).status_code == 404
    assert scrape(token="wrong-token").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 404
    signed_in = Client()
    signed_in.force_login(coordinator_user)
    assert scrape(signed_in, token=None).status_code == 404
    staff = Client()
    staff.force_login(admin_user)
    answer = scrape(staff, token=None)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=")
    assert answer.status_code == scrape().status_code == 200
    assert "no-cache" in answer["Cache-Control"]


@override_settings(ENLACE_METRICS_TOKEN="")
def test_without_a_token_setting_no_bearer_opens_the_metrics():
    assert scrape(token="").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@override_settings(ENLACE_METRICS_TOKEN=TOKEN)
def test_requests_are_counted_by_route_and_status_timed_and_their_queries_counted(api):
    agency = AgencyFactory(slug="us-metrics-test")
    route = resolve(f"/api/v1/agencies/{agency.slug}/").route.removesuffix("$")  # the router's pattern
    before = scrape().content.decode()
    assert api.get(f"/api/v1/agencies/{agency.slug}/").status_code == 200
    assert api.get("/api/v1/agencies/us-no-such-agency/").status_code == 404
    assert api.get("/no/such/page/at/all/").status_code == 404
    after = scrape().content.decode()

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("enlace_http_requests_total", route=route, method="GET", status="200") == 1
    assert grew("enlace_http_requests_total", route=route, method="GET", status="404") == 1
    assert grew("enlace_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert agency.slug not in after  # labels are patterns, never paths
    assert grew("enlace_http_request_duration_seconds_count", route=route) == 2
    assert grew("enlace_http_request_duration_seconds_bucket", route=route, le="+Inf") == 2
    assert grew("enlace_http_request_db_queries_count", route=route) == 2
    assert grew("enlace_http_request_db_queries_sum", route=route) >= 2  # at least the agency's lookup each
    assert grew("enlace_http_request_db_queries_bucket", route=route, le="0.0") == 0
    assert grew("enlace_db_queries_total", database="default") >= 2


@override_settings(ENLACE_METRICS_TOKEN=TOKEN)
def test_the_task_queue_depth_and_failures_come_from_the_database(days_ago_run_after):
    for status, count in (("READY", 3), ("FAILED", 2), ("SUCCESSFUL", 1)):
        for _ in range(count):
            DBTaskResult.objects.create(
                status=status,
                args_kwargs={"args": [], "kwargs": {}},
                task_path="federation.tasks.run_exchange",
                queue_name="default",
                backend_name="default",
                run_after=days_ago_run_after,
            )
    body = scrape().content.decode()
    assert sample(body, "enlace_tasks", queue="default", status="READY") == 3
    assert sample(body, "enlace_tasks", queue="default", status="FAILED") == 2
    assert sample(body, "enlace_tasks", queue="default", status="SUCCESSFUL") == 1
    assert sample(body, "enlace_tasks_oldest_ready_age_seconds", queue="default") >= 3600
    assert sample(body, "enlace_tasks_queue_readable") == 1


@pytest.fixture
def days_ago_run_after():
    from django.utils import timezone

    return timezone.now() - timezone.timedelta(hours=2)


@override_settings(ENLACE_METRICS_TOKEN=TOKEN)
def test_flag_syncs_are_timed_by_kind_and_scope():
    labels = {"kind": FlagKind.MISSING_CONTACT.value}
    before = scrape().content.decode()
    sync_flags(kind=FlagKind.MISSING_CONTACT)
    sync_flags(kind=FlagKind.MISSING_CONTACT, ids=[AgencyFactory().pk])
    after = scrape().content.decode()
    for scope in ("full", "incremental"):
        grew = sample(after, "enlace_flag_sync_duration_seconds_count", **labels, scope=scope) - sample(
            before, "enlace_flag_sync_duration_seconds_count", **labels, scope=scope
        )
        assert grew == 1, scope


def json_lines(do) -> list[dict]:
    """The lines the settings' JSON formatter writes for the request logger while `do` runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdLogFilter())
    options = dict(settings.LOGGING["formatters"]["json"])
    handler.setFormatter(__import__("registry.observability").observability.JsonFormatter(fmt=options["fmt"]))
    loggers = [logging.getLogger(name) for name in ("enlace.request", "enlace.security", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        response = do()
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    return response, [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_json_log_line_of_a_signed_in_request_has_ids_and_route_and_no_personal_data():
    assert settings.ENLACE_LOG_FORMAT == "json"  # debug off: the production format
    user = UserFactory(username="maria.lopez.logs", email="maria.lopez@example.gob.mx", role="coordinator")
    client = Client()

    def sign_in_and_read():
        client.force_login(user)  # its security event is logged too
        return client.get("/api/v1/cases/", HTTP_X_REQUEST_ID="log-test-0001")

    response, lines = json_lines(sign_in_and_read)
    assert any(line["logger"] == "enlace.security" for line in lines)
    assert response.status_code == 200
    (line,) = [line for line in lines if line["logger"] == "enlace.request"]
    assert line["request_id"] == "log-test-0001" == response["X-Request-ID"]
    assert line["user_id"] == user.pk
    assert line["route"] == "api/v1/cases/"
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "INFO")
    assert isinstance(line["duration_ms"], float) and "time" in line
    text = json.dumps(lines)
    for personal in (user.username, user.email, "maria", "lopez"):
        assert personal not in text


def test_log_lines_name_the_route_not_a_path_that_may_hold_a_secret(api):
    secret = "Mg/set-password-c0ffee-secret-token"
    response, lines = json_lines(lambda: api.get(f"/accounts/reset/{secret}/"))
    assert lines and all(line["user_id"] is None for line in lines)
    assert "c0ffee" not in json.dumps(lines)
    assert {line["request_id"] for line in lines} == {response["X-Request-ID"]}


@override_settings(ENLACE_METRICS_TOKEN=TOKEN)
def test_every_metric_the_alert_rules_use_is_exported():
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "enlace-alerts.yml").read_text(encoding="utf-8"))
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert len(alerts) >= 8
    assert all(rule["alert"] and rule["expr"] and rule["annotations"]["summary"] for rule in alerts)
    body = scrape().content.decode()
    documented = (ROOT / "docs" / "observability.md").read_text(encoding="utf-8")
    for rule in alerts:
        for name in set(re.findall(r"\benlace_\w+", rule["expr"])):
            base = re.sub(r"_(bucket|sum|count|total)$", "", name)
            assert f"# TYPE {base} " in body or f"# TYPE {name} " in body, (rule["alert"], name)
        assert f'id="{rule["alert"].lower()}"' in documented, rule["alert"]
