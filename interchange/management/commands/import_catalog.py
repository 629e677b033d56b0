"""python manage.py import_catalog FILE --resource agencies [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from interchange.importers import REFUSED, RESOURCES, import_catalog


class Command(BaseCommand):
    help = (
        "Import agencies, agency names, mandates, offices or contacts from a CSV (UTF-8) or XLSX file whose "
        "header row uses the API's field names. Any refused row refuses the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv (UTF-8) or .xlsx file")
        parser.add_argument("--resource", required=True, choices=sorted(RESOURCES), help="Which catalog list")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen and write nothing")
        parser.add_argument("--language", default="en", choices=["en", "es"], help="Language of the messages")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with translation.override(options["language"]):
            preview = import_catalog(
                resource=options["resource"],
                content=path.read_bytes(),
                filename=path.name,
                apply=not options["dry_run"],
            )
            verbosity = options["verbosity"]
            for outcome in preview.rows:
                if outcome.action != REFUSED and verbosity >= 2:
                    self.stdout.write(f"row {outcome.row}: {outcome.action} {outcome.key}")
            for line in preview.errors():
                self.stderr.write(line)
            counts = ", ".join(f"{action}: {number}" for action, number in preview.counts.items())
            if not preview.ok:
                raise CommandError(f"Nothing was imported: the file has refused rows or columns ({counts}).")
            verb = "Would import" if options["dry_run"] else "Imported"
            self.stdout.write(self.style.SUCCESS(f"{verb} {options['resource']} ({counts})."))
