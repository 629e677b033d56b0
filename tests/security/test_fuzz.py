"""API fuzzing with schemathesis against the app's own OpenAPI schema: every operation,
signed in as each role (and anonymous). No answer may be a 5xx, and every answer must match
the schema (status code documented, content type and body as declared).

CI runs a few examples per operation (ENLACE_FUZZ_EXAMPLES, default 5). The long run:
    ENLACE_FUZZ_EXAMPLES=300 .venv/bin/pytest -m fuzz tests/security/test_fuzz.py
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.wsgi import application
from tests.conftest import client_for
from tests.security import regex_memo
from tests.security.world import ROLES, build_world

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]
EXAMPLES = int(os.environ.get("ENLACE_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Revoking the token under test would leave the rest of the run anonymous.
SKIPPED = {("DELETE", "/api/v1/auth/token/")}
regex_memo.install()


@pytest.fixture
def keep_test_connection():
    """Through the WSGI app, the end of each request would close the test's database
    connection (and its transaction); Django's own test client avoids that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def token_header(user) -> dict[str, str]:
    if user is None:
        return {}
    client_for(user)  # makes sure the user has a token
    return {"Authorization": f"Token {user.auth_token.key}"}


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_without_5xx_and_as_documented(role, settings, keep_test_connection):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]  # schemathesis' WSGI client says Host: localhost
    world = build_world()
    headers = token_header(world.users[role])
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=EXAMPLES <= 10,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # collect every failure, report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:600]}")
    assert operations >= 40, f"only {operations} operations in the schema"
    assert failures == [], "\n\n".join(failures)
