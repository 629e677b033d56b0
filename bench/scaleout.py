#!/usr/bin/env python3
"""Scale-out bench (issue 18 point 4): the counterparts and case-list load tests of bench/run.py
against one and against two gunicorn services (each pinned to one core with taskset) behind a
local proxy (nginx when installed, else a small Python proxy is NOT substituted: the run stops),
then two services reading from a streaming replica (bench/standby.py). Throughput ratio to the
one-service run, p95, errors; the table goes into bench/results.md between its scaleout markers.

    python bench/scaleout.py                    # scale 0.1 database enlace_scaleout (built once)
    python bench/scaleout.py --duration 10 --reuse

For the record only: nothing asserts these numbers (a 2-core machine shared with other work).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    PYTHON,
    app_environment,
    cpu_reference_ms,
    database_url_for,
    prepare,
    wait_until_up,
)
from bench.standby import Standby  # noqa: E402

PROXY_PORT = int(os.environ.get("SCALEOUT_PROXY_PORT", "8115"))
SERVICE_PORTS = (int(os.environ.get("SCALEOUT_PORT_A", "8116")), int(os.environ.get("SCALEOUT_PORT_B", "8117")))
REPLICA_PORT = int(os.environ.get("SCALEOUT_REPLICA_PORT", "5445"))
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/12")
CONNECTIONS = 8
MARK_START, MARK_END = "<!-- scaleout:start -->", "<!-- scaleout:end -->"


def actors(database_url: str) -> dict:
    """The bench's coordinator (token) and the two paths, from bench/scenario.py."""
    code = (
        "import json, django; django.setup()\n"
        "from bench import scenario\n"
        "a = scenario.pick_actors(); p = scenario.paths(a)\n"
        "print('ACTORS ' + json.dumps({'token': scenario.token_for(a['objects']['coordinator']),"
        " 'counterparts': p['counterparts'], 'cases': p['cases']}))\n"
    )
    out = subprocess.run(  # noqa: S603
        [PYTHON, "-c", code], cwd=ROOT, env=app_environment(database_url), capture_output=True, text=True, check=True
    ).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("ACTORS "))[7:])


