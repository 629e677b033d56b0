#!/usr/bin/env python3
"""What the metrics cost one request (docs/observability.md): the calls RequestIdMiddleware makes
per request (start_request, record_request, end_request), plus one SQL query's counter, timed
in a loop, with prometheus_client in its single-process mode and in its multiprocess mode (as
under deploy/gunicorn.conf.py); and `/livez` through every middleware (Django's test client)
with the metrics on and with them replaced by no-ops. Best of 5 runs each, in microseconds.

    python bench/overhead.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child() -> None:
    import django

    django.setup()
    from django.test import Client, RequestFactory
    from django.urls import resolve

    from registry import observability

    request = RequestFactory().get("/api/v1/agencies/us-atf/")
    request.resolver_match = resolve("/api/v1/agencies/us-atf/")

    class Connection:
        alias = "default"

    context = {"connection": Connection()}

    def noop(*args):
        return None

    def per_request(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            tokens = observability.start_request(request)
            observability.record_request(request, 200, 0.004)
            observability.end_request(tokens)
        return (time.perf_counter() - started) / n * 1e6

    def per_query(n: int) -> float:
        tokens = observability.start_request(request)
        started = time.perf_counter()
        for _ in range(n):
            observability._count_query(noop, "SELECT 1", (), False, context)
        observability.end_request(tokens)
        return (time.perf_counter() - started) / n * 1e6

    client = Client()

    def livez(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            client.get("/livez")
        return (time.perf_counter() - started) / n * 1e6

    results = {
        "record_us": min(per_request(20000) for _ in range(5)),
        "query_us": min(per_query(20000) for _ in range(5)),
    }
    livez(200)
    on = min(livez(2000) for _ in range(5))
    real = (observability.start_request, observability.record_request, observability.end_request)
    observability.start_request = lambda request: None
    observability.record_request = noop
    observability.end_request = noop
    off = min(livez(2000) for _ in range(5))
    observability.start_request, observability.record_request, observability.end_request = real
    results.update(livez_on_us=on, livez_off_us=off)
    print("RESULT " + json.dumps(results))


def main() -> None:
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "overhead-measurement-only-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "PYTHONPATH": str(ROOT),
    }
    base.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from bench.run import cpu_reference_ms

    print(f"CPU reference {cpu_reference_ms():.0f} ms (about 29 ms on the idle machine); load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        for label, extra in (("single-process", {}), ("multiprocess", {"PROMETHEUS_MULTIPROC_DIR": folder})):
            out = subprocess.run(  # noqa: S603
                [sys.executable, __file__, "_child"], env={**base, **extra}, capture_output=True, text=True, check=True
            ).stdout
            result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
            share = (result["livez_on_us"] - result["livez_off_us"]) / result["livez_off_us"]
            print(
                f"{label:<15} per request {result['record_us']:.1f} µs, per SQL query {result['query_us']:.2f} µs; "
                f"/livez in-process {result['livez_off_us']:.0f} µs without, {result['livez_on_us']:.0f} µs with "
                f"({share:+.1%}); load {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:] == ["_child"]:
        child()
    else:
        main()
