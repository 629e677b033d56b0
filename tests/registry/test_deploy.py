"""The deployable artifact without containers (this machine runs no Docker engine): the
commands of compose.yaml's web, worker and scheduler services, read from the file itself, are
started here as the container would start them (debug off, the image's environment) against the
test database: gunicorn with deploy/gunicorn.conf.py answers /healthz and serves a static file, the
image's HEALTHCHECK command passes, the worker and the scheduler start and stop on SIGTERM, and
the scheduler runs its three jobs. Dockerfile and compose.yaml are checked to agree with that.
What stays untested here: building the image and running it (docs/deploy.md § Verification)."""

import contextlib
import datetime
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
HOST = "enlace.example.gov"
# Generous: two cores shared with other suites; a start of Django alone can take seconds.
START_TIMEOUT = 90


def dockerfile_instruction(name: str) -> list[str]:
    """The JSON argument list of the runtime stage's last `name` instruction (CMD, HEALTHCHECK's CMD)."""
    lines = [line for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]
    assert lines, f"Dockerfile has no {name}"
    return json.loads(lines[-1][lines[-1].index("[") :])


def local(command: list[str]) -> list[str]:
    """A container command run from this checkout's virtualenv (python and gunicorn are the
    image's /opt/venv/bin ones there)."""
    program, *args = command
    if program == "python":
        return [sys.executable, *args]
    return [str(Path(sys.executable).parent / program), *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def container_env(transactional_db, tmp_path):
    """The environment of the image and of compose.yaml's services, pointing at the test
    database (committed, so that other processes see its tables)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        # The suite's SQLite database lives in memory: other processes get a copy of it, in a file.
        copy = tmp_path / "db.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)
        target.close()
        url = f"sqlite:///{copy}"
    port = free_port()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
        "HOME": str(tmp_path),
        # deploy/gunicorn.conf.py reads these (the image sets PORT=8000; here a free loopback port).
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "ENLACE_BACKUP_DIR": str(tmp_path / "backups"),
        # As compose.yaml sets them: the TLS proxy in front says which requests came over HTTPS.
        "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
        "ENLACE_TRUSTED_PROXY_COUNT": "1",
        "ENLACE_METRICS_TOKEN": secrets.token_urlsafe(32),
    }


class Service:
    """One service's command, started in the background with its output in a file."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.log = log
        self._output = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 (compose.yaml's own commands)
            command, cwd=ROOT, env=env, stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if text in self.output():
                return
            assert self.process.poll() is None, f"exited with {self.process.returncode}:\n{self.output()}"
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared:\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM, as docker stop sends; the exit status (the service must not need SIGKILL)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"did not stop on SIGTERM:\n{self.output()}") from None

    def kill(self) -> None:
        """The whole process group: gunicorn's workers too, which would otherwise keep their
        connections to the test database open after a failed test."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._output.close()


@pytest.fixture
def start(container_env, tmp_path):
    started = []

    def run(service: str, *extra: str) -> Service:
        process = Service(local([*SERVICES[service]["command"], *extra]), container_env, tmp_path / f"{service}.log")
        started.append(process)
        return process

    yield run
    for process in started:
        process.kill()


# What the TLS proxy adds to each request it forwards.
PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": HOST, **(headers or {})})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read()


def wait_until_healthy(web: Service, port: int) -> tuple[int, dict, bytes]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert web.process.poll() is None, f"gunicorn exited with {web.process.returncode}:\n{web.output()}"
        try:
            answer = get(port, "/healthz")
        except OSError:
            time.sleep(0.3)
            continue
        if answer[0] == 200:
            return answer
        time.sleep(0.3)
    raise AssertionError(f"/healthz never answered 200:\n{web.output()}")


def healthcheck(env: dict) -> subprocess.CompletedProcess:
    """The image's HEALTHCHECK command, as Docker runs it inside the web container."""
    return subprocess.run(  # noqa: S603 (the Dockerfile's own command)
        local(dockerfile_instruction("HEALTHCHECK")), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


# --- the files agree with what is tested below ------------------------------------------------


def test_compose_has_every_service_and_runs_the_migrations_first():
    assert {"db", "redis", "migrate", "web", "worker", "scheduler"} <= set(SERVICES)
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    for name in ("web", "worker", "scheduler"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert SERVICES[name]["depends_on"]["redis"] == {"condition": "service_healthy"}, name
        assert SERVICES[name]["environment"]["DATABASE_URL"].startswith("postgres://"), name
        assert SERVICES[name]["environment"]["REDIS_URL"].startswith("redis://redis:"), name
    # Behind the TLS proxy by default, as the web test below runs it.
    assert SERVICES["web"]["environment"]["DJANGO_SECURE_PROXY_SSL_HEADER"] == "${DJANGO_SECURE_PROXY_SSL_HEADER:-1}"
    assert SERVICES["web"]["environment"]["ENLACE_TRUSTED_PROXY_COUNT"] == "${ENLACE_TRUSTED_PROXY_COUNT:-1}"
    assert SERVICES["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert SERVICES["worker"]["command"] == ["python", "manage.py", "db_worker"]
    assert SERVICES["scheduler"]["command"] == ["python", "manage.py", "run_schedule"]
    # The backups outlive the container.
    assert any(volume.endswith(":/var/lib/enlace/backups") for volume in SERVICES["scheduler"]["volumes"])
    assert SERVICES["scheduler"]["environment"]["ENLACE_BACKUP_DIR"] == "/var/lib/enlace/backups"


def test_the_dockerfile_and_compose_start_web_and_check_health_the_same_way():
    assert (
        SERVICES["web"]["command"]
        == dockerfile_instruction("CMD")
        == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "registry.wsgi"]
    )
    assert SERVICES["web"]["healthcheck"]["test"] == ["CMD", *dockerfile_instruction("HEALTHCHECK")]
    assert dockerfile_instruction("HEALTHCHECK") == ["python", "deploy/healthcheck.py"]
    # gunicorn reads ./gunicorn.conf.py unasked: the bench's plain gunicorn must not get this one.
    assert not (ROOT / "gunicorn.conf.py").exists()
    # The same image runs the other services: the web check must not mark them unhealthy.
    for name in ("migrate", "worker", "scheduler"):
        assert SERVICES[name]["healthcheck"] == {"disable": True}, name


def test_the_image_is_slim_python_311_runs_as_a_user_and_is_built_with_translations_and_static():
    stages = [line.split()[1] for line in DOCKERFILE.splitlines() if line.startswith("FROM ")]
    assert stages and all(image.startswith("python:3.11-slim") for image in stages)
    users = [line.split()[1] for line in DOCKERFILE.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert "requirements.txt" in DOCKERFILE and "gettext" in DOCKERFILE
    assert "manage.py compilemessages" in DOCKERFILE and "manage.py collectstatic --no-input" in DOCKERFILE
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line for line in requirements if line.strip() and not line.startswith("#")]
    assert all("==" in line for line in pins), "every runtime requirement is pinned"
    assert any(line.startswith("gunicorn==") for line in pins)


# --- the same commands, run --------------------------------------------------------------------


def test_gunicorn_with_the_config_answers_healthz_serves_static_and_stops_gracefully(start, container_env):
    port = int(container_env["PORT"])
    web = start("web")
    _, headers, body = wait_until_healthy(web, port)
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert "no-cache" in headers.get("Cache-Control", "")

    status, headers, body = get(port, "/static/web/enlace.css", PROXIED)
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert body == (ROOT / "web/static/web/enlace.css").read_bytes()

    # Debug is off: through the proxy the API answers; a request that did not come through it
    # over HTTPS is sent there (only the health checks are exempt), and a host name not in
    # DJANGO_ALLOWED_HOSTS is refused.
    status, headers, _ = get(port, "/api/v1/agencies/", PROXIED)
    assert status == 200 and headers["Content-Type"] == "application/json"
    status, headers, _ = get(port, "/api/v1/agencies/")
    assert status == 301 and headers["Location"].startswith(f"https://{HOST}/")
    assert get(port, "/healthz", {"Host": "elsewhere.example"})[0] == 400

    checked = healthcheck(container_env)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Each access log line carries the request id the response answered.
    request_id = f"deploy-test-{secrets.token_hex(6)}"
    assert get(port, "/livez", {**PROXIED, "X-Request-ID": request_id})[1]["X-Request-ID"] == request_id
    access_line = f'203.0.113.9 [{request_id}] "GET /livez HTTP/1.1" 200'
    deadline = time.monotonic() + 30
    while access_line not in web.output() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert access_line in web.output()
    # The application's own line of that request: JSON, with the same id and the route.
    app_lines = [json.loads(line) for line in web.output().splitlines() if line.startswith("{")]
    assert any(line["request_id"] == request_id and line["route"] == "livez" for line in app_lines)

    # Metrics of both workers in one scrape (prometheus_client's multiprocess mode, set up by
    # the config): every /livez answered so far is counted, whichever worker answered it.
    for _ in range(9):
        assert get(port, "/livez", PROXIED)[0] == 200
    assert get(port, "/metrics", PROXIED)[0] == 404  # no token: not found
    status, _, body = get(port, "/metrics", {"Authorization": f"Bearer {container_env['ENLACE_METRICS_TOKEN']}"})
    assert status == 200
    counted = [
        float(line.rsplit(" ", 1)[1])
        for line in body.decode().splitlines()
        if line.startswith("enlace_http_requests_total{") and 'route="livez"' in line and 'status="200"' in line
    ]
    assert sum(counted) == 10

    assert web.stop() == 0, web.output()
    assert "Shutting down: Master" in web.output()
    # With the server gone the image's health check fails.
    assert healthcheck(container_env).returncode == 1


def test_the_worker_starts_and_stops_on_sigterm(start):
    worker = start("worker")
    worker.wait_for_output("Starting worker")
    assert worker.stop() == 0, worker.output()


def test_the_scheduler_dry_run_names_the_three_jobs_at_the_times_of_the_environment(start, container_env):
    container_env.update(
        ENLACE_SCHEDULE_DETECT_FLAGS="01:15", ENLACE_SCHEDULE_REMINDERS="07:45", ENLACE_SCHEDULE_BACKUP="04:30"
    )
    scheduler = start("scheduler", "--dry-run")
    assert scheduler.process.wait(timeout=START_TIMEOUT) == 0, scheduler.output()
    output = scheduler.output()
    assert "detect_flags: daily at 01:15 UTC" in output
    assert "send_reminders: daily at 07:45 UTC" in output
    assert "backup: daily at 04:30 UTC" in output
    assert "Running" not in output
    assert not Path(container_env["ENLACE_BACKUP_DIR"]).exists()


def test_the_scheduler_once_runs_the_three_jobs_and_writes_a_backup(start, container_env):
    scheduler = start("scheduler", "--once")
    assert scheduler.process.wait(timeout=START_TIMEOUT) == 0, scheduler.output()
    output = scheduler.output()
    for job in ("detect_flags", "send_reminders", "backup"):
        assert f"Finished {job}" in output, output
    bundles = list(Path(container_env["ENLACE_BACKUP_DIR"]).iterdir())
    assert len(bundles) == 1 and bundles[0].name.startswith("enlace-")
    manifest = json.loads((bundles[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "enlace-registry-backup"


def test_the_scheduler_waits_for_its_jobs_and_stops_on_sigterm(start, container_env):
    # Every job half a day away: none can fall due while the test runs.
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=12)).strftime("%H:%M")
    for variable in ("ENLACE_SCHEDULE_DETECT_FLAGS", "ENLACE_SCHEDULE_REMINDERS", "ENLACE_SCHEDULE_BACKUP"):
        container_env[variable] = later
    scheduler = start("scheduler")
    scheduler.wait_for_output("Scheduler started.")
    assert scheduler.stop() == 0, scheduler.output()
    assert "Scheduler stopped." in scheduler.output()
    assert "Running" not in scheduler.output()
