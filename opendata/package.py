"""The Frictionless Data Package (https://specs.frictionlessdata.io/data-package/) that
describes every published CSV: its columns and their types, its primary and foreign keys,
the licence, the sources and the time of the catalog's last change.

Licence (README, decisions): facts compiled from U.S. federal publications are in the public
domain (17 U.S.C. § 105); the registry's compilation (the selection, the bilingual names,
the mandates and links) is released under CC BY 4.0. It is what Mexico's open-data
licence (Términos de Libre Uso MX, datos.gob.mx) asks of a public-sector dataset
(attribution, any reuse) and is accepted by U.S. federal portals (data.gov lists CC BY
datasets); attribution keeps the source visible to a reader of a reused figure, which is
what a journalist's reader needs to trust it."""

from __future__ import annotations

import datetime

from django.db.models import Max
from django.utils import timezone, translation

from agencies.models import Agency, AgencyName, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office
from opendata.datasets import Dataset, public_datasets

LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
PUBLIC_DOMAIN_NOTE = (
    "Facts taken from U.S. federal government publications are in the public domain (17 U.S.C. 105); "
    "the compilation is released under CC BY 4.0: cite “Enlace, binational interagency registry”."
)
SOURCES = [
    {
        "title": "Official publications of each agency (its statute, organic regulation or website)",
        "path": "https://www.gob.mx/",
    },
    {"title": "U.S. federal agencies' own publications", "path": "https://www.usa.gov/agency-index"},
]
CATALOG_MODELS = (Agency, AgencyName, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office)


def last_change() -> datetime.datetime | None:
    """The catalog's last change: the latest history row of its models (a deletion counts)."""
    stamps = [model.history.aggregate(last=Max("history_date"))["last"] for model in CATALOG_MODELS]
    stamps = [stamp for stamp in stamps if stamp is not None]
    return max(stamps) if stamps else None


def _schema(dataset: Dataset) -> dict:
    fields = dataset.fields()
    for field in fields:
        if field["name"] in dataset.primary_key:
            field["constraints"] = {"required": True}
    schema = {"fields": fields, "primaryKey": list(dataset.primary_key)}
    names = {f["name"] for f in fields}
    foreign = [
        {
            "fields": key.column,
            "reference": {"resource": "" if key.dataset == dataset.name else key.dataset, "fields": key.target},
        }
        for key in dataset.foreign_keys
        if key.column in names
    ]
    if foreign:
        schema["foreignKeys"] = foreign
    return schema


def datapackage(base_url: str = "") -> dict:
    """The package; each resource's path is base_url + its file name (relative without one)."""
    changed = last_change()
    with translation.override("en"):
        resources = [
            {
                "name": dataset.name,
                "path": f"{base_url}{dataset.name}.csv",
                "title": str(dataset.title),
                "description": str(dataset.description),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                # A byte-order mark starts each file, so that Excel reads it as UTF-8.
                "encoding": "utf-8-sig",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True},
                "schema": _schema(dataset),
            }
            for dataset in public_datasets()
        ]
    return {
        "profile": "tabular-data-package",
        "name": "enlace-open-data",
        "title": "Enlace: U.S.–Mexico interagency registry, open data",
        "description": (
            "The public catalog of the agencies of both countries that work on firearms trafficking and "
            "transborder crime (names in English and Spanish, mandates, offices' public channels, places, "
            "counterpart links) and the accountability metrics of their joint work. No person's contact "
            "details and no case are open data. " + PUBLIC_DOMAIN_NOTE
        ),
        "licenses": [LICENCE],
        "sources": SOURCES,
        # The package is made from the data as it stood at its last change.
        "created": (changed or timezone.now()).astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "last_changed": changed.astimezone(datetime.UTC).isoformat(timespec="seconds") if changed else None,
        "resources": resources,
    }
