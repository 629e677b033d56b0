"""Background task of the federation (django-tasks; `manage.py db_worker` runs it): the
scheduled exchange, which re-enqueues itself so it runs on a schedule without cron."""

import datetime

from django_tasks import task

from federation import services

# How often the worker exchanges with the partners that are due.
INTERVAL = datetime.timedelta(hours=6)


@task()
def run_federation_exchange(reschedule: bool = True) -> int:
    """Exchange with every partner due (a failing partner waits its backoff and never
    blocks local work: this runs in the worker, not in a request); returns the runs made."""
    from django.utils import timezone

    try:
        runs = services.run_scheduled()
    finally:
        if reschedule:
            run_federation_exchange.using(run_after=timezone.now() + INTERVAL).enqueue(True)
    return len(runs)
