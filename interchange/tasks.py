"""Background tasks (django-tasks; the database backend persists them, `manage.py db_worker` runs them)."""

from django_tasks import task

from interchange import webhooks


@task()
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at one webhook delivery; a failure schedules the next attempt itself."""
    delivery = webhooks.attempt(delivery_id)
    return delivery.status if delivery is not None else "missing"
