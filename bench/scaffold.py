#!/usr/bin/env python3
"""Enlace's catalog list beside a stock DRF scaffold, in one run (issue 20).

The scaffold is what a Django developer would write instead of Enlace's catalog API: a fresh
`startproject` with one app of three files (models, a nested `ModelSerializer`, a filtered
`ModelViewSet` with limit/offset pagination), built in a temporary folder by this script,
with the stock middleware of `startproject`, debug off and persistent connections (its best
case). Its database gets the same agencies, other names, mandates and places as the Enlace
bench database (copied with COPY), so both serve the same rows.

Both are served by `gunicorn -w 2` on 127.0.0.1 and driven by `wrk -t1 -c4` in alternating
rounds (Enlace, scaffold, Enlace, scaffold: a machine whose speed drifts weighs on both
alike), anonymous, for each call: `/livez` (the framework's floor), a page of 50 agencies,
and the list filtered by function, country, level and kind; then one client alone
(`wrk -t1 -c1`) for Enlace's p95. Enlace's anonymous throttle runs with a rate set out of
reach (`ENLACE_THROTTLE_ANON`, bench/run.py's app_environment): the load test measures the
throttle's cost, never its refusals; a 429 would count as an error.

    python bench/scaffold.py                         # on enlace_perf_full (scale 1), built if missing
    python bench/scaffold.py --scale 0.01 --duration 2 --output ''   # a quick check

The table goes into bench/results.md between its scaffold markers. For the record only:
nothing asserts these numbers (a 2-core machine shared with other work).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    DATABASE_NAMES,
    DEFAULT_SERVER,
    PYTHON,
    app_environment,
    combine_rounds,
    cpu_reference_ms,
    database_url_for,
    free_port,
    prepare,
    recreate_database,
    run_wrk,
    wait_until_up,
)

MARK_START, MARK_END = "<!-- scaffold:start -->", "<!-- scaffold:end -->"

# What is compared: the label, Enlace's path, the scaffold's path (None: not compared).
CALLS = [
    ("framework floor (`/livez`)", "/livez", "/livez"),
    ("agency list, 50 per page", "/api/v1/agencies/?limit=50", "/api/agencies/?limit=50"),
    # Each request another page (random offset, bench/wrk_pages.lua): no kept page answers.
    ("agency list, every page new", "/api/v1/agencies/?limit=50", "/api/agencies/?limit=50"),
    (
        "by function, every page new",
        "/api/v1/agencies/?function=criminal-investigation&limit=50",
        "/api/agencies/?function=criminal-investigation&limit=50",
    ),
    ("agency list, `brief=1`", "/api/v1/agencies/?limit=50&brief=1", "/api/agencies/?limit=50"),
    (
        "filtered by function",
        "/api/v1/agencies/?function=criminal-investigation&limit=50",
        "/api/agencies/?function=criminal-investigation&limit=50",
    ),
    ("filtered by country", "/api/v1/agencies/?country=MX&limit=50", "/api/agencies/?country=MX&limit=50"),
    ("filtered by level", "/api/v1/agencies/?level=municipal&limit=50", "/api/agencies/?level=municipal&limit=50"),
    ("filtered by kind", "/api/v1/agencies/?kind=prosecution&limit=50", "/api/agencies/?kind=prosecution&limit=50"),
]

# --- the scaffold's three files -----------------------------------------------------------

MODELS = """
from django.db import models


class Jurisdiction(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)


class FunctionalArea(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)


class Agency(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    acronym = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=300)
    name_es = models.CharField(max_length=300, blank=True)
    country = models.ForeignKey(Jurisdiction, null=True, on_delete=models.PROTECT, related_name="+")
    jurisdiction = models.ForeignKey(Jurisdiction, null=True, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=20, db_index=True)
    kind = models.CharField(max_length=20, blank=True, db_index=True)
    parent = models.ForeignKey("self", null=True, on_delete=models.PROTECT, related_name="children")
    website = models.URLField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    description_es = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    valid_from = models.DateField(null=True)
    valid_to = models.DateField(null=True)
    sources = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]


class AgencyName(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=300)
    language = models.CharField(max_length=8, blank=True)
    kind = models.CharField(max_length=20)
    end_date = models.DateField(null=True)


