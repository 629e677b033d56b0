#!/usr/bin/env python3
"""Enlace's performance bench (issue 7): the same measurements at two data scales, side by side.

    python bench/run.py                      # scales 0.1 and 1 on PostgreSQL, writes bench/results.md
    python bench/run.py --smoke              # scale 0.01, few requests, short load: keeps the script working
    python bench/run.py --scales 0.1 --reuse # measure again without regenerating the data

For each scale it (1) builds a database (`enlace_perf` at 0.1, `enlace_perf_full` at 1):
migrate, reference data, `generate_synthetic --scale N`; (2) in a Django process with debug
off, times `detect_flags` in full, then each API call and the case page through Django's
test client, warmed, N requests each (p50, p95, and the number of SQL queries of one call),
then `subject_add` (saving one case subject with its incremental flag update); (3) serves
the app with gunicorn (2 workers) and drives it from a second process on 127.0.0.1 (wrk
when installed, else a bounded Python load generator) for D seconds each against the
counterparts endpoint and `/livez`; records the workers' peak memory (VmHWM). Then it
prints one table and writes it, with the machine it ran on, to the output file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DATABASE_NAMES = {0.01: "enlace_perf_smoke", 0.1: "enlace_perf", 1.0: "enlace_perf_full"}

# What each in-process measurement is, and its p95 target in ms (issue 7).
CALLS = [
    ("search", "agency search q=fiscalia", 50),
    ("agencies_filtered", "agencies by function + jurisdiction", 50),
    ("counterparts", "counterparts (signed in)", 50),
    ("contacts", "contacts by agency + function", 50),
    ("cases", "case list of a coordinator", 50),
    ("overdue", "overdue action items of an agency", 50),
    ("flags", "flag queue of a coordinator", 50),
    ("metrics", "metrics, signed in", 200),
    ("case_page", "case page (web)", 50),
    ("livez", "in-process /livez (floor, no target)", None),
]
SUBJECT_TARGET_MS = 50
DETECT_FLAGS_TARGET_S = 10
MEMORY_TARGET_MB = 200
THROUGHPUT_RATIO_TARGET = 0.40
GROWTH_TARGET = 1.5


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


# ---------------------------------------------------------------------------------------
# Environment: the app with debug off, as in production, on the bench's database.


def app_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="registry.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # Plain HTTP on loopback: no redirect to HTTPS.
        DJANGO_SECURE_SSL_REDIRECT="0",
        # The bench signs its users in without a TOTP device.
        ENLACE_REQUIRE_MFA="0",
        # Throttling stays on (its cost is measured) with rates a load test cannot reach.
        ENLACE_THROTTLE_ANON="100000000/min",
        ENLACE_THROTTLE_USER="100000000/min",
        DJANGO_LOG_LEVEL="WARNING",
        # Flag notifications are rendered (their cost is measured) but not sent anywhere.
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(database_url: str, *args: str, debug: bool = True, timeout: float = 3600) -> tuple[float, str]:
    """Run a management command in its own process; return (seconds, output). A command
    still running after `timeout` seconds is stopped: (inf, output so far)."""
    env = app_environment(database_url)
    if debug:
        env["DJANGO_DEBUG"] = "1"
    started = time.perf_counter()
    try:
        result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [PYTHON, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as stopped:
        output = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else str(stopped.stdout or "")
        return float("inf"), output
    elapsed = time.perf_counter() - started
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{output[-4000:]}")
    return elapsed, output


def available_commands(database_url: str) -> set[str]:
    _elapsed, output = manage(database_url, "help", "--commands")
    return {line.strip() for line in output.splitlines() if line.strip()}


def database_url_for(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def recreate_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(path) + suffix).unlink()
        return
    import psycopg

    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    if parts.scheme.startswith("sqlite"):
        with contextlib.suppress(FileNotFoundError):
            Path(parts.path).unlink()
        return
    import psycopg

    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def has_synthetic_data(database_url: str) -> bool:
    try:
        _elapsed, output = manage(
            database_url,
            "shell",
            "-c",
            "from synthetic.generators import synthetic_data_present as p; print('SYN', p())",
        )
    except SystemExit:
        return False
    return "SYN True" in output


def _prepared_record(database_url: str) -> Path:
    # A PostgreSQL database's name, or an SQLite file's path made into one name.
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", urlsplit(database_url).path.strip("/")) or "db"
    return Path(tempfile.gettempdir()) / f"enlace-bench-{name}.json"


def prepare(database_url: str, scale: float, *, reuse: bool, flags_timeout: float) -> dict:
    """A database at the scale: migrated, reference data, synthetic data, then the first
    full `detect_flags` (timed: it raises every flag of the new data, and notifies)."""
    record = _prepared_record(database_url)
    if reuse and has_synthetic_data(database_url):
        print(f"  reusing {database_url}", flush=True)
        manage(database_url, "migrate", "--no-input", "-v", "0")  # schema changes since it was built
        prepared = json.loads(record.read_text()) if record.exists() else {}
        if "detect_flags_s" not in prepared:  # built by a run that stopped before its first detect_flags
            prepared.update(_first_detect_flags(database_url, flags_timeout))
            record.write_text(json.dumps(prepared))
        return {**prepared, "reused": True}
    print(f"  creating {database_url}", flush=True)
    recreate_database(database_url)
    migrate_s, _ = manage(database_url, "migrate", "--no-input", "-v", "0")
    commands = available_commands(database_url)
    if "load_reference_data" in commands:
        manage(database_url, "load_reference_data", "-v", "0")
    print(f"  migrated in {migrate_s:.0f} s; generating synthetic data at scale {scale}", flush=True)
    generate_s, output = manage(database_url, "generate_synthetic", "--scale", str(scale), "--skip-flags")
    for line in output.splitlines():
        if "done in" in line or "written" in line:
            print("   " + line.strip(), flush=True)
    prepared = {"reused": False, "generate_s": generate_s, **_first_detect_flags(database_url, flags_timeout)}
    record.write_text(json.dumps(prepared))
    settle(database_url)
    return prepared


def settle(database_url: str) -> None:
    """VACUUM (ANALYZE) the new database, as autovacuum soon does after a bulk load: the
    measurements then see a registry in its steady state (visibility map set, statistics
    fresh), not one with autovacuum working through a million new rows beside them."""
    if not database_url.startswith("postgres"):
        return
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM (ANALYZE) in {time.perf_counter() - started:.0f} s", flush=True)


def _first_detect_flags(database_url: str, flags_timeout: float) -> dict:
    print(f"  detect_flags (first full run, stopped after {flags_timeout:.0f} s)", flush=True)
    # Its own process: the time includes starting Django (a second or two).
    try:
        flags_s, output = manage(database_url, "detect_flags", debug=False, timeout=flags_timeout)
    except SystemExit as failed:  # e.g. the database restarted under it: report, measure the rest
        print(f"  detect_flags failed: {str(failed)[-300:]}", flush=True)
        return {"detect_flags_s": None, "flags_timeout": flags_timeout}
    for line in output.splitlines():
        if line.startswith("[") or line.startswith("Done"):
            print("   " + line.strip(), flush=True)
    return {"detect_flags_s": flags_s, "flags_timeout": flags_timeout}


# ---------------------------------------------------------------------------------------
# In-process measurements (run in a child process: Django is configured once per database).


def measure_in_process(database_url: str, *, requests: int, subject_saves: int, call_budget: float) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        out = handle.name
    try:
        result = subprocess.run(  # noqa: S603
            [
                PYTHON,
                str(Path(__file__).resolve()),
                "_measure",
                "--requests",
                str(requests),
                "--subject-saves",
                str(subject_saves),
                "--call-budget",
                str(call_budget),
                "--json",
                out,
            ],
            cwd=ROOT,
            env=app_environment(database_url),
            timeout=3600,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit("the in-process measurement failed (see above)")
        return json.loads(Path(out).read_text())
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out)


def _measure_main(args) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import scenario

    results: dict = {"calls": {}, "flags": scenario.flag_count()}
    actors = scenario.pick_actors()
    results["actors"] = {key: str(value) for key, value in actors.items() if key != "objects"}

    api = Client()
    token = scenario.token_for(actors["objects"]["coordinator"])
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    anonymous = Client()
    web = Client()
    web.force_login(actors["objects"]["coordinator"])
    paths = scenario.paths(actors)
    clients = {"search": anonymous, "agencies_filtered": anonymous, "case_page": web, "livez": anonymous}
    warm = max(3, min(20, args.requests // 10))
    for key, _label, _target in CALLS:
        client = clients.get(key, api)
        path = paths[key]
        # Warm up (a few calls, at most a few seconds), then N calls or the time budget,
        # whichever ends first (at least 3 calls): a slow call cannot stall the whole bench.
        warm_until = time.perf_counter() + 5
        for _ in range(warm):
            begin = time.perf_counter()
            response = client.get(path)
            last = time.perf_counter() - begin
            if time.perf_counter() > warm_until:
                break
        # A call of seconds gets fewer samples once the budget is spent (the table says n=).
        least = 3 if last < 1 else 2 if last < 10 else 1
        timings = []
        status = response.status_code
        budget_until = time.perf_counter() + args.call_budget
        for _ in range(args.requests):
            begin = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - begin) * 1000)
            if response.status_code != 200:
                status = response.status_code
            if len(timings) >= least and time.perf_counter() > budget_until:
                break
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        results["calls"][key] = {
            "path": path,
            "status": status,
            "p50": percentile(timings, 0.50),
            "p95": percentile(timings, 0.95),
            "n": len(timings),
            "queries": len(queries.captured_queries),
            "bytes": len(response.content),
        }
        print(
            f"    {key:<18} {status} n={len(timings):<4} p50 {results['calls'][key]['p50']:7.1f} ms  "
            f"p95 {results['calls'][key]['p95']:7.1f} ms  {len(queries.captured_queries):3d} queries",
            flush=True,
        )
    results["subject_save"] = scenario.time_subject_saves(actors, args.subject_saves, budget=args.call_budget)
    results["wrk"] = {"counterparts_path": paths["counterparts"], "token": token}
    Path(args.json).write_text(json.dumps(results))


# ---------------------------------------------------------------------------------------
# Load: gunicorn with 2 workers, driven from another process on loopback.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{master}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(pid) for pid in (task / "children").read_text().split()]
    return children


def peak_memory_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_until_up(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/livez")
            if conn.getresponse().status == 200:
                return
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /livez in time")


def run_wrk(
    port: int,
    path: str,
    seconds: float,
    headers: dict[str, str],
    *,
    threads: int = 2,
    connections: int = 4,
    pages: int = 0,
) -> dict:
    """wrk against one path, read through wrk_report.lua. With `pages`, each request asks for a
    page of the list at a random offset below it (wrk_pages.lua, bench/scaffold.py)."""
    report = Path(__file__).with_name("wrk_report.lua")
    script = Path(__file__).with_name("wrk_pages.lua") if pages else report
    tool = f"wrk -t{threads} -c{connections}"
    command = [*tool.split(), f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    env = {**os.environ, "BENCH_WRK_REPORT": str(report), "BENCH_MAX_OFFSET": str(max(0, pages - 50))}
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 60, check=False, env=env
    ).stdout
    found = dict(re.findall(r"^BENCH (\w+) ([\d.]+)$", output, flags=re.MULTILINE))
    if "rps" not in found:
        raise SystemExit(f"wrk gave no report:\n{output}")
    return {
        "tool": tool,
        "rps": float(found["rps"]),
        "p50": float(found["p50_us"]) / 1000,
        "p95": float(found["p95_us"]) / 1000,
        "requests": int(float(found["requests"])),
        "errors": int(float(found["errors"])),
    }


def run_python_load(port: int, path: str, seconds: float, headers: dict[str, str], connections: int = 4) -> dict:
    """A bounded load generator: `connections` threads, each sending requests one after the
    other until the time is up (gunicorn's sync workers close each connection)."""
    deadline = time.monotonic() + seconds
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker():
        mine, failed = [], 0
        while time.monotonic() < deadline:
            begin = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
            mine.append((time.perf_counter() - begin) * 1000)
        with lock:
            timings.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "tool": f"python, {connections} connections",
        "rps": len(timings) / elapsed,
        "p50": percentile(timings, 0.50),
        "p95": percentile(timings, 0.95),
        "requests": len(timings),
        "errors": errors[0],
    }


