"""`manage.py run_schedule`: the scheduler service of a deployment. Runs detect_flags,
send_reminders and a backup bundle each day at the times of ENLACE_SCHEDULE_* (registry/schedule.py),
until SIGTERM; `--once` runs each job now and exits, `--dry-run` prints the schedule."""

import datetime
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from registry.schedule import Job, ScheduleError, jobs, next_run, schedule_zone

logger = logging.getLogger("registry.schedule")


class Command(BaseCommand):
    help = (
        "Run the daily jobs (detect_flags, send_reminders, a backup bundle) at the times of "
        "ENLACE_SCHEDULE_*, until stopped; --once runs each now, --dry-run prints the schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run every enabled job now, one after another, and exit"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the jobs, their times and next runs; run none"
        )

    def handle(self, *args, once, dry_run, **options):
        try:
            enabled = jobs()
            zone = schedule_zone()
        except ScheduleError as exc:
            raise CommandError(str(exc)) from exc
        now = datetime.datetime.now(datetime.UTC)
        for job in enabled:
            self.stdout.write(
                f"{job.name}: daily at {job.at:%H:%M} {zone.key}, next {next_run(job.at, now, zone).isoformat()}; "
                f"runs {job.command}"
            )
        if not enabled:
            self.stdout.write("No job is enabled (every ENLACE_SCHEDULE_* is off).")
        if dry_run:
            return
        if once:
            failed = [job.name for job in enabled if not self._run(job)]
            if failed:
                raise CommandError(f"Failed: {', '.join(failed)}")
            return
        self._loop(enabled, zone)

    def _loop(self, enabled: list[Job], zone) -> None:
        stop = threading.Event()

        def request_stop(signum, frame):
            # A job under way finishes (compose gives the scheduler time to); none starts after.
            self.stdout.write(f"Received {signal.Signals(signum).name}: stopping.")
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        now = datetime.datetime.now(datetime.UTC)
        due = {job.name: next_run(job.at, now, zone) for job in enabled}
        self.stdout.write("Scheduler started.")
        while not stop.is_set() and enabled:
            job = min(enabled, key=lambda candidate: due[candidate.name])
            wait = (due[job.name] - datetime.datetime.now(datetime.UTC)).total_seconds()
            # Woken by SIGTERM at once; otherwise at most a minute at a time, so that a clock
            # that jumps (suspend, NTP) is noticed within a minute.
            if wait > 0 and stop.wait(min(wait, 60)):
                break
            if datetime.datetime.now(datetime.UTC) < due[job.name]:
                continue
            self._run(job)
            due[job.name] = next_run(job.at, datetime.datetime.now(datetime.UTC), zone)
        self.stdout.write("Scheduler stopped.")

    def _run(self, job: Job) -> bool:
        """Runs one job; a failure is logged and does not stop the others."""
        self.stdout.write(f"Running {job.name}")
        self.stdout.flush()
        try:
            message = job.run()
        except Exception:
            logger.exception("Scheduled job %s failed", job.name)
            return False
        finally:
            # Hours pass between jobs: no connection is held (or found dead) across them; one
            # inside a caller's transaction (call_command from code, a test) is the caller's.
            for wrapper in connections.all(initialized_only=True):
                if not wrapper.in_atomic_block:
                    wrapper.close()
        if message:
            self.stdout.write(message)
        self.stdout.write(f"Finished {job.name}")
        return True