def start_service(env: dict, port: int, core: int, log: Path) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
    command = [gunicorn, "registry.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return subprocess.Popen(  # noqa: S603
        [shutil.which("taskset") or "/usr/bin/taskset", "-c", str(core), *command],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_nginx(folder: Path, upstreams: list[int]) -> subprocess.Popen:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    servers = "".join(f"        server 127.0.0.1:{port};\n" for port in upstreams)
    (folder / "nginx.conf").write_text(
        "worker_processes 1;\ndaemon off;\npid nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n    access_log off;\n"
        f"    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
        f"    fastcgi_temp_path {folder}/fastcgi;\n    uwsgi_temp_path {folder}/uwsgi;\n"
        f"    scgi_temp_path {folder}/scgi;\n"
        f"    upstream enlace {{\n        least_conn;\n{servers}    }}\n"
        f"    server {{\n        listen 127.0.0.1:{PROXY_PORT};\n"
        "        location / {\n            proxy_pass http://enlace;\n"
        "            proxy_set_header Host $host;\n"
        "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        }\n    }\n}\n"
    )
    return subprocess.Popen(  # noqa: S603
        [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")],
        stdout=(folder / "nginx.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wrk(path: str, seconds: float, token: str) -> dict:
    script = ROOT / "bench" / "wrk_report.lua"
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script)]
    command += ["-H", f"Authorization: Token {token}", f"http://127.0.0.1:{PROXY_PORT}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False).stdout  # noqa: S603
    found = dict(re.findall(r"^BENCH (\w+) ([\d.]+)$", output, flags=re.MULTILINE))
    if "rps" not in found:
        raise SystemExit(f"wrk gave no report:\n{output}")
    return {
        "rps": float(found["rps"]),
        "p95": float(found["p95_us"]) / 1000,
        "requests": int(float(found["requests"])),
        "errors": int(float(found["errors"])),
    }


ROWS_READ = "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()"


def standby_reads(standby: Standby) -> int:
    return int(standby.sql(ROWS_READ)[0])


def measure(label: str, env: dict, services: int, paths: dict, token: str, seconds: float, folder: Path) -> dict:
    processes = [
        start_service(env, SERVICE_PORTS[i], core=i, log=folder / f"{label}-gunicorn-{i}.log") for i in range(services)
    ]
    proxy = None
    try:
        for port in SERVICE_PORTS[:services]:
            wait_until_up(port)
        nginx_folder = folder / f"nginx-{label}"
        nginx_folder.mkdir()
        proxy = start_nginx(nginx_folder, list(SERVICE_PORTS[:services]))
        wait_until_up(PROXY_PORT, timeout=30)
        results = {}
        for key, path in paths.items():
            wrk(path, 2, token)  # warm every worker
            results[key] = wrk(path, seconds, token)
            results[key]["load"] = os.getloadavg()[0]
            print(
                f"  {label:<28} {key:<13} {results[key]['rps']:8.1f} req/s  p95 {results[key]['p95']:6.1f} ms  "
                f"errors {results[key]['errors']}  load {results[key]['load']:.1f}",
                flush=True,
            )
        return results
    finally:
        if proxy is not None:
            stop(proxy)
        for process in processes:
            stop(process)


def render(rows: list[tuple[str, dict]], meta: dict) -> str:
    base = dict(rows[0][1])
    lines = [
        MARK_START,
        "## Scale-out: one and two gunicorn services behind nginx, and reads on a replica (bench/scaleout.py)",
        "",
        f"Run started {meta['started']}, scale {meta['scale']:g} (`{meta['database']}`), {meta['duration']:g} s of "
        f"`wrk -t2 -c{CONNECTIONS}` per cell through nginx {meta['nginx']} (least_conn) on 127.0.0.1; "
        "each gunicorn service has 2 sync workers pinned with `taskset` to one core "
        "(service A core 0, service B core 1); Redis as the shared cache; debug off. The replica is a "
        "pg_basebackup of the same cluster started as a hot standby on port "
        f"{REPLICA_PORT} (bench/standby.py), on the same machine.",
        "",
        f"- Machine: {os.cpu_count()} cores shared with other work during the run: load average "
        f"{meta['load_before']} before, {meta['load_after']} after (1/5/15 min); CPU reference "
        f"{meta['cpu_reference_ms']:.0f} ms (bench/run.py's `cpu_reference_ms()`; about 29 ms on the idle machine).",
        "- PostgreSQL (primary and replica), nginx and wrk run on the same 2 cores as the services: a second "
        "service gets no core of its own here, so these ratios say little about what two machines would give.",
        f"- Replica's share of the reads in the last configuration: {meta['replica_share']}.",
        "",
        "| configuration | counterparts req/s | ratio | p95 ms | errors | case list req/s | ratio | p95 ms | errors "
        "| load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, result in rows:
        cells = [label]
        for key in ("counterparts", "cases"):
            one = result[key]
            ratio = one["rps"] / base[key]["rps"] if base[key]["rps"] else float("nan")
            cells += [f"{one['rps']:.0f}", f"{ratio:.2f}", f"{one['p95']:.1f}", str(one["errors"])]
        cells.append(" / ".join(f"{result[key]['load']:.1f}" for key in ("counterparts", "cases")))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", MARK_END]
    return "\n".join(lines)


def nginx_version() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False).stderr.strip().split("/")[-1]  # noqa: S603


def write_section(output: Path, section: str) -> None:
    text = output.read_text() if output.exists() else ""
    if MARK_START in text and MARK_END in text:
        text = text[: text.index(MARK_START)] + section + text[text.index(MARK_END) + len(MARK_END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    output.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432/")
    )
    parser.add_argument("--database", default="enlace_observe_scaleout")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    args = parser.parse_args()
    for program in ("wrk", "nginx", "taskset"):
        if not (shutil.which(program) or Path(f"/usr/sbin/{program}").exists()):
            raise SystemExit(f"{program} is needed (apt-get install wrk nginx-light util-linux)")
    started = datetime.datetime.now(datetime.UTC)
    load_before = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    database_url = database_url_for(args.server, args.database)
    prepare(database_url, args.scale, reuse=args.reuse, flags_timeout=600)
    who = actors(database_url)
    paths = {"counterparts": who["counterparts"], "cases": who["cases"]}
    reference = cpu_reference_ms()
    env = {**app_environment(database_url), "REDIS_URL": REDIS_URL}
    folder = Path(tempfile.mkdtemp(prefix="enlace-scaleout-"))
    rows = []
    share = "not measured"
    try:
        rows.append(("one service (1 core)", measure("one", env, 1, paths, who["token"], args.duration, folder)))
        rows.append(("two services (1 core each)", measure("two", env, 2, paths, who["token"], args.duration, folder)))
        standby = Standby(database_url.replace("postgres://", "postgresql://"), port=REPLICA_PORT)
        try:
            standby.wait_caught_up(timeout=120)
            replica_env = {**env, "DATABASE_REPLICA_URLS": standby.dsn().replace("postgresql://", "postgres://")}
            before = standby_reads(standby)
            with contextlib.closing(__import__("psycopg").connect(database_url, autocommit=True)) as primary:

                def primary_reads():
                    return int(primary.execute(ROWS_READ).fetchone()[0])

                primary_before = primary_reads()
                rows.append(
                    (
                        "two services, reads on the replica",
                        measure("replica", replica_env, 2, paths, who["token"], args.duration, folder),
                    )
                )
                on_replica = standby_reads(standby) - before
                on_primary = primary_reads() - primary_before
            share = f"{on_replica / max(1, on_replica + on_primary):.0%} of the rows read (pg_stat_database)"
        finally:
            standby.remove()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    meta = {
        "started": f"{started:%Y-%m-%d %H:%M} UTC",
        "scale": args.scale,
        "database": args.database,
        "duration": args.duration,
        "nginx": nginx_version(),
        "load_before": load_before,
        "load_after": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "cpu_reference_ms": reference,
        "replica_share": share,
    }
    Path(tempfile.gettempdir(), "enlace-scaleout-results.json").write_text(json.dumps({"rows": rows, "meta": meta}))
    section = render(rows, meta)
    print(section)
    write_section(Path(args.output), section)
    errors = sum(result[key]["errors"] for _label, result in rows for key in paths)
    if errors:
        raise SystemExit(f"{errors} errors under load")


if __name__ == "__main__":
    main()
