"""python manage.py import_registry DIR — restore a backup bundle into an empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from interchange.backup import BackupError, import_registry


class Command(BaseCommand):
    help = "Restore a backup bundle written by export_registry into an empty, migrated database (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The bundle's directory (with manifest.json)")

    def handle(self, *args, **options):
        try:
            loaded = import_registry(Path(options["directory"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {sum(loaded.values())} rows of {len(loaded)} models."))
