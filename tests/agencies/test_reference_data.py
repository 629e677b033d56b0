"""The reference dataset in agencies/data/ and its loader (agencies/reference.py), on the real files.

The files are loaded once for the module, inside a transaction rolled back at its end; each
test runs in a savepoint of it, like Django's setUpTestData."""

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from agencies.models import Agency, AgencyName, FunctionalArea, Jurisdiction, Mandate
from agencies.reference import (
    DATA_DIR,
    LOADER_REASON,
    ReferenceDataError,
    dataset_counts,
    load_reference_data,
    read_dataset,
)
from agencies.selectors import agency_search, counterparts_for
from tests.factories import UserFactory

SPEC_FUNCTIONS = {
    "firearms-tracing",
    "criminal-investigation",
    "prosecution",
    "border-interdiction",
    "customs",
    "export-control",
    "import-control",
    "dealer-licensing-compliance",
    "financial-intelligence",
    "criminal-intelligence",
    "diplomacy-policy",
    "end-use-monitoring",
    "ballistics-forensics",
    "public-health-prevention",
    "military-security",
    "capacity-building",
}

HISTORIES = [Jurisdiction, FunctionalArea, Agency, AgencyName, Mandate]


def history_rows() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in HISTORIES}


# --- what the dataset holds -----------------------------------------------------------------


def test_the_first_load_creates_every_record_of_the_files(loaded, db):
    assert loaded.total("created") == loaded.total("rows") > 0
    assert loaded.total("kept") == 0
    assert loaded.differences == []


def test_jurisdictions_hold_every_us_state_with_dc_every_mexican_state_and_the_region(loaded, db):
    states = Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE)
    us_states = states.filter(code__startswith="US-", parent__code="US")
    mx_states = states.filter(code__startswith="MX-", parent__code="MX")
    assert us_states.count() == 51
    assert us_states.filter(code="US-DC", name="District of Columbia").exists()
    assert mx_states.count() == 32
    assert mx_states.filter(code="MX-CMX", name_es="Ciudad de México").exists()
    countries = set(Jurisdiction.objects.filter(kind=Jurisdiction.Kind.COUNTRY).values_list("code", flat=True))
    assert {"US", "MX", "BZ", "GT", "SV", "HN", "NI", "CR", "PA", "CU", "DO", "HT", "JM"} <= countries
    assert not Jurisdiction.objects.filter(name_es="").exists()


def test_ports_of_entry_sit_in_a_border_state_and_touch_a_mexican_state(loaded, db):
    ports = Jurisdiction.objects.filter(kind=Jurisdiction.Kind.PORT_OF_ENTRY).select_related("parent")
    assert ports.count() >= 15
    for port in ports:
        assert port.parent.code in {"US-CA", "US-AZ", "US-NM", "US-TX"}, port.code
        assert port.code == f"US-POE-{port.code.rsplit('-', 1)[1]}"
        assert port.borders.filter(code__startswith="MX-", kind=Jurisdiction.Kind.STATE).exists(), port.code
        assert port.source.startswith("https://")
    san_ysidro = Jurisdiction.objects.get(code="US-POE-2504")
    assert "Tijuana" in san_ysidro.name and "San Ysidro" in san_ysidro.name
    laredo = Jurisdiction.objects.get(code="US-POE-2304")
    assert set(laredo.borders.values_list("code", flat=True)) == {"MX-TAM", "MX-NLE"}


def test_borders_are_symmetric_and_follow_the_international_line(loaded, db):
    texas = Jurisdiction.objects.get(code="US-TX")
    chihuahua = Jurisdiction.objects.get(code="MX-CHH")
    assert texas.borders.filter(pk=chihuahua.pk).exists()
    assert chihuahua.borders.filter(pk=texas.pk).exists()
    assert set(texas.borders.filter(kind="state").values_list("code", flat=True)) == {
        "MX-CHH",
        "MX-COA",
        "MX-NLE",
        "MX-TAM",
    }
    assert set(Jurisdiction.objects.get(code="MX-BCN").borders.filter(kind="state").values_list("code", flat=True)) == {
        "US-CA",
        "US-AZ",
    }
    assert Jurisdiction.objects.get(code="US").borders.filter(code="MX").exists()
    assert Jurisdiction.objects.get(code="DO").borders.filter(code="HT").exists()
    # No inland state borders anything.
    assert not Jurisdiction.objects.get(code="US-NY").borders.exists()


