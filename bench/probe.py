"""Time a few of the bench's calls on a bench database, while working on one of them.

    .venv/bin/python bench/probe.py --database enlace_perf --calls cases,metrics
    .venv/bin/python bench/probe.py --database enlace_perf_full --calls counterparts --profile
    .venv/bin/python bench/probe.py --database enlace_perf --calls subject_save

The same actors, paths, settings (debug off, every middleware) and timing as `bench/run.py`,
without building databases, load tests or a report. `--profile` prints the top of a cProfile
of the calls; `--explain` prints PostgreSQL's plan of each SQL statement of one call.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.run import CALLS, DEFAULT_SERVER, app_environment, database_url_for, percentile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="enlace_perf", help="bench database name (enlace_perf, enlace_perf_full)")
    lists = ["agencies", "agencies_brief", "agencies_function", "agencies_country", "agencies_level", "agencies_kind"]
    lists += ["agencies_deep", "agencies_function_deep"]
    keys = [key for key, _label, _target in CALLS] + ["subject_save", *lists]
    parser.add_argument("--calls", default=",".join(keys), help=f"comma-separated, of: {', '.join(keys)}")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER)
    os.environ.update(app_environment(database_url_for(server, args.database)))

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import scenario

    actors = scenario.pick_actors()
    api = Client()
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {scenario.token_for(actors['objects']['coordinator'])}"
    web = Client()
    web.force_login(actors["objects"]["coordinator"])
    anonymous = Client()
    clients = {"case_page": web}
    public = ("search", "agencies", "livez")
    clients.update({key: anonymous for key in scenario.paths(actors) if key.startswith(public)})
    paths = scenario.paths(actors)
    profiler = cProfile.Profile() if args.profile else None
    for key in args.calls.split(","):
        if key == "subject_save":
            saved = scenario.time_subject_saves(actors, args.requests, budget=60)
            print(f"subject_save {saved}")
            continue
        client, path = clients.get(key, api), paths[key]
        for _ in range(3):
            response = client.get(path)
        timings = []
        if profiler:
            profiler.enable()
        for _ in range(args.requests):
            begin = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - begin) * 1000)
        if profiler:
            profiler.disable()
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        print(
            f"{key:<18} {response.status_code} n={len(timings)} p50 {percentile(timings, 0.5):8.1f} ms  "
            f"p95 {percentile(timings, 0.95):8.1f} ms  {len(queries.captured_queries)} queries  {path}",
            flush=True,
        )
        if args.explain:
            with connection.cursor() as cursor:
                for query in queries.captured_queries:
                    sql = query["sql"]
                    if not sql.lstrip().upper().startswith("SELECT"):
                        continue
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n    ".join(row[0] for row in cursor.fetchall())
                    print(f"  {sql[:300]}\n    {plan}\n")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
