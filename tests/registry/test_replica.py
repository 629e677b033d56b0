"""Read scale-out on PostgreSQL's own streaming replication (registry/db/router.py), against a
real hot standby that this test starts itself: a pg_basebackup of the suite's cluster on port
5445. gunicorn (deploy/gunicorn.conf.py, 2 workers, Redis as the shared cache) with
DATABASE_REPLICA_URLS pointing at it:

- reads of a read request go to the replica (the metrics count its queries);
- read-your-writes: with the replica's replay paused (it lags), the client that just created a
  case reads it back (pinned to the primary), while another client, reading the replica, does
  not see it yet; once replay resumes it does;
- the replica is stopped in the middle of a load: every request still answers 200, from the
  primary, and the fallback is counted.

Serial (it binds port 5445 and stops the standby) and PostgreSQL only."""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from bench.standby import Standby
from tests.factories import AgencyFactory, UserFactory
from tests.registry.test_observability import sample

ROOT = Path(__file__).resolve().parents[2]
REPLICA_PORT = 5445
METRICS_TOKEN = "replica-test-metrics-token-0123456789"
# A Redis database of its own (the pins live there, shared by the two workers).
REDIS_URL = os.environ.get("ENLACE_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")

pytestmark = [
    pytest.mark.serial,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="read replicas are PostgreSQL streaming replicas: SQLite has none to start",
    ),
]


def primary_dsn(name: str | None = None) -> str:
    db = connection.settings_dict
    return (
        f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"
    )


@pytest.fixture
def people(transactional_db):
    """Two coordinators of one agency, with API tokens (committed: other processes read them)."""
    agency = AgencyFactory(slug="us-replica-test", acronym="RPL")
    writer = UserFactory(username="replica.writer", role="coordinator", agency=agency)
    reader = UserFactory(username="replica.reader", role="coordinator", agency=agency)
    return {
        "writer": Token.objects.create(user=writer).key,
        "reader": Token.objects.create(user=reader).key,
    }


@pytest.fixture
def standby(people):
    replica = Standby(primary_dsn(), port=REPLICA_PORT)
    try:
        replica.wait_caught_up()
        yield replica
    finally:
        replica.remove()


@pytest.fixture
def web(standby, tmp_path):
    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "ENLACE_REQUIRE_MFA": "0",
        "ENLACE_THROTTLE_ANON": "1000000/minute",
        "ENLACE_THROTTLE_USER": "1000000/minute",
        "DATABASE_URL": primary_dsn().replace("postgresql://", "postgres://"),
        "DATABASE_REPLICA_URLS": standby.dsn(db["NAME"]).replace("postgresql://", "postgres://"),
        "ENLACE_REPLICA_DOWN_SECONDS": "2",
        "REDIS_URL": REDIS_URL,
        "ENLACE_METRICS_TOKEN": METRICS_TOKEN,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (the web service's own command)
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "registry.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            with contextlib.suppress(OSError):
                if call(base, "/healthz")[0] == 200:
                    break
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.3)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base: str, path: str, token: str | None = None, body: bytes | None = None, bearer: bool = False):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"{'Bearer' if bearer else 'Token'} {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 (loopback)
        base + path, data=body, headers=headers, method="POST" if body else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode()


def metric(base: str, name: str, **labels) -> float:
    status, body = call(base, "/metrics", METRICS_TOKEN, bearer=True)
    assert status == 200
    return sample(body, name, **labels)


def test_reads_go_to_the_replica_a_writer_reads_its_writes_and_losing_the_replica_costs_no_error(people, standby, web):
    # A read request reads the replica.
    before = metric(web, "enlace_db_queries_total", database="replica1")
    assert call(web, "/api/v1/cases/", people["reader"])[0] == 200
    assert metric(web, "enlace_db_queries_total", database="replica1") > before

    # The replica lags (replay paused): the writer reads its new case back from the primary,
    # the other coordinator (reading the replica) does not see it yet.
    standby.sql("SELECT pg_wal_replay_pause()")
    status, created = call(
        web, "/api/v1/cases/", people["writer"], b'{"title": "Replica lag", "sensitivity": "public"}'
    )
    assert status == 201, created
    case_id = json.loads(created)["id"]
    for _ in range(3):
        assert call(web, f"/api/v1/cases/{case_id}/", people["writer"])[0] == 200
    assert call(web, f"/api/v1/cases/{case_id}/", people["reader"])[0] == 404
    standby.sql("SELECT pg_wal_replay_resume()")
    standby.wait_caught_up()
    assert call(web, f"/api/v1/cases/{case_id}/", people["reader"])[0] == 200

    # The replica is lost in the middle of a load: every answer is still 200.
    fallbacks = metric(web, "enlace_db_replica_unavailable_total", database="replica1")
    answers: list[tuple[float, int]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + 5

    def load():
        while time.monotonic() < stop_at:
            status, _ = call(web, "/api/v1/cases/", people["reader"])
            with lock:
                answers.append((time.monotonic(), status))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    stopped = time.monotonic()
    standby.stop("fast")
    for thread in threads:
        thread.join()
    statuses = [status for _, status in answers]
    assert statuses and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert any(at < stopped for at, _ in answers) and sum(1 for at, _ in answers if at > stopped + 0.5) >= 3
    assert metric(web, "enlace_db_replica_unavailable_total", database="replica1") > fallbacks
    # With the replica gone, reads keep going to the primary.
    primary = metric(web, "enlace_db_queries_total", database="default")
    assert call(web, "/api/v1/cases/", people["reader"])[0] == 200
    assert metric(web, "enlace_db_queries_total", database="default") > primary