def test_the_sixteen_functional_areas_of_the_spec_in_both_languages(loaded, db):
    areas = FunctionalArea.objects.all()
    assert set(areas.values_list("slug", flat=True)) == SPEC_FUNCTIONS
    assert all(area.name and area.name_es and area.description and area.description_es for area in areas)


def test_agencies_of_both_countries_with_sources_names_and_hierarchy(loaded, db):
    assert Agency.objects.filter(country__code__in=["US", "MX"]).count() >= 40
    assert Agency.objects.filter(country__code="US").count() >= 20
    assert Agency.objects.filter(country__code="MX").count() >= 20
    file_rows = {row["slug"]: row for row in read_dataset().agencies}
    for agency in Agency.objects.all():
        assert agency.sources, agency.slug
        assert all(url.startswith(("https://", "http://")) for url in agency.sources), agency.slug
        row = file_rows[agency.slug]
        assert (agency.name, agency.name_es) == (row["name"], row["name_es"])
        assert agency.name
        if agency.country_id:
            assert agency.slug.startswith(f"{agency.country.code.lower()}-")
            assert agency.jurisdiction_id, agency.slug
    assert not Agency.objects.filter(country__code="MX", name_es="").exists()
    assert Agency.objects.get(slug="us-atf").parent.slug == "us-doj"
    assert Agency.objects.get(slug="mx-gn").parent.slug == "mx-sedena"
    assert Agency.objects.get(slug="mx-anam").parent.slug == "mx-shcp"
    assert Agency.objects.get(slug="us-atf").website == "https://atf.gov"


def test_national_mandates_cover_the_country_and_state_ones_their_state(loaded, db):
    mandates = Mandate.objects.select_related("agency", "agency__jurisdiction").prefetch_related("jurisdictions")
    assert mandates.filter(role=Mandate.Role.PRIMARY).exists()
    for mandate in mandates:
        codes = {place.code for place in mandate.jurisdictions.all()}
        assert codes, mandate
        agency = mandate.agency
        if agency.jurisdiction and agency.jurisdiction.kind == Jurisdiction.Kind.JUDICIAL_DISTRICT:
            # A U.S. Attorney's Office covers its district and the ports of entry inside it.
            ports = {place.code for place in mandate.jurisdictions.all() if place.kind == "port-of-entry"}
            assert codes - ports == {agency.jurisdiction.code} and ports, (agency.slug, codes)
            assert all(place.parent_id == agency.jurisdiction.parent_id for place in mandate.jurisdictions.all())
        elif agency.level in (Agency.Level.FEDERAL, Agency.Level.STATE) and agency.jurisdiction:
            assert codes == {agency.jurisdiction.code}, (agency.slug, codes)
    assert set(
        Mandate.objects.get(agency__slug="mx-fgr", function__slug="prosecution").jurisdictions.values_list(
            "code", flat=True
        )
    ) == {"MX"}
    assert Mandate.objects.get(agency__slug="us-atf", function__slug="firearms-tracing").role == Mandate.Role.PRIMARY
    assert Mandate.objects.get(agency__slug="mx-son-fgje", function__slug="prosecution").role == "supporting"


def test_the_dataset_counts_match_the_database(loaded, db):
    counts = dataset_counts()
    assert Jurisdiction.objects.filter(kind="port-of-entry").count() == counts["jurisdictions:port-of-entry"]
    assert Agency.objects.filter(country__code="MX").count() == counts["agencies:MX"]
    assert AgencyName.objects.count() == counts["names"]
    assert Mandate.objects.filter(role="primary").count() == counts["mandates:primary"]


# --- search and counterparts on the real data ----------------------------------------------


def test_former_and_alternate_names_find_todays_agency(loaded, db):
    agencies = Agency.objects.all()
    assert agency_search(agencies, "PGR").first().slug == "mx-fgr"
    assert agency_search(agencies, "Procuraduría General de la República").first().slug == "mx-fgr"
    assert agency_search(agencies, "Attorney General's Office of Mexico").first().slug == "mx-fgr"
    assert agency_search(agencies, "CISEN").first().slug == "mx-cni"
    assert agency_search(agencies, "AGA").first().slug == "mx-anam"
    assert "mx-fgr" in {agency.slug for agency in agency_search(agencies, "fiscalia")}
    assert agency_search(agencies, "ATF").first().slug == "us-atf"


