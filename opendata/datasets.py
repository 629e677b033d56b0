"""The public datasets, each defined once: its rows (the API's serializer over the rows an
anonymous reader may see), its columns and their types, its keys. The open-data page, the
API's `?format=csv` and the Data Package all read these definitions, so a file has the same
columns, the same list separator, the same encoding and the same formula neutralisation
wherever it is downloaded from.

A row is what the API answers for the object (JSON); a CSV cell is that value through
interchange.tabular.cell_text (lists joined by “ | ”, objects as JSON) and csv_cell (a text
starting with = + - @ tab CR gets an apostrophe)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.functional import Promise
from rest_framework import serializers

from interchange.tabular import TABULAR_EXCLUDED, cell_text

# Rows read from the database at a time: memory stays bounded whatever the catalog's size;
# a prefetch (other names, jurisdictions) runs once per chunk.
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ForeignKey:
    column: str
    dataset: str
    target: str


@dataclass(frozen=True)
class Dataset:
    """One public dataset. `queryset` gives the rows in their published order; `serializer`
    turns one into the API's JSON form. `rows` replaces both for a dataset that is not a
    model list (the metrics): it yields dicts already."""

    name: str
    title: Promise
    description: Promise
    primary_key: tuple[str, ...]
    queryset: Callable[[], QuerySet] | None = None
    serializer: type[serializers.Serializer] | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    # Columns left out of the file (they depend on the reader's language or repeat another dataset).
    excluded: tuple[str, ...] = ()
    # For a dataset without a serializer: (column, Table Schema type, description).
    columns: tuple[tuple[str, str, str], ...] = ()
    rows: Callable[[], Iterator[dict]] | None = None
    # The dataset import_catalog reads back (tests/opendata/test_round_trip.py).
    importable: bool = False
    api_path: str = ""
    notes: tuple[Promise, ...] = field(default=())

    def serializer_instance(self):
        return self.serializer(context={"request": None})

    def fields(self) -> list[dict]:
        """The Table Schema fields of the file, in its column order."""
        if self.serializer is None:
            return [{"name": name, "type": kind, "description": text} for name, kind, text in self.columns]
        described = []
        for name, serializer_field in self.serializer_instance().fields.items():
            if serializer_field.write_only or name in TABULAR_EXCLUDED or name in self.excluded:
                continue
            described.append(_table_schema_field(name, serializer_field))
        return described

    def column_names(self) -> list[str]:
        return [f["name"] for f in self.fields()]

    def count(self) -> int:
        if self.rows is not None:
            return sum(1 for _row in self.rows())
        return self.queryset().count()


def _table_schema_field(name: str, serializer_field) -> dict:
    kind, extra = "string", {}
    if isinstance(serializer_field, serializers.BooleanField):
        kind = "boolean"
        extra = {"trueValues": ["true"], "falseValues": ["false"]}
    elif isinstance(serializer_field, serializers.IntegerField):
        kind = "integer"
    elif isinstance(serializer_field, serializers.DateTimeField):
        kind = "datetime"
    elif isinstance(serializer_field, serializers.DateField):
        kind = "date"
    elif isinstance(serializer_field, serializers.ListField | serializers.ManyRelatedField):
        extra = {"description_list": True}
    description = str(serializer_field.help_text or serializer_field.label or name)
    result = {"name": name, "type": kind, "description": description}
    if extra.pop("description_list", False):
        result["description"] = description + ' (a list: items separated by " | ")'
    elif isinstance(serializer_field, serializers.SerializerMethodField) and name != "source_kind":
        result["description"] = description + " (JSON)"
    result.update(extra)
    return result


def typed(value, kind: str):
    """A row's value as a spreadsheet cell: numbers, booleans and dates typed, anything else
    the text of its CSV cell."""
    if value is None or value == "":
        return None
    if kind == "date" and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    if kind in ("integer", "number", "boolean") and isinstance(value, int | float | bool):
        return value
    return cell_text(value)


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    REGISTRY[dataset.name] = dataset
    return dataset


def public_datasets() -> list[Dataset]:
    """Every published dataset, in the page's order."""
    from opendata import catalog  # noqa: F401  (registers the catalog's datasets)

    return list(REGISTRY.values())


def get(name: str) -> Dataset | None:
    public_datasets()
    return REGISTRY.get(name)
