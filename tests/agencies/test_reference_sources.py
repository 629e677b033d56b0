"""The source hierarchy and legal bases of the shipped reference data (issue 19, points 1-2).

These read the repository's agencies/data/ files directly (not through the loader's checks),
so a row that slipped past the loader would still fail here."""

import csv
import shutil

import pytest

from agencies.models import Agency, Mandate, Source
from agencies.reference import DATA_DIR, ReferenceDataError, load_reference_data, read_dataset
from agencies.selectors import SourceKinds
from agencies.source_kinds import is_official, kind_of_url


def rows(name: str) -> list[dict]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def source_table() -> dict[str, dict]:
    return {row["id"]: row for row in rows("sources.csv")}


def primary(source: dict) -> bool:
    """Kind primary in the file and its first URL (the one a mandate stores) on an official domain."""
    return source["kind"] == "primary" and is_official(source["urls"].split()[0])


def test_every_agency_of_the_files_cites_a_primary_source():
    sources = source_table()
    without = [
        row["slug"] for row in rows("agencies.csv") if not any(primary(sources[s]) for s in row["sources"].split(";"))
    ]
    assert without == []


def test_every_mandate_of_the_files_rests_on_a_primary_source():
    sources = source_table()
    without = [(row["agency"], row["function"]) for row in rows("mandates.csv") if not primary(sources[row["source"]])]
    assert without == []


def test_every_primary_mandate_has_a_legal_basis_and_every_other_one_says_why_not():
    mandates = rows("mandates.csv")
    roles = {row["role"] for row in mandates}
    assert roles <= {choice for choice, _label in Mandate.Role.choices}
    assert [(m["agency"], m["function"]) for m in mandates if m["role"] == "primary" and not m["legal_basis"]] == []
    assert [(m["agency"], m["function"]) for m in mandates if not m["legal_basis"] and not m["note"]] == []
    state = next(m for m in mandates if (m["agency"], m["function"]) == ("us-dos", "diplomacy-policy"))
    assert "22 U.S.C. 2651a" in state["legal_basis"]
    atf = next(m for m in mandates if (m["agency"], m["function"]) == ("us-atf", "firearms-tracing"))
    assert "28 U.S.C. 599A" in atf["legal_basis"]


def test_a_primary_source_is_on_an_official_domain_and_secondary_ones_are_labelled():
    for source in source_table().values():
        assert source["kind"] in {"primary", "secondary"}, source["id"]
        if source["kind"] == "primary":
            assert is_official(source["urls"].split()[0]), source["id"]
    # The press and the mirrors the issue found are secondary by the domain rule, whatever the column says.
    for url in (
        "https://www.scribd.com/document/683804048/ATF-Employee-Caught-Gun-Running-to-Mexico-AGAIN",
        "https://rafagachihuahua.com/2022/10/18/realizan-fge-e-interpol-conversatorio-en-procuracion-de-justicia",
        "https://www.law.cornell.edu/uscode/text/28/599A",
        "https://en.wikipedia.org/wiki/Bureau_of_Alcohol,_Tobacco,_Firearms_and_Explosives",
    ):
        assert kind_of_url(url, "primary") == "secondary", url
    assert kind_of_url("https://www.gao.gov/products/gao-21-322") == "secondary"
    assert kind_of_url("https://www.gob.mx/fgr") == kind_of_url("https://www.interpol.int/en") == "primary"
    assert not is_official("https://gob.mx.example.com/") and not is_official("https://notgov.com/")


def test_the_sources_the_issue_named_are_no_longer_cited():
    sources = source_table()
    cited = {s for row in rows("agencies.csv") for s in row["sources"].split(";")}
    cited |= {row["source"] for row in rows("mandates.csv")}
    cited |= {s for row in rows("mandates.csv") for s in row["other_sources"].split(";") if s}
    scribd = [sid for sid, source in sources.items() if "scribd.com/document/683804048" in source["urls"]]
    assert scribd == []  # S28, the Scribd upload, is gone
    assert "S28" not in cited
    by_key = {(row["agency"], row["function"]): row for row in rows("mandates.csv")}
    assert "interpol.int" in sources[by_key[("int-interpol", "firearms-tracing")]["source"]]["urls"].split()[0]
    assert ("mx-coa-fge", "firearms-tracing") not in by_key


def test_a_file_breaking_the_hierarchy_is_refused_naming_row_and_column(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "mandates.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, mandates = reader.fieldnames, list(reader)
    atf = next(i for i, m in enumerate(mandates) if (m["agency"], m["function"]) == ("us-atf", "firearms-tracing"))
    mandates[atf]["legal_basis"] = ""
    mandates[atf]["source"] = "S19"  # a press article (secondary)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(mandates)
    with pytest.raises(ReferenceDataError) as raised:
        read_dataset(data)
    row = atf + 2
    assert {(p.file, p.row, p.column) for p in raised.value.problems} == {
        ("mandates.csv", row, "legal_basis"),
        ("mandates.csv", row, "source"),
    }


def test_the_loader_stores_each_urls_kind_and_the_api_shows_it(db, client):
    load_reference_data()
    dataset = read_dataset()
    kinds = dataset.url_kinds()
    assert Source.objects.count() == len(kinds)
    assert Source.objects.filter(kind="primary").count() == sum(kind == "primary" for kind, _row in kinds.values())
    assert Source.objects.get(url__contains="uscode.house.gov", reference="S74").kind == "primary"
    atf = Agency.objects.get(slug="us-atf")
    shown = client.get("/api/v1/agencies/us-atf/").json()
    assert shown["sources"] == atf.sources  # unchanged beside the new field
    assert [item["url"] for item in shown["source_details"]] == atf.sources
    assert {item["kind"] for item in shown["source_details"]} == {"primary", "secondary"}
    mandates = client.get("/api/v1/mandates/", {"agency": "us-atf", "limit": 100}).json()["results"]
    assert mandates and all(m["source_kind"] == "primary" for m in mandates)
    page = client.get("/agencies/us-atf/").content.decode()
    assert "Primary source" in page and "Secondary source" in page
    # A second run writes nothing, sources included.
    again = load_reference_data()
    assert again.counts["sources.csv"].unchanged == again.counts["sources.csv"].rows == len(kinds)


def test_an_admins_change_of_a_sources_kind_is_kept(db):
    load_reference_data()
    source = Source.objects.get(reference="S74")
    source.kind = "secondary"
    source._change_reason = "reviewed by the records team"
    source.save()
    report = load_reference_data()
    assert Source.objects.get(pk=source.pk).kind == "secondary"
    assert [(d.file, d.field) for d in report.differences] == [("sources.csv", "kind")]
    assert SourceKinds()[source.url] == "secondary"


def test_a_url_the_reference_data_does_not_list_gets_its_kind_from_the_domain(db):
    kinds = SourceKinds()
    assert kinds["https://www.atf.gov/about"] == "primary"
    assert kinds["https://www.example.org/news"] == "secondary"