LOAD_ROUNDS = 2


def combine_rounds(rounds: list[dict]) -> dict:
    """One result from alternating rounds: requests over their total time, the worst p95
    (percentiles of separate runs cannot be merged exactly), errors summed."""
    seconds = sum(r["requests"] / r["rps"] for r in rounds if r["rps"])
    requests = sum(r["requests"] for r in rounds)
    return {
        "tool": rounds[0]["tool"],
        "rps": requests / seconds if seconds else 0.0,
        "p50": max(r["p50"] for r in rounds),
        "p95": max(r["p95"] for r in rounds),
        "requests": requests,
        "errors": sum(r["errors"] for r in rounds),
        "rounds": len(rounds),
    }


def measure_load(database_url: str, counterparts_path: str, token: str, seconds: float) -> dict:
    port = free_port()
    env = app_environment(database_url)
    gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
    server = subprocess.Popen(  # noqa: S603
        [gunicorn, "registry.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(port)
        use_wrk = shutil.which("wrk") is not None
        drive = run_wrk if use_wrk else run_python_load
        auth = {"Authorization": f"Token {token}"}
        targets = (("livez", "/livez", {}), ("counterparts", counterparts_path, auth))
        for _key, path, headers in targets:
            drive(port, path, min(3.0, max(1.0, seconds / 3)), headers)  # warm both workers
        # The seconds of each target in LOAD_ROUNDS alternating rounds: a machine whose speed
        # drifts (other tenants of the host) weighs on both sides of the ratio alike.
        count = LOAD_ROUNDS if seconds >= 2 * LOAD_ROUNDS else 1  # wrk counts whole seconds
        rounds: dict[str, list[dict]] = {key: [] for key, _path, _headers in targets}
        for _round in range(count):
            for key, path, headers in targets:
                rounds[key].append(drive(port, path, seconds / count, headers))
        results = {}
        for key, measured in rounds.items():
            results[key] = combine_rounds(measured)
            each = ", ".join(f"{one['rps']:.0f}" for one in measured)
            print(
                f"    load {key:<13} {results[key]['rps']:8.1f} req/s  p95 {results[key]['p95']:7.1f} ms  "
                f"errors {results[key]['errors']}  ({results[key]['tool']}; rounds {each} req/s)",
                flush=True,
            )
        workers = worker_pids(server.pid)
        results["worker_peak_mb"] = max((peak_memory_mb(pid) for pid in workers), default=float("nan"))
        results["workers"] = len(workers)
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


# ---------------------------------------------------------------------------------------
# Report.


def database_description(database_url: str) -> str:
    if not database_url.startswith("postgres"):
        return "SQLite"
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(database_url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            return f"PostgreSQL {version.split()[0]} (same machine)"
    return "PostgreSQL"


def cpu_reference_ms() -> float:
    """The machine's speed as this bench sees it: the best of five runs of a fixed
    pure-Python workload, in ms (lower is faster). Two reports are comparable only when
    this is close: hosts of the same kind have differed by a factor of three."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        table: dict[int, int] = {}
        for number in range(300_000):
            table[number % 1024] = table.get(number % 1024, 0) + number * number
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def machine_description(database: str) -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB memory"
    commit = subprocess.run(  # noqa: S603
        [shutil.which("git") or "/usr/bin/git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}",
        f"- Database: {database}; Python {platform.python_version()}; commit {commit or 'unknown'}",
        f"- Load average when the report was written (1/5/15 min): {load}",
    ]


def _flags_cell(result: dict) -> str:
    seconds = result["prepare"].get("detect_flags_s")
    if seconds is None:
        return f"not timed ({result['flags']} flags)"
    if seconds == float("inf"):
        cap = result["prepare"].get("flags_timeout")
        return f"> {cap:.0f} (stopped unfinished; {result['flags']} flags written)" if cap else "stopped unfinished"
    return f"{seconds:.1f} ({result['flags']} flags)"


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def render(results: dict[float, dict], args, started: datetime.datetime) -> str:
    scales = sorted(results)
    head = ["measurement", "target"]
    for scale in scales:
        head += [f"p50 ms @{scale:g}", f"p95 ms @{scale:g}", f"queries @{scale:g}"]
    multi = len(scales) > 1
    if multi:
        head += [f"growth p95 @{scales[-1]:g}/@{scales[0]:g}", "target met"]
    else:
        head += ["target met"]
    rows = []
    big = results[scales[-1]]
    small = results[scales[0]]
    for key, label, target in CALLS:
        row = [label, f"p95 ≤ {target} ms" if target else "—"]
        for scale in scales:
            call = results[scale]["calls"][key]
            bad = "" if call["status"] == 200 else f" (HTTP {call['status']})"
            few = "" if call.get("n", args.requests) >= args.requests else f" (n={call['n']})"
            row += [f"{call['p50']:.1f}", f"{call['p95']:.1f}{few}{bad}", str(call["queries"])]
        final = big["calls"][key]
        ok = final["status"] == 200 and final["p95"] <= (target or float("inf"))
        if multi:
            growth = final["p95"] / small["calls"][key]["p95"] if small["calls"][key]["p95"] else float("nan")
            same_queries = final["queries"] == small["calls"][key]["queries"]
            row.append(f"{growth:.2f}" + ("" if same_queries else " (query count changed)"))
            ok = ok and growth <= GROWTH_TARGET and same_queries
        row.append(verdict(ok if target else None))
        rows.append(row)
    width = len(head)

    def line(cells):
        cells = list(cells) + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    def extra(label, target, values, ok):
        cells = [label, target]
        for value in values:
            cells += [value, "", ""]
        if multi:
            cells.append("")
        cells.append(verdict(ok))
        rows.append(cells)

    saves = [results[s]["subject_save"] for s in scales]
    rows.append([])
    extra(
        "save a case subject + flag update (p50 / p95 ms)",
        f"p95 ≤ {SUBJECT_TARGET_MS} ms",
        [f"{s['p50']:.1f} / {s['p95']:.1f}" for s in saves],
        saves[-1]["p95"] <= SUBJECT_TARGET_MS,
    )
    extra(
        "detect_flags in full (s)",
        f"≤ {DETECT_FLAGS_TARGET_S} s",
        [_flags_cell(results[s]) for s in scales],
        big["prepare"].get("detect_flags_s", float("inf")) <= DETECT_FLAGS_TARGET_S,
    )
    for key, label in (("livez", "gunicorn /livez (floor)"), ("counterparts", "gunicorn counterparts")):
        extra(
            f"{label}: req/s · p95 ms · errors",
            "0 errors" if key == "livez" else f"≥ {THROUGHPUT_RATIO_TARGET:.0%} of floor, 0 errors",
            [
                f"{results[s]['load'][key]['rps']:.0f} · {results[s]['load'][key]['p95']:.1f} · "
                f"{results[s]['load'][key]['errors']}"
                for s in scales
            ],
            big["load"][key]["errors"] == 0
            and (
                key == "livez"
                or big["load"]["counterparts"]["rps"] >= THROUGHPUT_RATIO_TARGET * big["load"]["livez"]["rps"]
            ),
        )
    extra(
        "counterparts throughput / floor",
        f"≥ {THROUGHPUT_RATIO_TARGET:.0%}",
        [f"{results[s]['load']['counterparts']['rps'] / results[s]['load']['livez']['rps']:.1%}" for s in scales],
        big["load"]["counterparts"]["rps"] >= THROUGHPUT_RATIO_TARGET * big["load"]["livez"]["rps"],
    )
    extra(
        "gunicorn worker peak memory (VmHWM, MB)",
        f"≤ {MEMORY_TARGET_MB} MB",
        [f"{results[s]['load']['worker_peak_mb']:.0f}" for s in scales],
        big["load"]["worker_peak_mb"] <= MEMORY_TARGET_MB,
    )
    extra(
        "generate_synthetic (s)",
        "≤ 600 s at scale 1",
        [
            f"{results[s]['prepare']['generate_s']:.0f}" if "generate_s" in results[s]["prepare"] else "reused"
            for s in scales
        ],
        None if "generate_s" not in big["prepare"] or scales[-1] != 1 else big["prepare"]["generate_s"] <= 600,
    )
    table = [line(head), line(["---"] * width)] + [line(r) if r else line(["", ""]) for r in rows if r]
    first_start = min(
        [started.strftime("%Y-%m-%d %H:%M UTC")] + [r["started"] for r in results.values() if "started" in r]
    )
    lines = [
        "# Enlace performance bench",
        "",
        f"Run of `bench/run.py` ({'smoke' if args.smoke else 'full'} mode), started "
        f"{first_start}, scales {', '.join(f'{s:g}' for s in scales)}; "
        f"{args.requests} requests per in-process call (after warming), {args.duration:g} s per load test.",
        "",
        *machine_description(results[scales[-1]].get("database_kind", "?")),
    ]
    references = [r["cpu_reference_ms"] for r in results.values() if r.get("cpu_reference_ms")]
    if references:
        lines.append(
            "- CPU reference (`cpu_reference_ms()`, fixed pure-Python work, best of 5; lower is faster), "
            "before each scale's measurements: " + " / ".join(f"{value:.0f} ms" for value in references)
        )
    if args.note:
        lines.append(f"- Note: {args.note}")
    lines += ["", *table, ""]
    loads = results[scales[-1]]["load"]
    rounds = loads["livez"].get("rounds", 1)
    lines.append(
        f"Load tool: {loads['livez']['tool']}, {rounds} alternating rounds per target; "
        "gunicorn 2 sync workers on 127.0.0.1, debug off. "
        "In-process timings: Django's test client, debug off, through every middleware. "
        "Query counts: one call, under CaptureQueriesContext."
    )
    lines += ["", "Endpoints and actors:", ""]
    for scale in scales:
        actors = results[scale].get("actors", {})
        lines.append(
            f"- scale {scale:g} (measured from {results[scale].get('started', '?')}, load average at its end "
            f"{results[scale].get('load_average', '?')}): " + "; ".join(f"{k}={v}" for k, v in actors.items())
        )
    lines.append("- paths: " + "; ".join(f"`{results[scales[-1]]['calls'][k]['path']}`" for k, _l, _t in CALLS))
    return "\n".join(lines) + "\n"


def failures(results: dict[float, dict], *, smoke: bool = False) -> list[str]:
    """What makes the run itself broken (not a missed target): a call that did not answer
    200; outside smoke mode also a load test with errors (in smoke mode, on a loaded CI
    machine, a slow call timing out under load is a missed target, not a broken script)."""
    problems = []
    for scale, result in results.items():
        for key, call in result["calls"].items():
            if call["status"] != 200:
                problems.append(f"scale {scale:g}: {key} answered HTTP {call['status']} ({call['path']})")
        for key in ("livez", "counterparts"):
            if result["load"][key]["errors"] and not smoke:
                problems.append(f"scale {scale:g}: {result['load'][key]['errors']} errors under load on {key}")
    return problems


def _kept_sections(path: Path) -> str:
    """The sections other bench scripts wrote into the results file (bench/federation.py's),
    which this run does not measure and keeps as they were."""
    if not path.exists():
        return ""
    text = path.read_text()
    kept = ""
    for name in ("federation", "scaleout", "scaffold"):  # bench/federation.py's, scaleout.py's, scaffold.py's
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start in text and end in text:
            kept += "\n\n" + text[text.index(start) : text.index(end) + len(end)] + "\n"
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="scale 0.01, 20 requests, 3 s load: a quick check")
    parser.add_argument("--scales", default=None, help="comma-separated scales (default 0.1,1; smoke: 0.01)")
    parser.add_argument("--requests", type=int, default=None, help="requests per in-process call (default 200)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per load test (default 20)")
    parser.add_argument("--subject-saves", type=int, default=None, help="case subjects saved (default 200)")
    parser.add_argument(
        "--call-budget", type=float, default=None, help="seconds at most per series of calls (default 30; at least 3)"
    )
    parser.add_argument(
        "--flags-timeout", type=float, default=None, help="stop the first detect_flags after this many seconds"
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER),
        help="PostgreSQL server URL the bench databases are created on",
    )
    parser.add_argument("--database-url", default=None, help="one database for every scale (e.g. sqlite:///...)")
    parser.add_argument("--reuse", action="store_true", help="reuse a database that already has the synthetic data")
    parser.add_argument("--saved", default="", help="comma-separated scales whose results of an earlier run are reused")
    parser.add_argument("--prepare-only", action="store_true", help="build the databases (and flags), measure nothing")
    parser.add_argument("--drop", action="store_true", help="drop the bench databases afterwards")
    parser.add_argument("--output", default=None, help="results file (default bench/results.md; smoke: none)")
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""), help="a line added to the report")
    args = parser.parse_args()
    args.requests = args.requests or (20 if args.smoke else 200)
    args.duration = args.duration or (3.0 if args.smoke else 20.0)
    args.subject_saves = args.subject_saves or (20 if args.smoke else 200)
    args.call_budget = args.call_budget or (10.0 if args.smoke else 30.0)
    args.flags_timeout = args.flags_timeout or (30.0 if args.smoke else 600.0)
    scales = [float(s) for s in (args.scales or ("0.01" if args.smoke else "0.1,1")).split(",")]
    output = args.output or (None if args.smoke else str(ROOT / "bench" / "results.md"))

    started = datetime.datetime.now(datetime.UTC)
    results: dict[float, dict] = {}
    saved = {float(s) for s in args.saved.split(",") if s}
    for scale in scales:
        database_url = args.database_url or database_url_for(
            args.server, DATABASE_NAMES.get(scale, f"enlace_perf_s{str(scale).replace('.', '_')}")
        )
        print(f"== scale {scale:g} ==", flush=True)
        saved_file = _prepared_record(database_url).with_suffix(".results.json")
        if scale in saved:
            results[scale] = json.loads(saved_file.read_text())
            print(f"  results of the run started {results[scale]['started']} reused", flush=True)
            continue
        scale_started = datetime.datetime.now(datetime.UTC)
        prepared = prepare(database_url, scale, reuse=args.reuse, flags_timeout=args.flags_timeout)
        if args.prepare_only:
            print(f"  prepared: {prepared}", flush=True)
            continue
        reference = cpu_reference_ms()
        print(f"  CPU reference {reference:.0f} ms", flush=True)
        measured = measure_in_process(
            database_url, requests=args.requests, subject_saves=args.subject_saves, call_budget=args.call_budget
        )
        measured["load"] = measure_load(
            database_url, measured["wrk"]["counterparts_path"], measured["wrk"]["token"], args.duration
        )
        measured.pop("wrk")
        measured["prepare"] = prepared
        measured["database"] = database_url
        measured["database_kind"] = database_description(database_url)
        measured["started"] = f"{scale_started:%Y-%m-%d %H:%M} UTC"
        measured["load_average"] = " / ".join(f"{value:.1f}" for value in os.getloadavg())
        measured["cpu_reference_ms"] = reference
        results[scale] = measured
        saved_file.write_text(json.dumps(measured))
        if args.drop:
            drop_database(database_url)
    if args.prepare_only:
        return
    report = render(results, args, started)
    print()
    print(report)
    if output:
        Path(output).write_text(report + _kept_sections(Path(output)))
        print(f"Written to {output}")
    problems = failures(results, smoke=args.smoke)
    if problems:
        print("The bench itself failed:\n  " + "\n  ".join(problems), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        measure_parser = argparse.ArgumentParser()
        measure_parser.add_argument("_measure")
        measure_parser.add_argument("--requests", type=int, required=True)
        measure_parser.add_argument("--subject-saves", type=int, required=True)
        measure_parser.add_argument("--call-budget", type=float, required=True)
        measure_parser.add_argument("--json", required=True)
        _measure_main(measure_parser.parse_args())
    else:
        main()
