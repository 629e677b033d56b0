"""The scheduler's rules (registry/schedule.py, `manage.py run_schedule`): when each job runs
next, which settings it refuses, that a failed job does not stop the others, and that backups
are written whole and only the newest are kept."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registry import schedule

UTC = ZoneInfo("UTC")


def at_offset(now: datetime.datetime, minutes: int, zone: ZoneInfo) -> datetime.time:
    return (now + datetime.timedelta(minutes=minutes)).astimezone(zone).time().replace(second=0, microsecond=0)


@pytest.mark.parametrize("zone", [UTC, ZoneInfo("America/Chicago"), ZoneInfo("America/Mexico_City")])
def test_next_run_is_the_next_time_the_local_clock_shows_that_time(zone):
    now = timezone.now().replace(second=30, microsecond=0)
    later_today = at_offset(now, 90, zone)
    upcoming = schedule.next_run(later_today, now, zone)
    assert upcoming.astimezone(zone).time() == later_today
    assert now < upcoming <= now + datetime.timedelta(minutes=90)

    # A time already past (a minute ago) comes round again in a day, not now.
    passed = at_offset(now, -1, zone)
    upcoming = schedule.next_run(passed, now, zone)
    assert upcoming.astimezone(zone).time() == passed
    assert now + datetime.timedelta(hours=22) < upcoming <= now + datetime.timedelta(hours=25)


@pytest.mark.parametrize("value", ["25:00", "2am", "", "02:61", "02"])
def test_a_time_that_is_not_a_time_of_day_is_refused_naming_the_variable(settings, value):
    settings.ENLACE_SCHEDULE_BACKUP = value
    with pytest.raises(CommandError, match="ENLACE_SCHEDULE_BACKUP"):
        call_command("run_schedule", "--dry-run")


def test_an_unknown_time_zone_or_no_backup_to_keep_is_refused(settings):
    settings.ENLACE_SCHEDULE_TIME_ZONE = "Mars/Olympus"
    with pytest.raises(CommandError, match="ENLACE_SCHEDULE_TIME_ZONE"):
        call_command("run_schedule", "--dry-run")
    settings.ENLACE_SCHEDULE_TIME_ZONE = "UTC"
    settings.ENLACE_BACKUP_KEEP = 0
    with pytest.raises(CommandError, match="ENLACE_BACKUP_KEEP"):
        call_command("run_schedule", "--dry-run")


def test_off_leaves_a_job_out(settings, capsys):
    settings.ENLACE_SCHEDULE_BACKUP = "off"
    settings.ENLACE_SCHEDULE_REMINDERS = "OFF"
    call_command("run_schedule", "--dry-run")
    output = capsys.readouterr().out
    assert "detect_flags: daily at 02:00" in output
    assert "backup" not in output and "send_reminders" not in output


@pytest.mark.django_db
def test_a_failed_job_is_reported_and_the_others_still_run(settings, tmp_path, capsys, monkeypatch):
    settings.ENLACE_BACKUP_DIR = str(tmp_path)
    real_call_command = schedule.call_command

    def detect_flags_fails(name, *args, **kwargs):
        if name == "detect_flags":
            raise RuntimeError("database gone")
        return real_call_command(name, *args, **kwargs)

    monkeypatch.setattr(schedule, "call_command", detect_flags_fails)
    with pytest.raises(CommandError, match=r"Failed: detect_flags$"):
        call_command("run_schedule", "--once")
    output = capsys.readouterr().out
    assert "Finished detect_flags" not in output
    assert "Finished send_reminders" in output
    assert "Finished backup" in output
    assert [path.name.startswith("enlace-") for path in tmp_path.iterdir()] == [True]


@pytest.mark.django_db
def test_backups_are_named_by_time_and_only_the_newest_are_kept(tmp_path):
    now = timezone.now()
    written = [schedule.backup(tmp_path, keep=2, now=now + datetime.timedelta(seconds=offset)) for offset in range(3)]
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == [written[1].name, written[2].name]
    assert all((path / "manifest.json").is_file() for path in written[1:])
    assert not any(name.startswith(".partial") for name in kept)


@pytest.mark.django_db
def test_a_backup_that_fails_half_way_leaves_nothing_that_looks_like_one(tmp_path, monkeypatch):
    from interchange import backup as backup_module

    real_models = backup_module.backed_up_models

    def first_file_then_disk_full():
        models = iter(real_models())
        yield next(models)
        raise OSError("No space left on device")

    monkeypatch.setattr(backup_module, "backed_up_models", first_file_then_disk_full)
    with pytest.raises(OSError, match="No space left"):
        schedule.backup(tmp_path, keep=2, now=timezone.now())
    assert list(tmp_path.iterdir()) == []
