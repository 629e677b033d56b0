"""`python manage.py load_reference_data`: the curated catalog facts from agencies/data/."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agencies.reference import DATA_DIR, ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = (
        "Load the reference dataset (jurisdictions, borders, ports of entry, functional areas, agencies, "
        "their names and mandates) from the data files. Running it again changes nothing; records edited "
        "by someone else are kept and their differences reported, unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="Directory of the data files")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite records edited by someone else with the file values",
        )

    def handle(self, *args, data_dir: Path, force: bool, verbosity: int = 1, **options):
        progress = self.stdout.write if verbosity >= 1 else None
        try:
            report = load_reference_data(data_dir=data_dir, force=force, progress=progress)
        except ReferenceDataError as error:
            raise CommandError(_("The data files are not valid; nothing was written.") + "\n" + str(error)) from error
        for difference in report.differences:
            self.stdout.write(self.style.WARNING(_("Kept (edited by someone else): %s") % difference))
        if verbosity < 1:
            return
        summary = _("Reference data: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(kept)s kept.")
        self.stdout.write(
            self.style.SUCCESS(
                summary
                % {
                    "created": report.total("created"),
                    "updated": report.total("updated"),
                    "unchanged": report.total("unchanged"),
                    "kept": report.total("kept"),
                }
            )
        )
        if report.differences:
            self.stdout.write(_("Run with --force to overwrite the kept records with the file values."))
