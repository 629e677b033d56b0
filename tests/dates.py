"""Dates for tests, all derived from one "today": the registry's own (timezone.localdate()).

No test writes a calendar date the real clock could overtake; a test that needs a date says
how far it is from today, so the suite passes whatever day it runs (`make test-future`)."""

import datetime

from django.utils import timezone


def today() -> datetime.date:
    """The day the registry believes it is: what `overdue`, reminders and metrics compare with."""
    return timezone.localdate()


def days_from_today(days: int) -> datetime.date:
    return today() + datetime.timedelta(days=days)


def month_start(day: datetime.date, months: int = 0) -> datetime.date:
    """The first day of the month `months` after (negative: before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def at_noon(day: datetime.date) -> datetime.datetime:
    """Noon of `day` in the registry's time zone: a moment that is on that day wherever it is read."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
