"""Fixtures for the interchange tests: the reference places and functions the files name,
and helpers that write real CSV and XLSX files."""

import csv
import io

import pytest
from openpyxl import Workbook

from tests.factories import CountryFactory, FunctionalAreaFactory, JurisdictionFactory


@pytest.fixture
def places(db):
    us = CountryFactory(code="US", name="United States", name_es="Estados Unidos")
    mx = CountryFactory(code="MX", name="Mexico", name_es="México")
    son = JurisdictionFactory(code="MX-SON", name="Sonora", name_es="Sonora", parent=mx)
    tx = JurisdictionFactory(code="US-TX", name="Texas", name_es="Texas", parent=us)
    tracing = FunctionalAreaFactory(slug="firearms-tracing", name="Firearms tracing", name_es="Rastreo de armas")
    prosecution = FunctionalAreaFactory(slug="prosecution", name="Prosecution", name_es="Procuración de justicia")
    return {"US": us, "MX": mx, "MX-SON": son, "US-TX": tx, "tracing": tracing, "prosecution": prosecution}


def xlsx_file(path, rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path.read_bytes()


def csv_file(path, rows: list[list], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    content = buffer.getvalue().encode(encoding)
    if bom:
        content = b"\xef\xbb\xbf" + content
    path.write_bytes(content)
    return content


AGENCY_HEADER = ["slug", "acronym", "name", "name_es", "country", "jurisdiction", "level", "kind", "parent", "website"]


def agency_row(slug, name, *, parent="", country="US", jurisdiction="US", acronym="", name_es="", kind="prosecution"):
    return [slug, acronym, name, name_es, country, jurisdiction, "federal", kind, parent, ""]
