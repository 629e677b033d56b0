"""Fault: PostgreSQL stops and starts again while clients write through a real server
(gunicorn). While it is down the app answers 503 with Retry-After (never a 500, never a
hang); it recovers by itself within seconds; every write it acknowledged is in the database.

Runs only against PostgreSQL on a machine where this suite may stop and start the local
cluster (pg_ctlcluster, as root, as in CI). The outage lasts about 3 seconds."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from agencies.models import FunctionalArea
from tests.factories import UserFactory

ROOT = Path(settings.BASE_DIR)
ENGINE = settings.DATABASES["default"]["ENGINE"]
CLUSTER = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else ""
# Stopping PostgreSQL would break every other worker's tests: this runs alone (Makefile).
pytestmark = [
    pytest.mark.serial,
    pytest.mark.skipif(
        "postgresql" not in ENGINE or not shutil.which("pg_ctlcluster") or os.geteuid() != 0 or not CLUSTER,
        reason="needs the local PostgreSQL cluster (pg_ctlcluster, root); the SQLite run has no server to stop",
    ),
]
PG_ISREADY = shutil.which("pg_isready") or "/usr/bin/pg_isready"
OUTAGE_SECONDS = 3.0
RECOVERY_LIMIT_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg(action: str) -> None:
    subprocess.run(  # noqa: S603
        [
            shutil.which("pg_ctlcluster") or "/usr/bin/pg_ctlcluster",
            "--skip-systemctl-redirect",
            CLUSTER,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def wait_for_postgres(limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:  # noqa: S607
            return
        time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


@pytest.mark.django_db(transaction=True)
def test_writes_survive_a_database_restart_and_the_app_recovers_by_itself():
    admin = UserFactory(role="admin-staff", agency=None)
    token = Token.objects.create(user=admin).key
    db = settings.DATABASES["default"]
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "registry.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "30"],
        cwd=ROOT,
        env=env,
        # Not a pipe: nobody reads it during the test, and a full pipe would stall the server.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/livez", timeout=20).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not start")

        acknowledged: list[str] = []
        answers: list[tuple[float, int, str | None]] = []
        stop = threading.Event()

        def writer():
            session = requests.Session()
            session.headers["Authorization"] = f"Token {token}"
            while not stop.is_set():
                slug = f"fault-{uuid.uuid4().hex[:12]}"
                try:
                    answer = session.post(
                        f"{base}/api/v1/functions/",
                        json={"slug": slug, "name": slug, "name_es": slug},
                        headers={"Idempotency-Key": slug},
                        timeout=15,
                    )
                except requests.RequestException:
                    answers.append((time.monotonic(), 0, None))
                    continue
                answers.append((time.monotonic(), answer.status_code, answer.headers.get("Retry-After")))
                if 200 <= answer.status_code < 300:
                    acknowledged.append(slug)
                time.sleep(0.05)

        # Both workers warm (app loaded, connection open) before the outage.
        for _ in range(4):
            requests.get(f"{base}/healthz", timeout=30)
        writers = [threading.Thread(target=writer) for _ in range(2)]
        for thread in writers:
            thread.start()
        time.sleep(1.5)
        connection.close()
        down_at = time.monotonic()
        pg("stop")
        time.sleep(OUTAGE_SECONDS)
        pg("start")
        up_at = time.monotonic()
        wait_for_postgres()
        deadline = time.monotonic() + RECOVERY_LIMIT_SECONDS + 5
        while time.monotonic() < deadline and not any(t > up_at and s == 201 for t, s, _ in answers):
            time.sleep(0.2)
        time.sleep(1.0)
        stop.set()
        for thread in writers:
            thread.join(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
        wait_for_postgres()
        connection.close()

    during = [(status, retry) for t, status, retry in answers if down_at < t < up_at]
    assert any(status == 503 for status, _ in during), f"no 503 while down: {during[:10]}"
    assert all(retry for status, retry in during if status == 503), "a 503 without Retry-After"
    assert not [s for _, s, _ in answers if s >= 500 and s != 503], "a 5xx other than 503"
    assert 0 not in {s for _, s, _ in answers}, "a request got no answer at all"
    recovered = [t for t, s, _ in answers if t > up_at and s == 201]
    assert recovered, "never recovered"
    assert recovered[0] - up_at < RECOVERY_LIMIT_SECONDS
    stored = set(FunctionalArea.objects.filter(slug__in=acknowledged).values_list("slug", flat=True))
    assert len(acknowledged) > 10
    assert stored == set(acknowledged), f"acknowledged but lost: {set(acknowledged) - stored}"
