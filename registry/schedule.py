"""The daily jobs of a deployment (`manage.py run_schedule`, the scheduler service of
compose.yaml): the nightly flag recomputation, the daily deadline reminders and the nightly
backup bundle, each at a time of day read from the environment (settings ENLACE_SCHEDULE_*).

The jobs are the management commands of their apps, called by name: the registry app
imports none of them (imports point one way, README § Layout)."""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management import call_command

BACKUP_PREFIX = "enlace-"


class ScheduleError(ValueError):
    """A schedule setting that cannot be read; the message names the variable."""


@dataclass(frozen=True)
class Job:
    name: str
    at: datetime.time
    # Runs the job; returns a line for the log, or None when the command wrote its own.
    run: Callable[[], str | None]
    # What the job does, as an operator would type it (the dry run prints it).
    command: str


def parse_time_of_day(variable: str, value: str) -> datetime.time | None:
    """`HH:MM` (24-hour) or `off`; anything else is refused naming the variable."""
    value = value.strip()
    if value.lower() == "off":
        return None
    try:
        hours, minutes = value.split(":")
        return datetime.time(int(hours), int(minutes))
    except ValueError:
        raise ScheduleError(f"{variable}: {value!r} is not a time of day like 02:30, or off") from None


def schedule_zone() -> ZoneInfo:
    name = settings.ENLACE_SCHEDULE_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"ENLACE_SCHEDULE_TIME_ZONE: {name!r} is not a time zone like UTC or America/Chicago"
        ) from None


def next_run(at: datetime.time, now: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """The first moment after `now` when the clock in `zone` reads `at`."""
    local_day = now.astimezone(zone).date()
    for offset in range(3):  # today, tomorrow, or (across a DST gap) the day after
        candidate = datetime.datetime.combine(local_day + datetime.timedelta(days=offset), at, tzinfo=zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a time of day recurs within two days")


def backup(directory: Path, keep: int, now: datetime.datetime) -> Path:
    """A new bundle in `directory/enlace-<UTC stamp>`, written under a hidden name first so a
    bundle that failed half-way is never taken for a backup; then only the newest `keep` stay."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    final = directory / f"{BACKUP_PREFIX}{stamp}"
    partial = directory / f".partial-{stamp}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        call_command("export_registry", str(partial), verbosity=0)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(final)
    bundles = sorted(path for path in directory.iterdir() if path.is_dir() and path.name.startswith(BACKUP_PREFIX))
    for old in bundles[: max(len(bundles) - keep, 0)]:
        shutil.rmtree(old)
    return final


def jobs() -> list[Job]:
    """The enabled jobs, from the settings (a time of `off` leaves a job out)."""
    backup_dir = Path(settings.ENLACE_BACKUP_DIR)
    keep = settings.ENLACE_BACKUP_KEEP
    if keep < 1:
        raise ScheduleError(f"ENLACE_BACKUP_KEEP: {keep} must be at least 1")
    candidates = [
        (
            "detect_flags",
            "ENLACE_SCHEDULE_DETECT_FLAGS",
            lambda: call_command("detect_flags"),
            "manage.py detect_flags",
        ),
        (
            "send_reminders",
            "ENLACE_SCHEDULE_REMINDERS",
            lambda: call_command("send_reminders"),
            "manage.py send_reminders",
        ),
        (
            "backup",
            "ENLACE_SCHEDULE_BACKUP",
            lambda: f"Backup written to {backup(backup_dir, keep, datetime.datetime.now(datetime.UTC))}",
            f"manage.py export_registry {backup_dir}/{BACKUP_PREFIX}<UTC time> (keeping the newest {keep})",
        ),
    ]
    enabled = []
    for name, variable, run, command in candidates:
        at = parse_time_of_day(variable, getattr(settings, variable))
        if at is not None:
            enabled.append(Job(name=name, at=at, run=run, command=command))
    return enabled
