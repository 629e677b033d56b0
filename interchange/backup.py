"""Registry backups: a versioned bundle of JSON Lines files, one per model, with a manifest
of row counts and SHA-256 checksums (docs/backup-format.md), and its restore into an empty
database."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import django
from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

FORMAT = "enlace-registry-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 2000

# What a backup leaves out: rows Django makes itself (content types, permissions, referred
# to by natural key instead), and short-lived or security-sensitive state that a restored
# registry must not inherit: sessions, API tokens, lockout counters, idempotency keys, the
# webhook delivery queue and the task queue.
EXCLUDED_APPS = {"contenttypes", "sessions", "admin", "axes", "django_tasks_db", "django_tasks"}
EXCLUDED_MODELS = {
    "auth.permission",
    "authtoken.token",
    "registry.idempotencykey",
    "interchange.webhookdelivery",
}
# Rows that migrations create in every database (the role groups): replaced on restore.
REPLACED_ON_RESTORE = {"auth.group"}


class BackupError(Exception):
    pass


class BundleEncoder(DjangoJSONEncoder):
    """Times with all their microseconds: DjangoJSONEncoder keeps milliseconds only, and a
    restore must give back exactly what was stored."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backed_up_models() -> list[type[models.Model]]:
    """Every model whose rows the bundle carries, in an order that loads without forward
    references where the schema allows it."""
    chosen = [
        model
        for model in apps.get_models()
        if model._meta.app_label not in EXCLUDED_APPS
        and model._meta.label_lower not in EXCLUDED_MODELS
        and model._meta.managed
        and not model._meta.proxy
    ]
    app_list = {}
    for model in chosen:
        app_list.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_registry(directory: Path) -> dict:
    """Write the bundle into `directory` (created if needed; must hold no earlier bundle)."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / MANIFEST).exists():
        raise BackupError(f"{directory} already holds a backup; choose an empty directory.")
    entries = []
    with transaction.atomic():  # one consistent snapshot (REPEATABLE READ not needed: one reader)
        for model in backed_up_models():
            label = model._meta.label_lower
            path = directory / f"{label}.jsonl"
            rows = 0
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                queryset = model._base_manager.order_by("pk")
                for start in range(0, queryset.count(), CHUNK):
                    chunk = queryset[start : start + CHUNK]
                    for item in serializers.serialize("python", chunk, use_natural_foreign_keys=True):
                        handle.write(json.dumps(item, cls=BundleEncoder, ensure_ascii=False, sort_keys=True))
                        handle.write("\n")
                        rows += 1
            entries.append({"model": label, "file": path.name, "rows": rows, "sha256": _sha256(path)})
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "django": django.get_version(),
        "database": connection.vendor,
        "models": entries,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"No {MANIFEST} in {directory}: not an Enlace backup.")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory} holds a “{manifest.get('format')}” bundle, not an Enlace backup.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"Backup format version {manifest.get('version')} is not supported (this is {VERSION}).")
    for entry in manifest["models"]:
        file = directory / entry["file"]
        if "/" in entry["file"] or not file.is_file():
            raise BackupError(f"The bundle lacks {entry['file']}.")
        if _sha256(file) != entry["sha256"]:
            raise BackupError(f"{entry['file']} does not match its checksum: the bundle is damaged or was edited.")
        try:
            apps.get_model(entry["model"])
        except LookupError as exc:
            raise BackupError(
                f"The bundle holds {entry['model']}, which this version of Enlace does not know."
            ) from exc
    return manifest


def non_empty_models(manifest: dict) -> list[str]:
    return [
        entry["model"]
        for entry in manifest["models"]
        if entry["model"] not in REPLACED_ON_RESTORE and apps.get_model(entry["model"])._base_manager.exists()
    ]


def import_registry(directory: Path) -> dict[str, int]:
    """Restore a bundle into an empty database, all or nothing. Rows are inserted as they
    were (same ids, same timestamps), without running save() or signals, so no flag,
    history row or webhook is made by the restore itself."""
    manifest = read_manifest(directory)
    occupied = non_empty_models(manifest)
    if occupied:
        raise BackupError(
            "The database is not empty (it has " + ", ".join(occupied[:5]) + "). Restore into a freshly migrated one."
        )
    loaded: dict[str, int] = {}
    pending_m2m: list[tuple[models.Model, dict]] = []
    with transaction.atomic():
        for entry in manifest["models"]:
            model = apps.get_model(entry["model"])
            if entry["model"] in REPLACED_ON_RESTORE:
                model._base_manager.all().delete()
            objects = []
            with (directory / entry["file"]).open(encoding="utf-8") as handle:
                records = (json.loads(line) for line in handle if line.strip())
                for item in serializers.deserialize("python", records, handle_forward_references=True):
                    if item.deferred_fields:
                        raise BackupError(f"{entry['file']}: a row refers to a record the bundle has not loaded yet.")
                    objects.append(item.object)
                    if item.m2m_data:
                        pending_m2m.append((item.object, item.m2m_data))
                    if len(objects) >= CHUNK:
                        _insert_raw(model, objects)
                        objects = []
            if objects:
                _insert_raw(model, objects)
            loaded[entry["model"]] = entry["rows"]
        _load_m2m(pending_m2m)
        restored = [apps.get_model(entry["model"]) for entry in manifest["models"]]
        through = [f.remote_field.through for model in restored for f in model._meta.local_many_to_many]
        _reset_sequences(restored + [model for model in through if model._meta.auto_created])
    return loaded


def _insert_raw(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert rows exactly as stored. bulk_create() would stamp auto_now fields (created_at,
    updated_at) with the current time; a raw insert, as loaddata does, keeps them."""
    fields = model._meta.local_concrete_fields
    size = max(1, connection.ops.bulk_batch_size(fields, objects))
    for start in range(0, len(objects), size):
        model._base_manager._insert(objects[start : start + size], fields=fields, raw=True)


def _load_m2m(pending: list[tuple[models.Model, dict]]) -> None:
    rows: dict[type[models.Model], list[models.Model]] = {}
    for instance, m2m_data in pending:
        for name, targets in m2m_data.items():
            field = instance._meta.get_field(name)
            through = field.remote_field.through
            source = field.m2m_field_name()
            target = field.m2m_reverse_field_name()
            for pk in targets:
                rows.setdefault(through, []).append(through(**{f"{source}_id": instance.pk, f"{target}_id": pk}))
    for through, items in rows.items():
        through.objects.bulk_create(items, batch_size=CHUNK)


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    """Explicit ids were inserted: move each id sequence past them (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
