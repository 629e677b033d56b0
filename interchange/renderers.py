"""CSV and XLSX renderers for the API: `?format=csv` or `?format=xlsx` on any list gives the
same rows the JSON answer would (the requester's own view, filters and page applied),
flattened one object a row, with formula injection neutralized."""

import re

from rest_framework import renderers

from interchange.tabular import csv_bytes, dataset_from_rows, rows_of, xlsx_bytes


class _TabularRenderer(renderers.BaseRenderer):
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        request = renderer_context.get("request")
        response = renderer_context.get("response")
        # Named after the list's path: /api/v1/agency-names/ → agency-names.csv
        name = re.sub(r"[^a-z0-9-]", "", request.path.rstrip("/").rsplit("/", 1)[-1]) if request else ""
        name = name or "export"
        if response is not None and response.status_code < 400:
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'
        return self.to_bytes(dataset_from_rows(rows_of(data), title=name))


class CSVRenderer(_TabularRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def to_bytes(self, dataset) -> bytes:
        return csv_bytes(dataset)


class XLSXRenderer(_TabularRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"

    def to_bytes(self, dataset) -> bytes:
        return xlsx_bytes(dataset)
