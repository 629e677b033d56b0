"""One way out for every public file: the CSV (streamed, whole), the JSON and the XLSX of a
dataset, and the API's `?format=csv` of a whole list, all written here.

Decisions (README, "Decisions where the issues were silent"):
- Encoding: UTF-8 with a byte-order mark, on every CSV (page and API). Excel reads a CSV
  without one in the local code page (“FiscalÃ­a”); csv readers, pandas (`utf-8-sig`),
  frictionless and import_catalog all read the mark. One choice everywhere.
- Lists in a cell: items joined by “ | ” (interchange.tabular.LIST_SEPARATOR): “; ” occurs
  inside legal bases and names, “ | ” does not; import_catalog splits on it.
- A CSV is the whole dataset, streamed row by row from a database iterator: memory stays
  constant whatever the catalog's size. The JSON gives lists as JSON lists, as the API does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse

from interchange.tabular import TABULAR_EXCLUDED, CSVWriter, cell_text, workbook_bytes
from opendata.datasets import CHUNK_SIZE, Dataset, typed

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file whose write returns the text written: csv.writer then yields each line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[str], records: Iterable[dict]) -> Iterator[str]:
    """The CSV text of the rows, line by line: the mark, the header, then one line a row."""
    writer = CSVWriter(_Echo())
    yield BOM + writer.writerow(columns)
    for record in records:
        yield writer.writerow([cell_text(record.get(column)) for column in columns])


def stable(queryset: QuerySet) -> QuerySet:
    """The queryset in its own order with the primary key last, so equal keys cannot swap
    places between two downloads."""
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering or [])
    if not any(str(term).lstrip("-") in ("pk", "id") for term in ordering):
        ordering.append("pk")
    return queryset.order_by(*ordering)


def dataset_records(dataset: Dataset) -> Iterator[dict]:
    if dataset.rows is not None:
        yield from dataset.rows()
        return
    serializer = dataset.serializer_instance()
    for instance in stable(dataset.queryset()).iterator(chunk_size=CHUNK_SIZE):
        yield serializer.to_representation(instance)


def csv_text(dataset: Dataset) -> str:
    """The whole CSV as one text (the Data Package writer and the tests)."""
    return "".join(csv_lines(dataset.column_names(), dataset_records(dataset)))


def streaming_csv(columns: list[str], records: Iterable[dict], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse((line.encode("utf-8") for line in csv_lines(columns, records)), CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(dataset: Dataset) -> StreamingHttpResponse:
    return streaming_csv(dataset.column_names(), dataset_records(dataset), f"enlace-{dataset.name}.csv")


def _json_chunks(dataset: Dataset) -> Iterator[str]:
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    yield '{"dataset": ' + json.dumps(dataset.name) + ', "count": ' + str(dataset.count()) + ', "results": ['
    columns = dataset.column_names()
    for index, record in enumerate(dataset_records(dataset)):
        yield ("," if index else "") + "\n" + encoder.encode({column: record.get(column) for column in columns})
    yield "\n]}\n"


def json_response(dataset: Dataset) -> StreamingHttpResponse:
    """The rows as the API gives them (lists as lists), streamed as the CSV is."""
    response = StreamingHttpResponse((chunk.encode("utf-8") for chunk in _json_chunks(dataset)), "application/json")
    response["Content-Disposition"] = f'attachment; filename="enlace-{dataset.name}.json"'
    return response


def xlsx_response(dataset: Dataset) -> HttpResponse:
    """The CSV's cells in a workbook, dates typed as dates (a workbook is a zip: built whole)."""
    fields = dataset.fields()
    columns = [f["name"] for f in fields]
    rows = ([typed(record.get(f["name"]), f["type"]) for f in fields] for record in dataset_records(dataset))
    response = HttpResponse(workbook_bytes(dataset.name, columns, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="enlace-{dataset.name}.xlsx"'
    return response


FORMATS = {"csv": csv_response, "json": json_response, "xlsx": xlsx_response}


def list_columns(serializer) -> list[str]:
    """The columns of an API list's CSV: the serializer's readable fields, less the change times."""
    return [
        name
        for name, serializer_field in serializer.fields.items()
        if not serializer_field.write_only and name not in TABULAR_EXCLUDED
    ]


def whole_list_csv(queryset: QuerySet, serializer, name: str) -> StreamingHttpResponse:
    """The API's `?format=csv` without limit/offset: every row the filters match, streamed."""
    queryset = stable(queryset)
    records = (serializer.to_representation(instance) for instance in queryset.iterator(chunk_size=CHUNK_SIZE))
    return streaming_csv(list_columns(serializer), records, f"{name}.csv")
