"""Backups: export_registry writes a versioned, checksummed bundle; import_registry restores
it into an empty database; exporting again gives the same files."""

import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from agencies.models import Agency
from interchange.backup import MANIFEST, export_registry, import_registry

pytestmark = pytest.mark.django_db


def empty_database():
    """flush, inside the test's transaction (rolled back afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending FK checks
        call_command("flush", interactive=False, verbosity=0)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def bundle_files(directory) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.name != MANIFEST}


def manifest_without_time(directory) -> dict:
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest.pop("created_at")
    return manifest


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the backup round trip over the demo data is the PostgreSQL production path",
)
def test_backup_round_trip_over_the_demo_data_on_postgresql(tmp_path, settings):
    assert connection.vendor == "postgresql"
    settings.DEBUG = True  # seed_demo refuses to run with debug off
    call_command("load_reference_data", verbosity=0)
    call_command("seed_demo", verbosity=0)
    first, second = tmp_path / "first", tmp_path / "second"
    call_command("export_registry", str(first), verbosity=0)
    manifest = json.loads((first / MANIFEST).read_text())
    counts = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    assert counts["agencies.agency"] > 10 and counts["cases.case"] > 0 and counts["registry.user"] >= 5
    assert counts["agencies.historicalagency"] > 0 and counts["flags.flag"] >= 0

    empty_database()
    assert not Agency.objects.exists()
    call_command("import_registry", str(first), verbosity=0)
    call_command("export_registry", str(second), verbosity=0)

    before, after = bundle_files(first), bundle_files(second)
    assert sorted(after) == sorted(before)
    for name, content in before.items():
        differing = [
            (old, new) for old, new in zip(content.splitlines(), after[name].splitlines(), strict=False) if old != new
        ]
        changed = [
            {
                key: (value, json.loads(new)["fields"].get(key))
                for key, value in json.loads(old)["fields"].items()
                if json.loads(new)["fields"].get(key) != value
            }
            for old, new in differing[:3]
        ]
        assert not differing and len(content) == len(after[name]), (name, changed)
    assert manifest_without_time(second) == manifest_without_time(first)
    # Ids go on after the restored ones.
    from tests.factories import AgencyFactory

    assert AgencyFactory(slug="us-after-restore").pk > max(
        Agency.objects.exclude(slug="us-after-restore").values_list("pk", flat=True)
    )


def test_bundle_is_versioned_and_checksummed(tmp_path, places):
    Agency.objects.create(slug="us-atf", name="ATF", level="federal", country=places["US"])

    manifest = export_registry(tmp_path / "b")

    assert manifest["format"] == "enlace-registry-backup" and manifest["version"] == 1
    entry = next(e for e in manifest["models"] if e["model"] == "agencies.agency")
    lines = (tmp_path / "b" / entry["file"]).read_text().splitlines()
    assert entry["rows"] == len(lines) == 1
    assert json.loads(lines[0])["fields"]["slug"] == "us-atf"
    labels = [e["model"] for e in manifest["models"]]
    assert labels.index("agencies.jurisdiction") < labels.index("agencies.agency")
    assert "sessions.session" not in labels and "authtoken.token" not in labels


def test_restore_refuses_a_non_empty_database(tmp_path, places):
    Agency.objects.create(slug="us-atf", name="ATF", level="federal")
    export_registry(tmp_path / "b")

    with pytest.raises(CommandError, match="not empty"):
        call_command("import_registry", str(tmp_path / "b"))


def test_restore_refuses_a_damaged_bundle(tmp_path, places):
    Agency.objects.create(slug="us-atf", name="ATF", level="federal")
    export_registry(tmp_path / "b")
    (tmp_path / "b" / "agencies.agency.jsonl").write_text("{}\n")

    with pytest.raises(CommandError, match="checksum"):
        call_command("import_registry", str(tmp_path / "b"))


def test_restore_refuses_another_format_version(tmp_path, places):
    export_registry(tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / MANIFEST).read_text())
    manifest["version"] = 99
    (tmp_path / "b" / MANIFEST).write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="version 99"):
        call_command("import_registry", str(tmp_path / "b"))


def test_restore_into_an_emptied_database_brings_the_catalog_back(tmp_path, places):
    parent = Agency.objects.create(slug="us-doj", name="DOJ", level="federal", country=places["US"])
    Agency.objects.create(slug="us-atf", name="ATF", level="federal", parent=parent, sources=["https://a.example"])
    export_registry(tmp_path / "b")
    empty_database()

    loaded = import_registry(tmp_path / "b")

    assert loaded["agencies.agency"] == 2
    atf = Agency.objects.get(slug="us-atf")
    assert atf.parent.slug == "us-doj" and atf.sources == ["https://a.example"]
    assert atf.lineage == f"/{atf.parent_id}/"