class Mandate(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="mandates")
    function = models.ForeignKey(FunctionalArea, on_delete=models.PROTECT)
    role = models.CharField(max_length=12)
    legal_basis = models.TextField(blank=True)
    jurisdictions = models.ManyToManyField(Jurisdiction)
"""

SERIALIZERS = """
from rest_framework import serializers

from .models import Agency, AgencyName


class AgencyNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgencyName
        fields = ["name", "language", "kind", "end_date"]


class AgencySerializer(serializers.ModelSerializer):
    country = serializers.SlugRelatedField(slug_field="code", read_only=True)
    jurisdiction = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    other_names = AgencyNameSerializer(many=True, read_only=True)

    class Meta:
        model = Agency
        exclude = ["id"]
"""

VIEWS = """
import django_filters
from django.http import JsonResponse
from rest_framework import viewsets

from .models import Agency
from .serializers import AgencySerializer


class AgencyFilter(django_filters.FilterSet):
    function = django_filters.CharFilter(field_name="mandates__function__slug", distinct=True)
    country = django_filters.CharFilter(field_name="country__code")

    class Meta:
        model = Agency
        fields = ["level", "kind"]


class AgencyViewSet(viewsets.ModelViewSet):
    queryset = Agency.objects.select_related("country", "jurisdiction", "parent").prefetch_related("other_names")
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    lookup_field = "slug"


def livez(request):
    return JsonResponse({"status": "ok"})
"""

URLS = """
from django.urls import include, path
from rest_framework import routers

from catalog.views import AgencyViewSet, livez

router = routers.DefaultRouter()
router.register("agencies", AgencyViewSet)

urlpatterns = [path("livez", livez), path("api/", include(router.urls))]
"""

SETTINGS = """

