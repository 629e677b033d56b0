"""python manage.py detect_flags: recompute every flag in full, with the same detectors the
incremental updates use, and report what was opened, reopened and closed."""

import gc
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from flags.models import Flag, FlagAgency, FlagEvent, FlagKind
from flags.services import SyncResult, sync_flags


class Command(BaseCommand):
    help = "Recompute every flag (mandate overlaps, subject matches, duplicate actions, missing and stale contacts)."
    # A batch job run on a schedule: the system checks (a quarter of a second of its start-up)
    # are `manage.py check`'s and the server's to run, not every recomputation's.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            action="append",
            choices=FlagKind.values,
            help="Only this kind (repeatable); default all kinds",
        )

    def handle(self, *args, **options):
        # A full run allocates millions of objects (rows, findings, the text of the COPY), next to
        # none of them in a reference cycle: refcounting frees them, and the cyclic collector's
        # passes over the growing lists of findings only cost time (a second of the ten of a
        # first run at national scale).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._detect(options["kind"] or FlagKind.values)
        finally:
            if collecting:
                gc.enable()

    def _detect(self, kinds: list[str]) -> None:
        total = SyncResult()
        started = time.monotonic()
        with self._syncs(kinds) as outcomes:
            for index, (kind, outcome) in enumerate(zip(kinds, outcomes, strict=True), start=1):
                self.stdout.write(f"[{index}/{len(kinds)}] {kind} …", ending="")
                self.stdout.flush()
                result, seconds = outcome()
                total += result
                self.stdout.write(
                    f" opened {result.opened}, reopened {result.reopened}, closed {result.closed}, "
                    f"updated {result.updated}, unchanged {result.unchanged} ({seconds:.2f}s)"
                )
        if total.changed:
            self._analyze()
        live = Flag.objects.live().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {time.monotonic() - started:.2f}s: opened {total.opened}, reopened {total.reopened}, "
                f"closed {total.closed}, updated {total.updated}, unchanged {total.unchanged}; "
                f"{live} flags open or acknowledged."
            )
        )

    @contextmanager
    def _syncs(self, kinds: list[str]) -> Iterator[list[Callable[[], tuple[SyncResult, float]]]]:
        """For each kind, in order, a callable that syncs it (or waits for its sync) and
        returns its SyncResult and the seconds the sync took.

        On PostgreSQL, outside a transaction, two kinds are synchronised at a time, each in
        its own thread, connection and transaction: a kind spends a third of its time in
        Python (detecting, writing the COPY text) and the rest waiting for the database (the
        COPY, history rows, events, the foreign-key checks of its commit), so one kind's
        Python runs while the other's database work does. Two kinds share no flag row. If a
        kind fails, the kinds not yet started are not. Elsewhere (SQLite; or inside a
        caller's transaction, which another connection could not see) one kind after the
        other, in this thread."""
        if connection.vendor != "postgresql" or connection.in_atomic_block or len(kinds) < 2:
            yield [lambda kind=kind: self._sync_kind(kind) for kind in kinds]
            return
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="detect_flags")
        try:
            yield [pool.submit(self._sync_kind_in_own_connection, kind).result for kind in kinds]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _sync_kind(self, kind: str) -> tuple[SyncResult, float]:
        began = time.monotonic()
        with transaction.atomic():
            self._commit_without_waiting()
            result = sync_flags(kind=kind)
        return result, time.monotonic() - began

    def _sync_kind_in_own_connection(self, kind: str) -> tuple[SyncResult, float]:
        try:
            return self._sync_kind(kind)
        finally:
            connection.close()

    def _commit_without_waiting(self) -> None:
        """A first run writes a few hundred megabytes of flags, history and events: let
        PostgreSQL flush them to disk in the background rather than at each kind's commit.
        A crash right after a commit could lose that kind's recomputation (never part of it);
        the next run recomputes it."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def _analyze(self) -> None:
        """Tell PostgreSQL's planner how many flags there are now: a first run writes them by
        the hundred thousand at once, and until autovacuum comes round the planner would
        take the flags table for empty and scan it for each incremental update."""
        if connection.vendor != "postgresql":
            return
        tables = [Flag._meta.db_table, FlagAgency._meta.db_table, FlagEvent._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
