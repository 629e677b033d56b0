"""`bench/run.py --smoke` (what `make bench-smoke` runs) keeps working: on a throwaway
database (PostgreSQL next to the suite's, or an SQLite file) it builds scale-0.01 data, answers
every measured call with 200, serves the app with gunicorn and loads it without errors, and
writes a report with every row of the table. It does not judge the targets (too little data)."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.run import CALLS, percentile

ROOT = Path(__file__).resolve().parents[2]


def throwaway_database_url(tmp_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + parts.path.lstrip("/") + "_bench_smoke", "", ""))
    return f"sqlite:///{tmp_path / 'bench-smoke.sqlite3'}"


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0


def test_smoke_run_measures_every_call_and_writes_the_table(tmp_path):
    output = tmp_path / "results.md"
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--smoke",
            "--drop",
            "--database-url",
            throwaway_database_url(tmp_path),
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
