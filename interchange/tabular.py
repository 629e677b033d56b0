"""Spreadsheet cells in and out: reading CSV and XLSX into a tablib Dataset, flattening API
data into rows, neutralizing formula injection, the one CSV writer of every export, and
writing byte-for-byte reproducible XLSX files."""

import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Iterable

import tablib
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A cell starting with one of these is run as a formula by spreadsheet programs (CWE-1236).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
LIST_SEPARATOR = " | "
# Columns the API answers but a spreadsheet does not carry: they change on every write, so
# leaving them out makes an export → import → export round trip give the same file.
TABULAR_EXCLUDED = ("created_at", "updated_at")
# Fixed workbook timestamps: the same rows always give the same bytes.
FIXED_TIMESTAMP = datetime.datetime(2000, 1, 1)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class UnreadableFile(Exception):
    """The file as a whole cannot be read (encoding, format, empty)."""


def looks_like_formula(value: str) -> bool:
    return bool(value) and value.startswith(FORMULA_PREFIXES) and not NUMBER.match(value)


def neutralize(value: str) -> str:
    """Prefix a formula-like text with an apostrophe so a spreadsheet shows it as text."""
    return "'" + value if looks_like_formula(value) else value


def csv_cell(value):
    """One value as a CSV cell: None empty, text neutralized, numbers, dates and booleans as
    csv.writer writes them (a number is never text that a spreadsheet could run)."""
    if value is None:
        return ""
    if isinstance(value, int | float | bool | datetime.date | datetime.time):
        return value
    return neutralize(str(value))


class CSVWriter:
    """The CSV writer of every export (API lists, open data, audit): csv.writer with each
    cell through csv_cell, so no export can hand a spreadsheet a formula. `writerow`
    returns what the stream's `write` returns (the line itself for a streaming echo)."""

    def __init__(self, stream):
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, values):
        return self._writer.writerow([csv_cell(value) for value in values])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def cell_text(value) -> str:
    """One API value as the text of one cell: lists joined by “ | ”, objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set):
        if all(not isinstance(item, dict | list) for item in value):
            return LIST_SEPARATOR.join(cell_text(item) for item in value)
        return json.dumps(list(value), ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rows_of(data) -> list[dict]:
    """The rows of an API answer: a page's results, a plain list, or one object."""
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if isinstance(data, dict):
        data = [data]
    return [row if isinstance(row, dict) else {"value": row} for row in (data or [])]


def dataset_from_rows(rows: list[dict], *, title: str = "export") -> tablib.Dataset:
    headers: list[str] = []
    for row in rows:
        headers.extend(key for key in row if key not in headers and key not in TABULAR_EXCLUDED)
    dataset = tablib.Dataset(title=title[:31] or "export")
    dataset.headers = headers
    for row in rows:
        dataset.append([neutralize(cell_text(row.get(key))) for key in headers])
    return dataset


def csv_bytes(dataset: tablib.Dataset) -> bytes:
    # With a BOM, Excel opens the file as UTF-8 instead of the local code page.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = CSVWriter(buffer)
    if dataset.headers:
        writer.writerow(dataset.headers)
    writer.writerows(dataset)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(dataset: tablib.Dataset) -> bytes:
    """An XLSX file with fixed properties and zip timestamps: same rows, same bytes."""
    return workbook_bytes(dataset.title or "export", list(dataset.headers or []), dataset)


def xlsx_cell(value):
    """One value as a worksheet cell: None empty, text neutralized as in csv_cell and without
    the control characters a worksheet cannot hold, numbers, dates and booleans typed."""
    if value is None or isinstance(value, int | float | bool | datetime.date | datetime.time):
        return value
    # Control characters cannot go into a worksheet; they are dropped rather than failing the export.
    return neutralize(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def workbook_bytes(title: str, headers: list[str], rows: Iterable) -> bytes:
    """One worksheet of typed cells. Every text cell is written as text (data type “s”):
    openpyxl would otherwise store a text starting with “=” as a formula, which a
    spreadsheet runs on opening (CWE-1236), just as a CSV cell would be."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\\/*?:\[\]]", "-", title or "export")[:31]
    for row_number, values in enumerate([headers, *rows] if headers else rows, start=1):
        for column_number, value in enumerate(values, start=1):
            value = xlsx_cell(value)
            if value is None:
                continue
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd"
    workbook.properties.creator = "Enlace"
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    workbook.properties.lastModifiedBy = None
    raw = io.BytesIO()
    workbook.save(raw)
    return _fix_zip_timestamps(raw.getvalue())


def _fix_zip_timestamps(content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here whatever the properties say.
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2000-01-01T00:00:00Z\g<2>", data
                )
            target.writestr(fixed, data)
    return out.getvalue()


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    return cell_text(value)


def read_table(content: bytes, filename: str = "") -> tablib.Dataset:
    """A CSV (UTF-8, with or without BOM) or XLSX file as a Dataset of text cells."""
    if not content or not content.strip():
        raise UnreadableFile(_("The file is empty."))
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        dataset = _read_xlsx(content)
    else:
        dataset = _read_csv(content)
    if not dataset.headers or not any(header for header in dataset.headers):
        raise UnreadableFile(_("The file is empty: the first row must name the columns."))
    if dataset.height == 0:
        raise UnreadableFile(_("The file has a header row but no data rows."))
    return dataset


def _read_csv(content: bytes) -> tablib.Dataset:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            _(
                "The file is not UTF-8 text (unreadable byte at position %(position)s). "
                "Save it again as “CSV UTF-8” and import it again."
            )
            % {"position": exc.start}
        ) from exc
    if "\x00" in text:
        raise UnreadableFile(_("The file is not UTF-8 text. Save it again as “CSV UTF-8” and import it again."))
    dataset = tablib.Dataset()
    try:
        dataset.load(text, format="csv")
    except Exception as exc:  # tablib raises several kinds for a malformed CSV
        raise UnreadableFile(_("The file could not be read as CSV: %(error)s") % {"error": exc}) from exc
    dataset.headers = [(header or "").strip() for header in dataset.headers or []]
    return dataset


def _read_xlsx(content: bytes) -> tablib.Dataset:
    # openpyxl directly rather than tablib's loader: that one reads cached formula results
    # (data_only=True), which would hide a formula planted in a cell.
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # not a zip, not a workbook, damaged
        raise UnreadableFile(_("The file could not be read as an XLSX workbook.")) from exc
    rows: Iterable = workbook.worksheets[0].iter_rows(values_only=True)
    dataset = tablib.Dataset()
    header_row = next(iter(rows), None)
    if header_row is None:
        return dataset
    headers = [_xlsx_cell(value).strip() for value in header_row]
    while headers and not headers[-1]:
        headers.pop()
    dataset.headers = headers
    for row in rows:
        cells = [_xlsx_cell(value) for value in row][: len(headers)]
        cells += [""] * (len(headers) - len(cells))
        dataset.append(cells)
    workbook.close()
    return dataset
