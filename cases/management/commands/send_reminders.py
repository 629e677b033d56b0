"""E-mail deadline reminders: `python manage.py send_reminders` (run it daily, e.g. from cron)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cases.reminders import DUE_WITHIN_DAYS, send_reminders


class Command(BaseCommand):
    help = (
        f"E-mail the assignee (or the owner agency's coordinators) about action items due within "
        f"{DUE_WITHIN_DAYS} days and overdue ones; each item at most once a day per recipient."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be sent, send nothing")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date: {options['date']!r} is not a date like 2026-11-28") from exc
        run = send_reminders(today=today, dry_run=options["dry_run"])
        verb = "Would send" if options["dry_run"] else "Sent"
        self.stdout.write(
            f"{verb} {run.sent} reminder(s); {run.already_sent} already sent today; "
            f"{run.without_recipient} item(s) with nobody to remind."
        )
