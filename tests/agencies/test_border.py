"""The border layer (agencies/border.py) on slices of the project's own copies of the real files
(agencies/data/border/): never ../shared, never invented rows. The base reference data is
loaded once for the module; each test loads a slice of a few dozen rows in its savepoint.
One test loads the whole layer."""

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from agencies.border import (
    AGENCIES,
    BORDER_DIR,
    COLUMNS,
    COUNTIES,
    CROSSINGS,
    GENERAL_POLICING,
    MUNICIPALITIES,
    is_placeholder,
    load_border,
)
from agencies.models import Agency, Identifier, Jurisdiction, Mandate
from agencies.reference import LOADER_REASON, load_reference_data
from flags.detectors import mandate_overlap_flags, missing_contact_flags
from flags.models import Flag, FlagKind
from registry.bulk import bulk_writes
from tests.factories import UserFactory

# The places of the slice: FIPS and INEGI keys.
SLICE_COUNTIES = {"04003", "04023", "06087", "48479", "48323"}  # Cochise, Santa Cruz AZ and CA, Webb, Maverick
SLICE_MUNICIPALITIES = {"26039", "26002", "26043", "28027", "05025", "19005"}  # Naco … Anáhuac
SLICE_COUNTY_NAMES = {("AZ", "COCHISE"), ("AZ", "SANTA CRUZ"), ("CA", "SANTA CRUZ"), ("TX", "WEBB"), ("TX", "MAVERICK")}