def test_atf_counterparts_for_firearms_tracing_include_fgr(loaded, db):
    atf = Agency.objects.get(slug="us-atf")
    tracing = FunctionalArea.objects.get(slug="firearms-tracing")
    counterparts = counterparts_for(agency=atf, function=tracing, with_contacts=False)
    by_slug = {counterpart.agency.slug: counterpart for counterpart in counterparts}
    assert by_slug["mx-fgr"].basis == "national"
    assert not any(slug.startswith("us-") for slug in by_slug)
    fgr = Agency.objects.get(slug="mx-fgr")
    back = counterparts_for(agency=fgr, function=tracing, with_contacts=False)
    assert back[0].agency.slug == "us-atf"


# --- idempotence and edit protection --------------------------------------------------------


def test_a_second_run_changes_nothing(loaded, db):
    before = history_rows()
    report = load_reference_data()
    assert report.total("created") == report.total("updated") == report.total("kept") == 0
    assert report.total("unchanged") == loaded.total("rows")
    assert history_rows() == before


def test_an_admin_edit_is_kept_and_reported_until_forced(loaded, db):
    admin = UserFactory(role="admin-staff", agency=None)
    atf = Agency.objects.get(slug="us-atf")
    original = atf.description
    atf.description = "Edited by the records team."
    atf._history_user = admin
    atf.save()
    fgr_tracing = Mandate.objects.get(agency__slug="mx-fgr", function__slug="firearms-tracing")
    fgr_tracing.role = Mandate.Role.PRIMARY
    fgr_tracing._history_user = admin
    fgr_tracing.save()

    report = load_reference_data()

    atf.refresh_from_db()
    fgr_tracing.refresh_from_db()
    assert atf.description == "Edited by the records team."
    assert fgr_tracing.role == Mandate.Role.PRIMARY
    assert report.total("kept") == 2
    assert report.total("updated") == 0
    shown = {(d.file, d.record, d.field): d for d in report.differences}
    difference = shown[("agencies.csv", "us-atf", "description")]
    assert difference.file_value == original
    assert difference.database_value == "Edited by the records team."
    assert shown[("mandates.csv", "mx-fgr · firearms-tracing", "role")].file_value == "supporting"
    assert atf.history.first().history_user == admin

    forced = load_reference_data(force=True)

    atf.refresh_from_db()
    assert atf.description == original
    assert forced.total("updated") == 2
    assert atf.history.first().history_change_reason == LOADER_REASON
    assert load_reference_data().total("kept") == 0


def test_a_change_without_the_loader_reason_counts_as_an_edit(loaded, db):
    area = FunctionalArea.objects.get(slug="customs")
    area.name_es = "Aduana"
    area.save()  # a shell or script save: no user, no loader reason

    report = load_reference_data()

    area.refresh_from_db()
    assert area.name_es == "Aduana"
    assert [(d.record, d.field) for d in report.differences] == [("customs", "name_es")]


def test_a_border_an_admin_removed_is_not_added_back(loaded, db):
    texas = Jurisdiction.objects.get(code="US-TX")
    coahuila = Jurisdiction.objects.get(code="MX-COA")
    texas._history_user = UserFactory(role="admin-staff", agency=None)
    texas.borders.remove(coahuila)

    report = load_reference_data()

    assert not texas.borders.filter(pk=coahuila.pk).exists()
    assert report.counts["borders.csv"].kept == 1
    assert [(d.file, d.record, d.field) for d in report.differences] == [("borders.csv", "US-TX – MX-COA", "borders")]


def test_a_save_that_changes_nothing_is_not_an_edit(loaded, db, tmp_path):
    FunctionalArea.objects.get(slug="customs").save()  # no user, no loader reason, no change
    data = copy_with(tmp_path, "functional_areas.csv", lambda rows: rows[4].update(name_es="Aduanas (control)"))

    report = load_reference_data(data_dir=data)

    assert report.counts["functional_areas.csv"].updated == 1
    assert report.total("kept") == 0
    assert FunctionalArea.objects.get(slug="customs").name_es == "Aduanas (control)"


