"""python manage.py detect_flags: recompute every flag in full, with the same detectors the
incremental updates use, and report what was opened, reopened and closed."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from flags.models import Flag, FlagKind
from flags.services import SyncResult, sync_flags


class Command(BaseCommand):
    help = "Recompute every flag (mandate overlaps, subject matches, duplicate actions, missing and stale contacts)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            action="append",
            choices=FlagKind.values,
            help="Only this kind (repeatable); default all kinds",
        )

    def handle(self, *args, **options):
        kinds = options["kind"] or FlagKind.values
        total = SyncResult()
        started = time.monotonic()
        for index, kind in enumerate(kinds, start=1):
            self.stdout.write(f"[{index}/{len(kinds)}] {kind} …", ending="")
            self.stdout.flush()
            began = time.monotonic()
            with transaction.atomic():
                result = sync_flags(kind=kind)
            total += result
            self.stdout.write(
                f" opened {result.opened}, reopened {result.reopened}, closed {result.closed}, "
                f"updated {result.updated}, unchanged {result.unchanged} ({time.monotonic() - began:.2f}s)"
            )
        live = Flag.objects.live().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {time.monotonic() - started:.2f}s: opened {total.opened}, reopened {total.reopened}, "
                f"closed {total.closed}, updated {total.updated}, unchanged {total.unchanged}; "
                f"{live} flags open or acknowledged."
            )
        )
