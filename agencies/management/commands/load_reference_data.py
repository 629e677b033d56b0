"""`python manage.py load_reference_data`: the curated catalog facts from agencies/data/."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agencies.border import notes_text
from agencies.reference import DATA_DIR, ReferenceDataError, load_reference_data


class Command(BaseCommand):
    help = (
        "Load the reference dataset (jurisdictions, borders, ports of entry, functional areas, agencies, "
        "their names and mandates) from the data files. Running it again changes nothing; records edited "
        "by someone else are kept and their differences reported, unless --force is given. --border adds the "
        "border layer (agencies/data/border/: counties, municipalities, crossings, the FBI's local agencies)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="Directory of the data files")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite records edited by someone else with the file values",
        )
        parser.add_argument(
            "--border",
            action="store_true",
            help="Also load the border layer (agencies/data/border/), in the same transaction",
        )
        parser.add_argument(
            "--notes",
            type=Path,
            default=None,
            help="With --border: write the layer's data notes (rows left out or not placed) to this Markdown file",
        )

    def handle(
        self, *args, data_dir: Path, force: bool, border: bool, notes: Path | None, verbosity: int = 1, **options
    ):
        progress = self.stdout.write if verbosity >= 1 else None
        started = time.monotonic()
        try:
            report = load_reference_data(data_dir=data_dir, force=force, progress=progress, border=border)
        except ReferenceDataError as error:
            raise CommandError(_("The data files are not valid; nothing was written.") + "\n" + str(error)) from error
        if border and notes is not None:
            notes.write_text(notes_text(report.border_notes), encoding="utf-8")
        if border and verbosity >= 1:
            border_notes = report.border_notes
            self.stdout.write(
                _(
                    "Border layer: %(placeholders)s placeholder rows left out, %(unmatched)s rows matching no county "
                    "(listed with --notes), %(seconds).1f s."
                )
                % {
                    "placeholders": len(border_notes.placeholders),
                    "unmatched": len(border_notes.unmatched),
                    "seconds": time.monotonic() - started,
                }
            )
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
