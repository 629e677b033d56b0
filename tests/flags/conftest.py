import pytest


@pytest.fixture(autouse=True)
def worker_keeps_the_test_connection(monkeypatch):
    # The task worker closes stale connections between tasks; in-process, that would be
    # the test's own (transactional) connection.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
