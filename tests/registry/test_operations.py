import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import DatabaseError


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    from registry import views

    class BrokenCursor:
        def __enter__(self):
            raise DatabaseError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(views.connection, "cursor", lambda: BrokenCursor())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_livez_does_no_work(client):
    # No database mark: pytest-django fails this test if the view touches the database.
    assert client.get("/livez").status_code == 200


def test_no_migration_is_missing(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_debug_off_without_secret_key_refuses_to_start():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "registry.settings", "DJANGO_DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"), [("/api/v1/agencies/?parent=us%00atf", "parent"), ("/api/v1/mandates/?agency=%00", "agency")]
)
def test_a_nul_byte_in_a_filter_is_a_400_naming_it(admin_api, path, field):
    response = admin_api.get(path)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.django_db
def test_a_nul_byte_in_a_related_slug_is_a_400(admin_api):
    from tests.factories import AgencyFactory

    AgencyFactory(slug="us-atf")
    response = admin_api.post(
        "/api/v1/agency-names/",
        {"agency": "us\x00atf", "name": "X", "language": "en", "kind": "alternate"},
        format="json",
    )
    assert response.status_code == 400, response.content


def test_manage_py_without_secret_key_says_what_to_set_without_a_traceback():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "0"}
    command = [sys.executable, str(root / "manage.py"), "check"]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 1
    assert result.stderr.startswith("Enlace cannot start: DJANGO_SECRET_KEY is not set")
    assert "Traceback" not in result.stderr and "DJANGO_DEBUG=1" in result.stderr