def test_the_loader_updates_its_own_records_when_the_files_change(loaded, db, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "functional_areas.csv"
    text = path.read_text(encoding="utf-8").replace("Rastreo de armas de fuego,", "Rastreo de armas,", 1)
    path.write_text(text, encoding="utf-8")

    report = load_reference_data(data_dir=data)

    assert report.counts["functional_areas.csv"].updated == 1
    assert FunctionalArea.objects.get(slug="firearms-tracing").name_es == "Rastreo de armas"


def test_the_command_prints_progress_and_the_summary(loaded, db):
    out = io.StringIO()
    call_command("load_reference_data", stdout=out)
    text = out.getvalue()
    assert "agencies.csv:" in text and "mandates.csv:" in text
    assert "0 created, 0 updated" in text
    quiet = io.StringIO()
    call_command("load_reference_data", verbosity=0, stdout=quiet)
    assert quiet.getvalue() == ""


def test_the_command_warns_about_each_kept_record(loaded, db):
    atf = Agency.objects.get(slug="us-atf")
    atf.website = "https://www.atf.gov"
    atf._history_user = UserFactory(role="admin-staff", agency=None)
    atf.save()
    out = io.StringIO()

    call_command("load_reference_data", verbosity=0, stdout=out)

    assert "Kept (edited by someone else): agencies.csv: us-atf, website" in out.getvalue()
    assert "file has “https://atf.gov”, database has “https://www.atf.gov”" in out.getvalue()


def test_the_command_fails_on_invalid_files_naming_the_row(tmp_path):
    data = copy_with(tmp_path, "agency_names.csv", lambda rows: rows[0].update(language="fr"))

    with pytest.raises(CommandError) as raised:
        call_command("load_reference_data", data_dir=data)

    assert "nothing was written" in str(raised.value)
    assert "agency_names.csv, row 2, column “language”: “fr” is not one of en, es" in str(raised.value)


# --- validation -----------------------------------------------------------------------------


def copy_with(tmp_path, name: str, change) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    with (data / name).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
        header = list(rows[0].keys())
    change(rows)
    with (data / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return data


def test_a_bad_value_is_named_by_file_row_and_column(tmp_path):
    def break_atf(rows):
        rows[1]["level"] = "fed"  # us-atf, line 3 of the file
        rows[2]["sources"] = "S999"

    data = copy_with(tmp_path, "agencies.csv", break_atf)

    with pytest.raises(ReferenceDataError) as raised:
        read_dataset(data)

    message = str(raised.value)
    assert "agencies.csv, row 3, column “level”" in message
    assert "“fed” is not one of federal" in message
    assert "agencies.csv, row 4, column “sources”" in message
    assert len(raised.value.problems) == 2


def test_unknown_references_and_missing_columns_are_reported(tmp_path):
    def break_mandates(rows):
        rows[0]["jurisdictions"] = "US;XX-NOWHERE"
        rows[1]["role"] = "primary"
        rows[1]["note"] = ""

    data = copy_with(tmp_path, "mandates.csv", break_mandates)
    (data / "borders.csv").write_text("a,source\nUS,S66\n", encoding="utf-8")

    with pytest.raises(ReferenceDataError) as raised:
        read_dataset(data)

    message = str(raised.value)
    assert "mandates.csv, row 2, column “jurisdictions”: unknown jurisdiction “XX-NOWHERE”" in message
    assert "mandates.csv, row 3, column “note”" in message
    assert "borders.csv, row 1, column “b”: the column is missing" in message


def test_invalid_files_write_nothing(tmp_path, db):
    def break_code(rows):
        rows[-1]["parent"] = "MX-NOWHERE"
        rows[-1]["name"] = "A district that must not be written"

    data = copy_with(tmp_path, "jurisdictions.csv", break_code)

    with pytest.raises(ReferenceDataError, match=re.escape("jurisdictions.csv, row 111, column “parent”")):
        load_reference_data(data_dir=data)
    assert not Jurisdiction.objects.filter(name="A district that must not be written").exists()
