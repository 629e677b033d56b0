"""Bulk inserts of plain rows: PostgreSQL COPY, or executemany elsewhere.

Why not `bulk_create`: it builds a model instance per row and prepares every value through
the field, about 100 µs a row on a loaded 2-core machine, which puts a national-scale
dataset (about 2.5 million rows) past half an hour. Here a row is a dict of column values;
the columns a caller leaves out take the model field's default, computed once (or per row
for callable defaults); auto_now columns take the time of the run. Primary keys are
assigned here (after the table's largest id), so a caller knows a row's id before it is
written and can point other rows at it; sequences are moved past them at the end.
"""

from __future__ import annotations

import datetime
import json

from django.core.management.color import no_style
from django.db import connection, models

_CALL_PER_ROW = object()


class Table:
    """One model's table: its columns, their defaults, and the next free id."""

    def __init__(self, model: type[models.Model], now: datetime.datetime):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in self.fields]
        self.columns = [field.column for field in self.fields]
        self.json = {field.attname for field in self.fields if isinstance(field, models.JSONField)}
        self.defaults: dict[str, object] = {}
        for field in self.fields:
            if field.primary_key:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.defaults[field.attname] = now
            elif field.has_default() and callable(field.default):
                self.defaults[field.attname] = _CALL_PER_ROW
            else:
                self.defaults[field.attname] = self._prepared(field.attname, field.get_default())
        self.pk = model._meta.pk.attname
        self._special = [
            index
            for index, name in enumerate(self.names)
            if name in self.json or self.defaults.get(name) is _CALL_PER_ROW
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT MAX({connection.ops.quote_name(model._meta.pk.column)}) "  # noqa: S608 (names from the model)
                f"FROM {connection.ops.quote_name(model._meta.db_table)}"
            )
            self._next_id = (cursor.fetchone()[0] or 0) + 1

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def _prepared(self, name: str, value):
        if name in self.json and value is not None and not isinstance(value, str):
            return json.dumps(value)
        return value

    def values(self, row: dict) -> tuple:
        if self.pk not in row:
            row[self.pk] = self.new_id()
        out = [row[name] if name in row else self.defaults.get(name) for name in self.names]
        # Only callable defaults and JSON columns need more than a look-up.
        for index in self._special:
            value = out[index]
            name = self.names[index]
            if value is _CALL_PER_ROW:
                value = self.fields[index].get_default()
            out[index] = self._prepared(name, value)
        return tuple(out)


def insert(table: Table, rows: list[tuple]) -> None:
    """Write the rows (tuples in the table's column order) in one statement."""
    if not rows:
        return
    quote = connection.ops.quote_name
    name = quote(table.model._meta.db_table)
    columns = ", ".join(quote(column) for column in table.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(table.columns))
            adapted = [tuple(_adapt(value) for value in row) for row in rows]
            cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({marks})", adapted)  # noqa: S608


def _adapt(value):
    """Values as Django stores them on SQLite (ISO text for dates and times)."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def reset_sequences(tables: list[Table]) -> None:
    """Move each table's id sequence past the ids assigned here."""
    statements = connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
