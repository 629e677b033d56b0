"""python manage.py export_registry DIR — a versioned backup bundle (docs/backup-format.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from interchange.backup import BackupError, export_registry


class Command(BaseCommand):
    help = "Write the whole registry (catalog, accounts, cases, flags, history) to a versioned backup bundle in DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="An empty or new directory")

    def handle(self, *args, **options):
        try:
            manifest = export_registry(Path(options["directory"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(entry["rows"] for entry in manifest["models"])
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {total} rows of {len(manifest['models'])} models to {options['directory']}.")
        )
