"""ENLACE_SITE_URL: the address e-mails link to (issue 16). Production without it falls back to
the first allowed host; with neither, `check --deploy` fails; a value that is no address stops
the start."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "import django; django.setup(); from django.conf import settings; print(settings.ENLACE_SITE_URL)"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "registry.settings", "DJANGO_SECRET_KEY": "x" * 60}
    return subprocess.run(  # noqa: S603 (our own interpreter, our own script)
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=False, timeout=120
    )


def test_the_site_url_is_set_or_falls_back_to_the_first_allowed_host():
    set_ = run("-c", SCRIPT, DJANGO_DEBUG="0", ENLACE_SITE_URL="https://enlace.example.gov/", DJANGO_ALLOWED_HOSTS="x")
    assert set_.stdout.strip().splitlines()[-1] == "https://enlace.example.gov", set_.stderr
    fallback = run("-c", SCRIPT, DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS=".example.gov,enlace.example.mx")
    assert fallback.stdout.strip().splitlines()[-1] == "https://enlace.example.mx", fallback.stderr
    debug = run("-c", SCRIPT, DJANGO_DEBUG="1")
    assert debug.stdout.strip().splitlines()[-1] == "http://localhost:8000", debug.stderr


def test_a_site_url_that_is_no_address_stops_the_start_and_none_at_all_fails_the_deploy_check():
    bad = run("-c", SCRIPT, DJANGO_DEBUG="0", ENLACE_SITE_URL="enlace.example.gov")
    assert bad.returncode != 0 and "ENLACE_SITE_URL must be the site's address" in bad.stderr
    check = run("manage.py", "check", "--deploy", DJANGO_DEBUG="0", DATABASE_URL="")
    assert check.returncode != 0 and "enlace.E001" in check.stdout + check.stderr