# --- bench/scaffold.py: what a developer adds to the generated settings -------------------
import dj_database_url

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS += ["rest_framework", "django_filters", "catalog"]
DATABASES = {"default": dj_database_url.parse(os.environ["SCAFFOLD_DATABASE_URL"], conn_max_age=600)}
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
"""

# What is copied, Enlace's table → the scaffold's, with the columns both have.
COPIED = [
    ("agencies_jurisdiction", "catalog_jurisdiction", "id, code, name"),
    ("agencies_functionalarea", "catalog_functionalarea", "id, slug, name"),
    (
        "agencies_agency",
        "catalog_agency",
        "id, slug, acronym, name, name_es, country_id, jurisdiction_id, level, kind, parent_id, website, "
        "description, description_es, active, valid_from, valid_to, sources, created_at, updated_at",
    ),
    ("agencies_agencyname", "catalog_agencyname", "id, agency_id, name, language, kind, end_date"),
    ("agencies_mandate", "catalog_mandate", "id, agency_id, function_id, role, legal_basis"),
    ("agencies_mandate_jurisdictions", "catalog_mandate_jurisdictions", "id, mandate_id, jurisdiction_id"),
]


def build(folder: Path, database_url: str) -> dict[str, str]:
    """A fresh startproject with the three files in `folder`; its migrated database, empty."""
    subprocess.run([PYTHON, "-m", "django", "startproject", "scaffold", str(folder)], check=True)  # noqa: S603
    (folder / "catalog").mkdir()
    subprocess.run([PYTHON, "-m", "django", "startapp", "catalog", str(folder / "catalog")], check=True)  # noqa: S603
    (folder / "catalog" / "models.py").write_text(MODELS.lstrip())
    (folder / "catalog" / "serializers.py").write_text(SERIALIZERS.lstrip())
    (folder / "catalog" / "views.py").write_text(VIEWS.lstrip())
    (folder / "scaffold" / "urls.py").write_text(URLS.lstrip())
    settings = folder / "scaffold" / "settings.py"
    settings.write_text("import os\n" + settings.read_text() + SETTINGS)
    env = {**os.environ, "SCAFFOLD_DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "scaffold.settings"}
    env.pop("PYTHONPATH", None)
    recreate_database(database_url)
    for args in (["makemigrations", "catalog", "-v", "0"], ["migrate", "-v", "0"]):
        subprocess.run([PYTHON, "manage.py", *args], cwd=folder, env=env, check=True)  # noqa: S603
    return env


def copy_rows(source_url: str, target_url: str) -> dict[str, int]:
    """Enlace's catalog rows into the scaffold's tables, in one transaction (the foreign keys
    are checked at commit), then ANALYZE: both databases start with fresh statistics."""
    import psycopg

    counts = {}
    with psycopg.connect(source_url) as source, psycopg.connect(target_url) as target:
        for enlace, scaffold, columns in COPIED:
            with (
                source.cursor().copy(f"COPY (SELECT {columns} FROM {enlace}) TO STDOUT") as out,  # noqa: S608
                target.cursor().copy(f"COPY {scaffold} ({columns}) FROM STDIN") as into,
            ):
                for data in out:
                    into.write(data)
            counts[scaffold] = target.execute(f"SELECT count(*) FROM {scaffold}").fetchone()[0]  # noqa: S608
        target.commit()
        target.autocommit = True
        target.execute("ANALYZE")
        # The border layer (load_reference_data --border): the FBI's local agencies, by their ORI.
        counts["border_agencies"] = source.execute(
            "SELECT count(*) FROM agencies_identifier WHERE scheme = 'fbi-ori' AND agency_id IS NOT NULL"
        ).fetchone()[0]
    return counts


def serve(command: list[str], cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([*command, "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=cwd, env=env)  # noqa: S603
    wait_until_up(port)
    return server


def wrk(port: int, path: str, seconds: int, connections: int, *, pages: int = 0) -> dict:
    """bench/run.py's wrk run with one thread, as the issue's own measurements were made."""
    return run_wrk(port, path, seconds, {}, threads=1, connections=connections, pages=pages)


def measure(enlace_port: int, scaffold_port: int, seconds: int, rounds: int, calls: list, agencies: int) -> list[dict]:
    rows = []
    for label, enlace_path, scaffold_path in calls:
        pages = agencies if "every page new" in label else 0
        for port, path in ((enlace_port, enlace_path), (scaffold_port, scaffold_path)):
            wrk(port, path, 1, 4, pages=pages)  # warm both workers
        measured = {"enlace": [], "scaffold": []}
        for _ in range(rounds):
            measured["enlace"].append(wrk(enlace_port, enlace_path, seconds, 4, pages=pages))
            measured["scaffold"].append(wrk(scaffold_port, scaffold_path, seconds, 4, pages=pages))
        row = {"label": label, **{side: combine_rounds(rounds_of) for side, rounds_of in measured.items()}}
        row["single"] = wrk(enlace_port, enlace_path, seconds, 1, pages=pages)
        row["ratio"] = row["enlace"]["rps"] / row["scaffold"]["rps"] if row["scaffold"]["rps"] else float("nan")
        print(
            f"  {label:<28} Enlace {row['enlace']['rps']:7.0f} req/s p95 {row['enlace']['p95']:6.1f} ms | "
            f"scaffold {row['scaffold']['rps']:7.0f} req/s p95 {row['scaffold']['p95']:6.1f} ms | "
            f"x{row['ratio']:.2f} | one client p95 {row['single']['p95']:.1f} ms",
            flush=True,
        )
        rows.append(row)
    return rows


def render(rows: list[dict], *, scale: float, counts: dict, seconds: int, rounds: int, reference: float) -> str:
    def cell(m: dict) -> str:
        errors = f", **{m['errors']} errors**" if m["errors"] else ""
        return f"{m['rps']:,.0f} req/s, p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms{errors}"

    lines = [
        MARK_START,
        "## Catalog lists beside a stock DRF scaffold (issue 20, `bench/scaffold.py`)",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, scale {scale:g} "
        f"({counts.get('catalog_agency', 0):,} agencies, {counts.get('catalog_mandate', 0):,} mandates, "
        f"{counts.get('catalog_agencyname', 0):,} other names, the same rows in both databases; "
        + (
            f"the border layer loaded: {counts['border_agencies']:,} of the agencies are the FBI's local ones"
            if counts.get("border_agencies")
            else "without the border layer (`load_reference_data --border`)"
        )
        + "), "
        f"PostgreSQL, `gunicorn -w 2` each, `wrk -t1 -c4` on loopback, anonymous, {rounds} alternating "
        f"rounds of {seconds} s per side; CPU reference {reference:.0f} ms; load average "
        + " / ".join(f"{v:.1f}" for v in os.getloadavg())
        + ". Enlace's anonymous throttle runs with its rate set out of reach "
        "(`ENLACE_THROTTLE_ANON`): its cost is in the numbers, its refusals are not.",
        "",
        "| call | stock scaffold | Enlace | Enlace / scaffold | Enlace, one client |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {cell(row['scaffold'])} | {cell(row['enlace'])} | {row['ratio']:.2f} | "
            f"p50 {row['single']['p50']:.1f} ms, p95 {row['single']['p95']:.1f} ms |"
        )
    lines += [
        "",
        "A page of the same list asked again is served as kept (the catalog's version, "
        "agencies/cache.py); the *every page new* rows ask for a page at a random offset on each "
        "request (`bench/wrk_pages.lua`), so that no kept page answers: the cost of building "
        "pages, as a client paging through the whole catalog meets it.",
        "",
        "The scaffold (built by the script in a temporary folder): `startproject` with its stock "
        "middleware, debug off, persistent connections; one app with the models, a nested "
        "`ModelSerializer` (`SlugRelatedField` for country, jurisdiction and parent, other names "
        "nested) and a `ModelViewSet` with `select_related`/`prefetch_related`, a django-filter "
        "`FilterSet` (function through `mandates__function__slug`, distinct) and "
        "`LimitOffsetPagination`; its `brief` row is its one representation (it has no other). "
        "Enlace serves API.md's whole representation (display name, source details as well) with "
        "every middleware of production (security headers, CSP, sessions, CSRF, second factor, "
        "idle timeout, idempotency, lockout, metrics, request id).",
        MARK_END,
    ]
    return "\n".join(lines)


def write_section(output: Path, section: str) -> None:
    text = output.read_text() if output.exists() else ""
    if MARK_START in text and MARK_END in text:
        text = text[: text.index(MARK_START)] + section + text[text.index(MARK_END) + len(MARK_END) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    output.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=int, default=5, help="seconds per round and side (default 5)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--calls", default="", help="only the calls whose label contains one of these (comma-separated)"
    )
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"), help="'' for none")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    enlace_url = database_url_for(args.server, DATABASE_NAMES.get(args.scale, f"enlace_perf_s{args.scale}"))
    scaffold_url = database_url_for(args.server, "enlace_scaffold")
    print(f"== Enlace database {enlace_url}", flush=True)
    prepare(enlace_url, args.scale, reuse=True, flags_timeout=600)
    reference = cpu_reference_ms()
    with tempfile.TemporaryDirectory(prefix="enlace-scaffold-") as folder:
        print(f"== scaffold in {folder}", flush=True)
        scaffold_env = build(Path(folder), scaffold_url)
        counts = copy_rows(enlace_url, scaffold_url)
        print(f"  copied {counts}", flush=True)
        gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
        enlace_port, scaffold_port = free_port(), free_port()
        servers = []
        try:
            enlace_env = app_environment(enlace_url)
            servers.append(serve([gunicorn, "registry.wsgi", "-w", "2"], ROOT, enlace_env, enlace_port))
            servers.append(serve([gunicorn, "scaffold.wsgi", "-w", "2"], Path(folder), scaffold_env, scaffold_port))
            wanted = [part for part in args.calls.split(",") if part]
            calls = [call for call in CALLS if not wanted or any(part in call[0] for part in wanted)]
            rows = measure(enlace_port, scaffold_port, args.duration, args.rounds, calls, counts["catalog_agency"])
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=30)
    section = render(
        rows, scale=args.scale, counts=counts, seconds=args.duration, rounds=args.rounds, reference=reference
    )
    print("\n" + section)
    if args.output:
        write_section(Path(args.output), section)
        print(f"Written to {args.output}")
    errors = sum(row["enlace"]["errors"] + row["scaffold"]["errors"] + row["single"]["errors"] for row in rows)
    if errors:
        raise SystemExit(f"{errors} requests failed: the comparison does not hold")


if __name__ == "__main__":
    main()
