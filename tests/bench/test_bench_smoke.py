"""`bench/run.py --smoke` (what `make bench-smoke` runs) keeps working: on a throwaway
PostgreSQL database next to the suite's it builds scale-0.01 data, answers
every measured call with 200, serves the app with gunicorn and loads it without errors, and
writes a report with every row of the table. It does not judge the targets (too little data)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.run import CALLS, combine_rounds, percentile

ROOT = Path(__file__).resolve().parents[2]


def throwaway_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, "/" + parts.path.lstrip("/") + "_bench_smoke", "", ""))


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0


def test_load_rounds_combine_into_requests_over_their_whole_time():
    rounds = [
        {"tool": "wrk", "rps": 100.0, "p50": 2.0, "p95": 5.0, "requests": 1000, "errors": 0},
        {"tool": "wrk", "rps": 50.0, "p50": 3.0, "p95": 9.0, "requests": 500, "errors": 2},
    ]
    combined = combine_rounds(rounds)
    assert combined["rps"] == 1500 / 20  # 1500 requests in 10 s + 10 s
    assert (combined["p95"], combined["errors"], combined["requests"], combined["rounds"]) == (9.0, 2, 1500, 2)
    shorter = combine_rounds([rounds[0], {**rounds[1], "requests": 100, "rps": 20.0}])  # 10 s + 5 s
    assert shorter["rps"] == 1100 / 15 != (100.0 + 20.0) / 2


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the bench measures PostgreSQL (make bench-smoke); CI's PostgreSQL lane runs it, and on the "
    "SQLite lane it would only add a minute to CI",
)
def test_smoke_run_measures_every_call_and_writes_the_table(tmp_path):
    output = tmp_path / "results.md"
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--smoke",
            "--drop",
            "--database-url",
            throwaway_database_url(),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    report = output.read_text()
    for _key, label, _target in CALLS:
        assert f"| {label} |" in report
    for row in ("gunicorn /livez (floor)", "gunicorn counterparts", "detect_flags in full", "worker peak memory"):
        assert row in report
    assert "(HTTP " not in report  # every measured call answered 200
    assert "- CPU reference" in report