def rows_of(name: str) -> list[dict]:
    with (BORDER_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def agency_slice() -> list[dict]:
    rows = rows_of(AGENCIES)
    chosen = [row for row in rows if (row["state_abbr"], row["county"]) in SLICE_COUNTY_NAMES]
    chosen += [row for row in rows if row["agency_type"] == "State Police"]
    chosen += [row for row in rows if is_placeholder(row)][:3]
    chosen += [row for row in rows if row["county"] == "NOT SPECIFIED"][:2]
    seen, unique = set(), []
    for row in chosen:
        if row["ori"] not in seen:
            seen.add(row["ori"])
            unique.append(row)
    return unique


def write_slice(directory: Path, agencies: list[dict] | None = None) -> Path:
    directory.mkdir(exist_ok=True)
    tables = {
        COUNTIES: [row for row in rows_of(COUNTIES) if row["statefp"] + row["countyfp"] in SLICE_COUNTIES],
        MUNICIPALITIES: [
            row for row in rows_of(MUNICIPALITIES) if row["cve_ent"] + row["cve_mun"] in SLICE_MUNICIPALITIES
        ],
        CROSSINGS: [
            row
            for row in rows_of(CROSSINGS)
            if row["us_county_fips"] in SLICE_COUNTIES and row["mx_cve_ent"] + row["mx_cve_mun"] in SLICE_MUNICIPALITIES
        ],
        AGENCIES: agencies if agencies is not None else agency_slice(),
    }
    for name, rows in tables.items():
        with (directory / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, COLUMNS[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return directory


def load(directory: Path, **options):
    with transaction.atomic(), bulk_writes():
        return load_border(data_dir=directory, **options)


@pytest.fixture
def border(loaded, db, tmp_path):
    directory = write_slice(tmp_path / "border")
    report, notes = load(directory)
    return directory, report, notes


def agency_by_ori(ori: str) -> Agency:
    return Identifier.objects.get(scheme=Identifier.Scheme.FBI_ORI, value=ori).agency


def test_places_are_counties_and_municipalities_with_their_codes_and_parents(border):
    cochise = Jurisdiction.objects.get(code="US-AZ-04003")
    assert (cochise.kind, cochise.name, cochise.name_es, cochise.parent.code) == (
        "county",
        "Cochise County",
        "Cochise County",
        "US-AZ",
    )
    assert cochise.identifiers.get().value == "04003"
    nuevo_laredo = Jurisdiction.objects.get(identifiers__scheme="inegi-municipality", identifiers__value="28027")
    assert (nuevo_laredo.code, nuevo_laredo.kind, nuevo_laredo.parent.code) == (
        "MX-TAM-28027",
        "municipality",
        "MX-TAM",
    )
    assert cochise.history.first().history_change_reason == LOADER_REASON


def test_crossings_join_county_and_municipality_and_place_the_port_in_its_county(border):
    cochise = Jurisdiction.objects.get(code="US-AZ-04003")
    assert set(cochise.borders.values_list("code", flat=True)) == {"MX-SON-26039", "MX-SON-26002"}
    webb = Jurisdiction.objects.get(code="US-TX-48479")
    assert {"MX-TAM-28027", "MX-NLE-19005"} <= set(webb.borders.values_list("code", flat=True))
    laredo = Jurisdiction.objects.get(code="US-POE-2304")
    assert laredo.parent == webb
    assert laredo.lineage.startswith(webb.lineage)  # still inside Texas
    assert {"MX-TAM", "MX-NLE", "MX-TAM-28027", "MX-NLE-19005"} <= set(laredo.borders.values_list("code", flat=True))


def test_placeholders_are_left_out_and_counted(border):
    _directory, _report, notes = border
    expected = [r["ori"] for r in agency_slice() if is_placeholder(r)]
    assert len(expected) >= 3
    assert sorted(row["ori"] for row in notes.placeholders) == sorted(expected)
    for row in notes.placeholders:
        assert not Identifier.objects.filter(scheme="fbi-ori", value=row["ori"]).exists()
        assert row["agency_name"].endswith(":")


def test_counties_are_matched_within_the_state(border):
    rows = [r for r in agency_slice() if not is_placeholder(r)]
    arizona = [r for r in rows if (r["state_abbr"], r["county"]) == ("AZ", "SANTA CRUZ")]
    california = [r for r in rows if (r["state_abbr"], r["county"]) == ("CA", "SANTA CRUZ")]
    assert arizona and california
    for row in arizona:
        assert agency_by_ori(row["ori"]).jurisdiction.code in ("US-AZ-04023", "US-AZ")
    for row in california:
        assert agency_by_ori(row["ori"]).jurisdiction.code in ("US-CA-06087", "US-CA")
    sheriff = agency_by_ori(next(r["ori"] for r in arizona if r["agency_type"] == "County"))
    assert sheriff.level == Agency.Level.COUNTY
    assert sheriff.mandates.get().jurisdictions.get().code == "US-AZ-04023"


def test_rows_matching_no_county_are_reported_not_guessed(border):
    _directory, _report, notes = border
    unmatched = {row["ori"] for row, _unknown in notes.unmatched}
    rows = [r for r in agency_slice() if not is_placeholder(r)]
    # The slice holds five counties: Sacramento's and the FBI's "NOT SPECIFIED" match none of them.
    assert unmatched == {r["ori"] for r in rows if (r["state_abbr"], r["county"]) not in SLICE_COUNTY_NAMES}
    assert {"NOT SPECIFIED", "UNMAPPED COUNTY"} <= {unknown for _row, unknown in notes.unmatched}
    for row, _unknown in notes.unmatched:
        agency = agency_by_ori(row["ori"])
        assert agency.jurisdiction.kind == Jurisdiction.Kind.STATE
        if agency.level != Agency.Level.STATE:
            assert not agency.mandates.exists()  # no place guessed


def test_every_agency_records_its_source_level_and_ori(border):
    rows = [r for r in agency_slice() if not is_placeholder(r)]
    for row in rows:
        agency = agency_by_ori(row["ori"])
        assert agency.country.code == "US"
        assert agency.sources and agency.sources[0].startswith("https://cde.ucr.cjis.gov/")
        assert agency.name == " ".join(row["agency_name"].split())
    laredo = agency_by_ori(next(r["ori"] for r in rows if r["agency_name"] == "Laredo Police Department"))
    assert (laredo.level, laredo.jurisdiction.code) == ("municipal", "US-TX-48479")
    dps = agency_by_ori("AZCCHPX00")  # Arizona Department of Public Safety, county "NOT SPECIFIED"
    assert (dps.level, dps.jurisdiction.code) == ("state", "US-AZ")


def test_identifiers_are_unique_per_scheme_and_belong_to_one_record(border):
    from django.db import IntegrityError

    cochise = Jurisdiction.objects.get(code="US-AZ-04003")
    with pytest.raises(IntegrityError), transaction.atomic():
        Identifier.objects.create(scheme="us-fips-county", value="04003", jurisdiction=cochise)
    with pytest.raises(IntegrityError), transaction.atomic():
        Identifier.objects.create(scheme="us-fips-county", value="99999")
    # The same value in another scheme is another identifier.
    Identifier.objects.create(scheme="inegi-municipality", value="04003", jurisdiction=cochise)


def test_a_second_run_writes_nothing(border):
    directory, first, _notes = border
    before = {model: model.history.count() for model in (Jurisdiction, Agency, Identifier, Mandate)}
    report, _notes = load(directory)
    assert report.total("created") == report.total("updated") == report.total("kept") == 0
    assert report.total("unchanged") == first.total("rows")
    assert {model: model.history.count() for model in before} == before
    # Nor does the base loader move the ports back out of their county.
    assert load_reference_data().total("updated") == 0


def test_an_admin_edit_is_kept_and_reported(border):
    directory, _report, _notes = border
    laredo_row = next(r for r in agency_slice() if r["agency_name"] == "Laredo Police Department")
    laredo = agency_by_ori(laredo_row["ori"])
    laredo.name = "Laredo Police Department (edited)"
    laredo._history_user = UserFactory(role="admin-staff", agency=None)
    laredo.save()

    report, _notes = load(directory)

    laredo.refresh_from_db()
    assert laredo.name == "Laredo Police Department (edited)"
    assert report.counts[AGENCIES].kept == 1
    assert [(d.record, d.field) for d in report.differences] == [(laredo.slug, "name")]
    load(directory, force=True)
    laredo.refresh_from_db()
    assert laredo.name == "Laredo Police Department"


def test_concurrent_local_policing_raises_no_overlap_or_missing_contact_flag(border):
    mandates = Mandate.objects.filter(function__slug=GENERAL_POLICING)
    assert mandates.count() >= 3 and set(mandates.values_list("role", flat=True)) == {"concurrent"}
    webb_holders = set(mandates.filter(jurisdictions__code="US-TX-48479").values_list("agency__level", flat=True))
    assert {"municipal", "county"} <= webb_holders
    assert mandates.filter(jurisdictions__code="US-AZ", agency__level="state").exists()
    general = mandates.first().function_id
    assert mandate_overlap_flags({general}) == []
    assert missing_contact_flags(set(mandates.values_list("agency_id", flat=True))) == []
    assert not Flag.objects.filter(kind=FlagKind.MANDATE_OVERLAP, function_id=general).exists()


def test_the_same_places_as_primary_would_flood_the_queue(border):
    """What the concurrent role avoids: the same mandates as leads raise overlaps in every county."""
    mandates = Mandate.objects.filter(function__slug=GENERAL_POLICING)
    mandates.update(role=Mandate.Role.PRIMARY)
    assert len(mandate_overlap_flags({mandates.first().function_id})) > 10


@pytest.mark.parametrize(
    ("query", "code"),
    [("cochise", "US-AZ-04003"), ("nuevo laredo", "MX-TAM-28027"), ("Piedras Negras", "MX-COA-05025")],
)
def test_places_are_found_by_the_api_search_accent_blind(border, api, query, code):
    response = api.get("/api/v1/jurisdictions/", {"q": query})
    assert response.status_code == 200
    assert code in [item["code"] for item in response.json()["results"]]


def test_the_search_folds_accents(border, api):
    response = api.get("/api/v1/jurisdictions/", {"q": "ANAHUAC"})
    assert "MX-NLE-19005" in [item["code"] for item in response.json()["results"]]


def test_the_whole_layer_loads_in_one_transaction_with_progress(loaded, db, capsys):
    """The full files, once: counts of the closing note, and the command's progress lines."""
    call_command("load_reference_data", "--border")
    out = capsys.readouterr().out
    assert "[border 6/6]" in out and "464 placeholder rows left out" in out
    assert Jurisdiction.objects.filter(kind="county").count() == 360
    assert Jurisdiction.objects.filter(kind="municipality", code__startswith="MX-").count() == 2458
    assert Identifier.objects.filter(scheme="fbi-ori").count() == 2592 - 464
    assert not Flag.objects.filter(kind=FlagKind.MANDATE_OVERLAP, agencies__level__in=["municipal", "county"]).exists()


def test_the_search_page_finds_places_accent_blind(border, client):
    html = client.get("/search/", {"q": "piedras negras"}).content.decode()
    assert 'href="/jurisdictions/MX-COA-05025/"' in html
    partial = client.get("/search/", {"q": "COCHISE", "partial": "1"}).content.decode()
    assert 'href="/jurisdictions/US-AZ-04003/"' in partial


def test_a_local_body_finds_the_mexican_state_bodies_across_its_crossing(border, api):
    """Laredo's police holds no criminal-investigation mandate: its own place, Webb County,
    borders Nuevo Laredo (Tamaulipas) and Anáhuac (Nuevo León) through the crossings, so the
    two states' attorneys general are its border counterparts, and no Sonoran body is."""
    laredo = agency_by_ori(next(r["ori"] for r in agency_slice() if r["agency_name"] == "Laredo Police Department"))
    response = api.get(f"/api/v1/agencies/{laredo.slug}/counterparts/", {"function": "criminal-investigation"})
    results = response.json()["results"]
    border_bodies = [item["agency"]["slug"] for item in results if item["basis"] == "border"]
    assert {"mx-tam-fgj", "mx-nle-fgj"} <= set(border_bodies)
    assert not any(slug.startswith("mx-son") for slug in border_bodies)
    # A local body's counterparts across its own stretch of the line come first, the national ones after.
    bases = [item["basis"] for item in results]
    assert bases[: len(border_bodies)] == ["border"] * len(border_bodies)
    assert "national" in bases and results[len(border_bodies)]["agency"]["slug"] == "mx-fgr"


def test_a_cochise_county_body_finds_the_sonoran_ones_only(border, api):
    sheriff = Agency.objects.get(identifiers__scheme="fbi-ori", level="county", jurisdiction__code="US-AZ-04003")
    response = api.get(f"/api/v1/agencies/{sheriff.slug}/counterparts/", {"function": "criminal-investigation"})
    border_bodies = {item["agency"]["slug"] for item in response.json()["results"] if item["basis"] == "border"}
    assert border_bodies == {"mx-son-fgje"}
    assert response.json()["results"][0]["agency"]["slug"] == "mx-son-fgje"


def test_the_agency_and_place_pages_show_the_identifiers_and_the_place(border, client):
    sheriff = Agency.objects.get(identifiers__scheme="fbi-ori", level="county", jurisdiction__code="US-AZ-04003")
    html = client.get(f"/agencies/{sheriff.slug}/").content.decode()
    assert sheriff.identifiers.get().value in html
    assert 'href="/jurisdictions/US-AZ-04003/"' in html
    page = client.get("/jurisdictions/US-AZ-04003/").content.decode()
    assert "<code>04003</code>" in page
    assert f'href="/agencies/{sheriff.slug}/"' in page  # its general-policing mandate, among the agencies there


def test_the_api_lists_identifiers_by_scheme_and_value(border, api):
    response = api.get("/api/v1/identifiers/", {"scheme": "us-fips-county", "value": "04003"})
    assert [(i["jurisdiction"], i["agency"]) for i in response.json()["results"]] == [("US-AZ-04003", None)]
    laredo = next(r for r in agency_slice() if r["agency_name"] == "Laredo Police Department")
    found = api.get("/api/v1/identifiers/", {"q": laredo["ori"].lower()}).json()["results"]
    assert [i["agency"] for i in found] == [agency_by_ori(laredo["ori"]).slug]


def test_popolo_organizations_carry_the_ori(border, api):
    laredo = next(r for r in agency_slice() if r["agency_name"] == "Laredo Police Department")
    organizations = {o["id"]: o for o in api.get("/api/v1/open-data/popolo.json").json()["organizations"]}
    identifiers = organizations[agency_by_ori(laredo["ori"]).slug]["identifiers"]
    assert {"scheme": "fbi-ori", "identifier": laredo["ori"]} in identifiers


def laredo_police() -> Agency:
    return agency_by_ori(next(r["ori"] for r in agency_slice() if r["agency_name"] == "Laredo Police Department"))


def test_each_counterpart_says_whether_it_can_be_reached_and_whom_to_ask_if_not(border, api):
    """Issue 14.6: the finder never ends at a name with nobody to call. With FGR's liaison for
    criminal investigation on file, Tamaulipas's attorney general (no contact, no office with a
    public channel) refers the Laredo police to FGR; FGR itself is reachable."""
    from tests.factories import ContactFactory

    criminal = Mandate.objects.filter(function__slug="criminal-investigation").first().function
    fgr = Agency.objects.get(slug="mx-fgr")
    ContactFactory(agency=fgr, functions=[criminal])
    results = api.get(f"/api/v1/agencies/{laredo_police().slug}/counterparts/", {"function": "criminal-investigation"})
    by_slug = {item["agency"]["slug"]: item for item in results.json()["results"]}
    assert by_slug["mx-fgr"]["reachable"] is True and by_slug["mx-fgr"]["referral"] is None
    tamaulipas = by_slug["mx-tam-fgj"]
    assert tamaulipas["reachable"] is False
    assert tamaulipas["referral"]["slug"] == "mx-fgr"
    # The reachable rank first within a basis: FGR leads the national ones now.
    national = [item["agency"]["slug"] for item in results.json()["results"] if item["basis"] == "national"]
    assert national[0] == "mx-fgr"


def test_with_no_one_reachable_in_the_country_the_referral_is_null_and_says_so(border, api):
    results = api.get(f"/api/v1/agencies/{laredo_police().slug}/counterparts/", {"function": "criminal-investigation"})
    items = results.json()["results"]
    reachable = {item["agency"]["country"] for item in items if item["reachable"]}
    for item in items:
        if not item["reachable"] and item["agency"]["country"] not in reachable:
            assert item["referral"] is None
    assert any(item["referral"] is None and not item["reachable"] for item in items)


def test_the_finder_page_names_whom_to_ask(border, client, liaison_user):
    from tests.factories import ContactFactory

    criminal = Mandate.objects.filter(function__slug="criminal-investigation").first().function
    ContactFactory(agency=Agency.objects.get(slug="mx-fgr"), functions=[criminal])
    client.force_login(liaison_user)
    path = f"/counterparts/?agency={laredo_police().slug}&function=criminal-investigation"
    html = client.get(path).content.decode()
    assert "No liaison contact recorded for this function, and no office with a public phone or e-mail." in html
    assert '<a href="/agencies/mx-fgr/">Ask FGR\'s liaison.</a>' in html
    spanish = client.get(path, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Pregunte al enlace de FGR." in spanish
