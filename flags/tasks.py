"""Background tasks of the flags app (django-tasks; `manage.py db_worker` runs them)."""

from django_tasks import task

from flags import notifications


@task()
def send_flag_digests(flag_ids: list[int]) -> int:
    """The coordinators' digests of the flags one sync opened."""
    return notifications.send_digests(flag_ids)
