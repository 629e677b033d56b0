"""The Data Package describes every published CSV (fields, types, keys, licence, sources, last
change) and `frictionless validate` passes on it, foreign keys included."""

import json

import pytest
from frictionless import validate

from opendata import datasets
from opendata.publish import csv_text

pytestmark = pytest.mark.django_db


def write_package(client, folder) -> dict:
    package = json.loads(client.get("/open-data/datapackage.json").getvalue())
    for resource in package["resources"]:
        name = resource["path"].rsplit("/", 1)[-1]
        (folder / name).write_bytes(client.get(f"/open-data/{name}").getvalue())
        resource["path"] = name
    (folder / "datapackage.json").write_text(json.dumps(package))
    return package


def test_frictionless_validates_the_package_and_every_file(catalog, anonymous, tmp_path):
    package = write_package(anonymous, tmp_path)

    report = validate(str(tmp_path / "datapackage.json"))

    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    assert {r["name"] for r in package["resources"]} == {d.name for d in datasets.public_datasets()}
    assert [task.stats.get("rows", 0) for task in report.tasks] == [d.count() for d in datasets.public_datasets()]


def test_the_package_states_licence_sources_keys_and_last_change(catalog, anonymous):
    package = json.loads(anonymous.get("/open-data/datapackage.json").getvalue())
    resources = {r["name"]: r for r in package["resources"]}

    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert "public domain" in package["description"]
    assert all(source["path"].startswith("https://") for source in package["sources"])
    assert package["last_changed"] and package["created"] == package["last_changed"]
    agencies = resources["agencies"]["schema"]
    assert agencies["primaryKey"] == ["slug"]
    assert {"fields": "parent", "reference": {"resource": "", "fields": "slug"}} in agencies["foreignKeys"]
    mandates = resources["mandates"]["schema"]
    assert {"fields": "agency", "reference": {"resource": "agencies", "fields": "slug"}} in mandates["foreignKeys"]
    types = {f["name"]: f["type"] for f in agencies["fields"]}
    assert (types["active"], types["valid_from"], types["slug"]) == ("boolean", "date", "string")
    assert resources["agencies"]["path"] == "http://testserver/open-data/agencies.csv"


def test_frictionless_catches_a_broken_foreign_key(catalog, anonymous, tmp_path):
    write_package(anonymous, tmp_path)
    names = tmp_path / "agency-names.csv"
    names.write_text(names.read_text(encoding="utf-8-sig").replace("mx-fgr", "mx-nobody"), encoding="utf-8-sig")

    report = validate(str(tmp_path / "datapackage.json"))

    assert not report.valid
    assert "foreign-key" in {kind for (kind,) in report.flatten(["type"])}


def test_the_csv_text_is_the_download(catalog, anonymous):
    assert csv_text(datasets.get("offices")).encode() == anonymous.get("/open-data/offices.csv").getvalue()
