"""On the reference data (loaded once for the module): every published catalog CSV that
import_catalog reads (agencies, other names, mandates, offices) is accepted by `manage.py
import_catalog` into an emptied registry, and publishing again gives the same files (only
the database's own row numbers, `id`, may differ; rows are compared in a fixed order)."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connections, transaction

from agencies.models import Agency, AgencyName, Contact, CounterpartLink, Mandate, Office
from agencies.reference import load_reference_data
from flags.services import deferred_flag_sync
from opendata import datasets
from opendata.publish import csv_text

pytestmark = pytest.mark.django_db

# In the order an empty registry needs them: agencies before what refers to them.
IMPORTED = ["agencies", "agency-names", "mandates", "offices"]


def comparable(text: str) -> tuple[list[str], list[tuple]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    keep = [i for i, name in enumerate(header) if name != "id"]
    return [header[i] for i in keep], sorted(tuple(row[i] for i in keep) for row in body)


@pytest.fixture(scope="module")
def reference(django_db_setup, django_db_blocker):
    """The reference files, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock():
        atomics = {alias: transaction.atomic(using=alias) for alias in connections}
        for atomic in atomics.values():
            atomic.__enter__()
        try:
            with deferred_flag_sync():
                load_reference_data()
            yield
        finally:
            for alias, atomic in atomics.items():
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


def test_every_published_catalog_file_imports_into_an_empty_registry_and_publishes_the_same(reference, tmp_path):
    assert {d.name for d in datasets.public_datasets() if d.importable} == set(IMPORTED)
    published = {name: csv_text(datasets.get(name)) for name in IMPORTED}
    counts = {name: datasets.get(name).count() for name in IMPORTED}
    assert all(counts.values()), counts

    for model in (Office, Mandate, AgencyName, CounterpartLink, Contact):
        model.objects.all().delete()
    Agency.objects.update(parent=None)
    Agency.objects.all().delete()
    for name in IMPORTED:
        path = tmp_path / f"{name}.csv"
        path.write_text(published[name], encoding="utf-8")
        with deferred_flag_sync():
            call_command("import_catalog", str(path), "--resource", name, stdout=io.StringIO())

    assert {name: datasets.get(name).count() for name in IMPORTED} == counts
    for name in IMPORTED:
        assert comparable(csv_text(datasets.get(name))) == comparable(published[name]), name
