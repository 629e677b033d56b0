"""The whole schemathesis run, in process, for each role: every phase (examples, coverage,
fuzzing, stateful), the conformance checks, and positive_data_acceptance (a request valid by
the schema is not refused) and negative_data_rejection (a request the schema calls invalid is
refused). The schema must tell the truth about the API in both directions.

Bounded in time: ENLACE_FUZZ_SECONDS per role (default 14) and ENLACE_FUZZ_EXAMPLES per
operation and phase (default 4). The long run:
    ENLACE_FUZZ_SECONDS=300 ENLACE_FUZZ_EXAMPLES=50 .venv/bin/pytest -m fuzz tests/security/test_fuzz_phases.py
"""

import os
import re
from collections import Counter

import pytest
import schemathesis
from django.db import connections
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from registry.wsgi import application
from tests.security.test_fuzz import token_header
from tests.security.world import ROLES, build_world

# The engine sends its requests from a thread of its own (its own database connection), so the
# world is committed, not held in the test's transaction.
pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]
SECONDS = int(os.environ.get("ENLACE_FUZZ_SECONDS", "14"))
EXAMPLES = int(os.environ.get("ENLACE_FUZZ_EXAMPLES", "4"))
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
]
# Refusals of a schema-valid request that the schema documents but no JSON Schema keyword can
# state: 412, an If-Match of the right form that is not the object's current ETag; 422, an
# Idempotency-Key (any string) the run already sent with another body.
ACCEPTANCE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
# A 400 the schema cannot foresee: the named object does not exist, or another one holds the
# same unique value, or the registry's rules refuse the change in the object's current state
# (each message names its field; tests/cases and tests/agencies test these rules one by one).
UNFORESEEABLE = re.compile(
    r"does not exist|already exists|must make a unique set|Invalid pk|not found|Not found"
    r"|This would break a rule of the registry|Only |only |already |starts open|no longer|cannot"
    r"|A case has exactly one lead|takes part|Name another lead|still owns|Change participants"
    r"|Remove the subject|write an update|at least one jurisdiction|before|after"
    # Credentials, numbering plans and names known elsewhere: no schema lists the valid ones.
    r"|Unable to sign in|Enter a valid phone number|IANA time zone|Unknown functional area"
    # A case subject's identifier is read by its kind (a dealer licence needs digits, a firearm a
    # make and serial, cases/normalize.py): OpenAPI 3.0 has no if/then to tie one field to another.
    r"|A dealer license number must contain digits|Give the |is not a valid U.S. or Mexican phone number"
    r"|is not a valid U.S. or Mexican phone number|Give the slug of a functional area"
    # An identifier names one agency or one place (agencies.Identifier): "exactly one of two
    # nullable fields" is no keyword drf-spectacular writes.
    r"|exactly one agency or one jurisdiction"
    # A case's state decides what it takes (cases/services.py): the stateful phase may archive
    # a case before it adds to it, and a path holds no state a schema could describe.
    r"|An archived case takes no new subjects|A closed or archived case takes no new action items"
)
# A query parameter mutated into an object or an array reaches the API as its keys or items,
# ordinary strings (`limit={"50": …}` is sent as `limit=50`, `{}` as nothing): the request as
# sent is not the invalid one, so its acceptance says nothing (one its strings break is refused).
SENT_AS_STRINGS = re.compile(r"parameter `\w+` in query - violates `type` .*became (object|array)")
# A request the schema calls invalid may also be refused for a stale If-Match (checked first).
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429"]
# Revoking the token in use would leave the rest of the run anonymous.
EXCLUDED_OPERATIONS = ["auth_token_destroy"]


# Two runs per role, each with half the time: a time limit shared by every phase let a slow
# machine spend it all on coverage, and fuzzing never started (a CI failure).
RUNS = [("examples", "coverage"), ("fuzzing", "stateful")]


def run_config(headers: dict[str, str], phases: tuple[str, ...]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 2026,
            "workers": 1,  # one thread: the test database is one connection
            "max-time": max(1, SECONDS // len(RUNS)),
            "suppress-health-check": ["all"],
            "headers": headers,
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "phases": {
                "examples": {"enabled": "examples" in phases},
                "coverage": {"enabled": "coverage" in phases},
                "fuzzing": {"enabled": "fuzzing" in phases},
                "stateful": {"enabled": "stateful" in phases, "max-steps": 6},
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
                "positive_data_acceptance": {"enabled": True, "expected-statuses": ACCEPTANCE_STATUSES},
                "negative_data_rejection": {"enabled": True, "expected-statuses": REJECTION_STATUSES},
            },
            "operations": [{"include-operation-id": name, "enabled": False} for name in EXCLUDED_OPERATIONS],
        }
    )


def explained(check: str, response_body: str) -> bool:
    """A schema-valid request refused with a 400 whose every message is a rule the schema cannot state."""
    if check != "positive_data_acceptance":
        return False
    messages = re.findall(r'"((?:[^"\\]|\\.)*)"\]', response_body) or [response_body]
    return all(UNFORESEEABLE.search(message) for message in messages)


@pytest.fixture
def thread_connections_close():
    """The engine's thread opens its own connection; closed at the end of each request (not kept
    CONN_MAX_AGE seconds), it does not outlive the test and hold the test database open."""
    database = connections.databases["default"]
    kept = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = kept
    connection = connections["default"]
    if connection.vendor == "postgresql":  # a connection the finished thread left behind
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.mark.parametrize("role", ROLES)
def test_every_phase_finds_the_schema_true_to_the_api(role, settings, thread_connections_close):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    world = build_world()
    headers = token_header(world.users[role])
    failures, generated = [], Counter()
    for phases in RUNS:
        schema = schemathesis.openapi.from_wsgi(
            "/api/v1/schema/?format=json", application, config=run_config(headers, phases)
        )
        failures += run_failures(schema, generated)
    unique = sorted(set(failures))
    print(f"{role}: cases by phase {dict(generated)}, {len(unique)} failures")  # shown with -rA
    assert unique == [], f"{len(unique)} failures in {generated.total()} cases:\n" + "\n\n".join(unique[:40])
    # The schema has no examples (that phase has nothing to run); stateful gets what time is left.
    assert generated["coverage"] > 0 and generated["fuzzing"] > 0, dict(generated)


def run_failures(schema, generated: Counter) -> list[str]:
    """Run the engine over the schema; the failures no rule explains, and cases counted by phase."""
    failures = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            pytest.fail(f"schemathesis stopped: {event.exception}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        generated[str(event.phase.value)] += len(event.recorder.cases)
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.status != Status.FAILURE or check.failure_info is None:
                    continue
                interaction = event.recorder.interactions.get(case_id)
                body, uri = "", ""
                if interaction is not None and interaction.response is not None:
                    body = (interaction.response.content or b"").decode("utf-8", "replace")
                    uri = interaction.request.uri
                failure = check.failure_info.failure
                if explained(check.name, body) or (
                    check.name == "negative_data_rejection" and SENT_AS_STRINGS.search(failure.message)
                ):
                    continue
                message = f"{check.name} [{event.label}] {failure.title}: {failure.message[:300]}"
                failures.append(f"{message}\n  {uri[:300]}\n  {body[:300]}")
    return failures
