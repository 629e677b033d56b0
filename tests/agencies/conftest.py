"""Fixtures for the catalog's tests."""

import pytest
from django.db import connections, transaction

from agencies.reference import load_reference_data


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Load the real reference files once per module; roll everything back after it."""
    with django_db_blocker.unblock():
        atomics = {alias: transaction.atomic(using=alias) for alias in connections}
        for atomic in atomics.values():
            atomic.__enter__()
        try:
            yield load_reference_data()
        finally:
            for alias, atomic in atomics.items():
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)
