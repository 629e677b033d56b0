"""Two live Enlace instances on loopback (ports 8311 and 8312), each with its own database
and cases, compare their subjects through the federation protocol: exactly the common
firearm and dealer subjects are flagged on both sides; a serial of one side only never
reaches the other's database, logs or wire; unsigned, replayed and over-limit requests are
refused. Marked `serial`: it binds fixed ports."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dj_database_url
import pytest

from federation import signing

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"a": 8311, "b": 8312}
IDS = {"a": "us-registry", "b": "mx-registry"}
# Serials and licences only one side holds, as typed and as normalized (long enough that a
# request id or a base64 point cannot hold them by chance).
ONLY_A = ["ONLYA999", "1-23-456-78-9K-13579", "1234567813579"]
ONLY_B = ["ONLYB777", "9-87-654-32-1Z-98765", "9876543298765"]


def _databases(tmp_path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        config = dj_database_url.parse(url)
        base = config["NAME"]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        urls = {}
        with psycopg.connect(admin, autocommit=True) as conn:
            for side in ("a", "b"):
                name = f"{base}_{side}"
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
                urls[side] = url.rsplit("/", 1)[0] + "/" + name
        return urls
    return {side: f"sqlite:///{tmp_path / f'{side}.sqlite3'}" for side in ("a", "b")}


class Instance:
    def __init__(self, side: str, database_url: str, seed: str, tmp_path: Path):
        self.side = side
        self.port = PORTS[side]
        self.url = f"http://127.0.0.1:{self.port}"
        self.seed = seed
        self.public_key = signing.public_key_of(seed)
        self.log = tmp_path / f"{side}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "registry.settings",
            "DJANGO_DEBUG": "1",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "DJANGO_LOG_LEVEL": "DEBUG",
            "ENLACE_FEDERATION_ID": IDS[side],
            "ENLACE_FEDERATION_SIGNING_KEY": seed,
            "ENLACE_FEDERATION_TRACE_DIR": str(tmp_path / f"wire-{side}"),
        }
        self.server = None

    def manage(self, *args, check=True) -> subprocess.CompletedProcess:
        result = subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        with self.log.open("a") as log:
            log.write(result.stdout + result.stderr)
        if check and result.returncode != 0:
            raise AssertionError(f"{args} failed on {self.side}: {result.stdout}\n{result.stderr}")
        return result

    def shell(self, code: str) -> dict | None:
        return _last_json(self.manage("shell", "-c", f"from tests.federation import instance; {code}").stdout)

    def spawn(self, code: str) -> subprocess.Popen:
        """`shell` in the background, for two instances at once (each start costs seconds)."""
        return subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", "shell", "-c", f"from tests.federation import instance; {code}"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start(self) -> None:
        self.server_log = (self.log.parent / f"{self.side}-server.log").open("w")
        self.server = subprocess.Popen(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--nothreading"],
            cwd=ROOT,
            env=self.env,
            stdout=self.server_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/livez", timeout=2):  # noqa: S310 (loopback)
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise AssertionError(f"instance {self.side} did not start")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
            self.server_log.close()

    def text_everywhere(self, dump: Path) -> str:
        """This instance's whole database as text (dumped by `report`), its logs and every
        body it sent or got."""
        self.server_log.flush()
        parts = [dump.read_text(), self.log.read_text(), (self.log.parent / f"{self.side}-server.log").read_text()]
        wire = Path(self.env["ENLACE_FEDERATION_TRACE_DIR"])
        parts += [path.read_bytes().decode("latin-1") for path in sorted(wire.glob("*"))] if wire.exists() else []
        return "\n".join(parts).upper()


def _last_json(out: str) -> dict | None:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def _both(pairs) -> list[dict | None]:
    """Run (instance, code) pairs at once; their JSON answers."""
    processes = [(instance, instance.spawn(code)) for instance, code in pairs]
    answers = []
    for instance, process in processes:
        out, err = process.communicate(timeout=180)
        with instance.log.open("a") as log:
            log.write(out + err)
        assert process.returncode == 0, f"{instance.side}: {out}\n{err}"
        answers.append(_last_json(out))
    return answers


def _reports(a, b, dumps=None) -> dict[str, dict]:
    dumps = dumps or {}
    report_a, report_b = _both(
        [(a, f"instance.report({str(dumps.get('a', ''))!r})"), (b, f"instance.report({str(dumps.get('b', ''))!r})")]
    )
    return {"a": report_a, "b": report_b}


def _post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _federated(report: dict) -> list[dict]:
    return [flag for flag in report["flags"] if "partner" in flag["params"]]


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("federation")
    urls = _databases(tmp_path)
    seeds = {side: signing.new_signing_key()[0] for side in ("a", "b")}
    a, b = (Instance(side, urls[side], seeds[side], tmp_path) for side in ("a", "b"))
    # Migrate one database and copy it: the schema is the same, and migrating costs most of the time.
    a.manage("migrate", "--no-input", "-v", "0")
    _copy_database(urls["a"], urls["b"])
    # Each seeds its own cases and registers the other, with the agency it speaks for.
    _both(
        [
            (a, f"instance.setup('a', {IDS['b']!r}, {b.url!r}, {b.public_key!r}, 'mx-fgr')"),
            (b, f"instance.setup('b', {IDS['a']!r}, {a.url!r}, {a.public_key!r}, 'us-atf')"),
        ]
    )
    a.start()
    b.start()
    try:
        yield a, b, tmp_path
    finally:
        a.stop()
        b.stop()


def _copy_database(source: str, target: str) -> None:
    if source.startswith("postgres"):
        import psycopg

        admin = source.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            name, template = target.rsplit("/", 1)[1], source.rsplit("/", 1)[1]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return
    import shutil

    shutil.copyfile(source.removeprefix("sqlite:///"), target.removeprefix("sqlite:///"))


def test_two_registries_flag_exactly_their_common_subjects(instances):
    a, b, tmp_path = instances

    out = a.manage("federation_exchange", "--partner", IDS["b"]).stdout
    assert "firearm: completed" in out and "dealer: completed" in out

    reports = _reports(a, b)
    for side, lead, partner_agency, liaison in (
        ("a", "us-atf", "mx-fgr", "Bruno Enlace-FGR"),
        ("b", "mx-fgr", "us-atf", "Alice Liaison-ATF"),
    ):
        report = reports[side]
        federated = _federated(report)
        # Exactly the common firearm and dealer: not the phone (a kind not agreed), not the others.
        assert sorted(flag["subject"] for flag in federated) == ["1570210105432", "GLOCK:AB12345"]
        for flag in federated:
            assert flag["status"] == "open"
            assert flag["agencies"] == [lead]  # addressed to the local case's lead agency
            (remote,) = flag["params"]["remote"]
            assert report["agencies"][str(remote["agency"])] == partner_agency
            assert remote["contact"]["name"] == liaison
        # Both sides audited both runs, with the sizes each side signed.
        completed = [run for run in report["runs"] if run["status"] == "completed"]
        assert sorted(run["kind"] for run in completed) == ["dealer", "firearm"]
        assert all(run["matches"] == 1 and run["local_count"] == 2 and run["remote_count"] == 2 for run in completed)
    assert {run["role"] for run in reports["a"]["runs"]} == {"initiator"}
    assert {run["role"] for run in reports["b"]["runs"]} == {"responder"}

    # Re-running, this time from the other side, changes no flag.
    b.manage("federation_exchange", "--partner", IDS["a"])
    again = _reports(a, b)
    for side in ("a", "b"):
        before = [(f["id"], f["status"], f["history"]) for f in _federated(reports[side])]
        assert [(f["id"], f["status"], f["history"]) for f in _federated(again[side])] == before

    # A match that disappears closes its flag, with the registry's note, on both sides.
    b.shell(f"instance.remove_and_exchange('1-57-021-01-9A-05432', {IDS['a']!r})")
    dumps = {"a": tmp_path / "a-dump.txt", "b": tmp_path / "b-dump.txt"}
    final = _reports(a, b, dumps)
    for side in ("a", "b"):
        by_subject = {f["params"]["subject_kind"]: f for f in _federated(final[side])}
        assert by_subject["firearm"]["status"] == "open"
        assert by_subject["dealer"]["status"] == "resolved"
        assert by_subject["dealer"]["note"] == "cause-disappeared"

    # Neither side's own-only serials ever reached the other: database, logs, wire.
    text_a, text_b = a.text_everywhere(dumps["a"]), b.text_everywhere(dumps["b"])
    assert all(n in text_a for n in ONLY_A) and all(n in text_b for n in ONLY_B)  # the search finds what is there
    for needle in ONLY_B:
        assert needle not in text_a
    for needle in ONLY_A:
        assert needle not in text_b


def test_unsigned_replayed_and_over_limit_requests_are_refused(instances):
    a, b, _tmp = instances
    start = f"{b.url}/api/federation/v1/psi/start/"
    body = json.dumps({"run_id": "abcdef0123456789", "kind": "firearm"}).encode()

    status, answer = _post(start, body, {})
    assert (status, answer["code"]) == (401, "unsigned")

    # Signed by A's key, as A: accepted once (then refused for its body), refused when replayed.
    headers = signing.sign_request(signing.signing_key(a.seed), IDS["a"], "POST", "/api/federation/v1/psi/start/", body)
    status, answer = _post(start, body, headers)
    assert (status, answer["code"]) == (400, "commitment")
    status, answer = _post(start, body, headers)
    assert (status, answer["code"]) == (401, "replayed")

    # Signed by a key B does not know for A.
    stranger = signing.new_signing_key()[0]
    headers = signing.sign_request(
        signing.signing_key(stranger), IDS["a"], "POST", "/api/federation/v1/psi/start/", body
    )
    status, answer = _post(start, body, headers)
    assert (status, answer["code"]) == (401, "bad-signature")

    # B allows A a set of one key: A's run of two is refused and nothing is flagged.
    b.shell(f"instance.register({IDS['a']!r}, {a.url!r}, {a.public_key!r}, 'us-atf', max_set_size=1)")
    result = a.manage("federation_exchange", "--partner", IDS["b"], check=False)
    assert result.returncode != 0
    reports = _reports(a, b)
    report_a, report_b = reports["a"], reports["b"]
    last_a = [run for run in report_a["runs"] if run["role"] == "initiator"][-2:]
    assert {run["status"] for run in last_a} == {"refused"}, [run["error"] for run in last_a]
    assert {run["status"] for run in report_b["runs"] if run["role"] == "responder"} >= {"refused"}
    assert "over-limit" in report_b["alerts"]
    # The flags of the first test are as they were: a refused run changes nothing.
    assert [f["status"] for f in _federated(report_a)] == [f["status"] for f in _federated(report_b)]
