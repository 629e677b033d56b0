"""The counterpart ranking rules (README, Decisions: Counterparts) on the real reference data,
loaded once for the module by load_reference_data and rolled back at its end."""

import pytest

from agencies.models import Agency, FunctionalArea, Jurisdiction, Mandate, Office
from agencies.reference import LOADER_REASON, load_reference_data
from agencies.selectors import counterparts_for
from tests.factories import UserFactory


def ranked(slug: str, function: str) -> list[tuple[str, str, str | None]]:
    agency = Agency.objects.get(slug=slug)
    area = FunctionalArea.objects.get(slug=function)
    found = counterparts_for(agency=agency, function=area, with_contacts=False)
    return [(c.agency.slug, c.basis, c.role) for c in found]


P, S = Mandate.Role.PRIMARY, Mandate.Role.SUPPORTING

# Twelve questions a liaison asks, with the first three counterparts and why each is there.
QUESTIONS = [
    (
        "us-atf",
        "firearms-tracing",
        [
            ("mx-sedena-registro-federal-armas", "national", S),  # keeps the Registro Federal de Armas; "D…" < "O…"
            ("mx-fgr", "national", S),  # submits Mexico's trace requests; no Mexican tracing lead by statute
            ("int-interpol", "international", S),  # iARMS; an intergovernmental body comes after every national one
        ],
    ),
    (
        "mx-fgr",
        "prosecution",
        [
            ("us-doj", "national", P),  # the U.S. prosecution lead
            ("us-ocdetf", "national", S),  # DOJ task forces that prosecute trafficking organizations
            ("us-usao-az", "border", S),  # a U.S. Attorney over ports facing Sonora; OPDAT (training) is not here
        ],
    ),
    (
        "us-cbp",
        "border-interdiction",
        [
            ("mx-anam", "national", S),  # customs at the ports; no Mexican interdiction lead by statute
            ("mx-gn", "national", S),  # National Guard
            ("mx-sedena", "national", S),  # the Army along the line
        ],
    ),
    (
        "mx-anam",
        "customs",
        [
            ("us-cbp", "national", P),  # the U.S. customs lead
            ("us-dhs", "national", S),  # CBP's department
        ],
    ),
    (
        "mx-uif",
        "financial-intelligence",
        [
            ("us-fincen", "national", P),  # the U.S. financial intelligence unit
            ("us-treasury", "national", S),  # FinCEN's department
        ],
    ),
    (
        "mx-sedena",
        "dealer-licensing-compliance",
        [
            ("us-atf", "national", P),  # licenses and inspects U.S. dealers
            ("us-fbi", "national", S),  # NICS background checks of dealer sales
            ("us-ca-doj", "border", S),  # California's dealer licensing; California borders Baja California
        ],
    ),
    (
        "mx-son-fgje",
        "criminal-investigation",
        [
            ("us-atf", "national", P),  # lead for firearms investigations
            ("us-dea", "national", S),  # supporting national bodies by name: Drug Enforcement Administration
            ("us-fbi", "national", S),  # Federal Bureau of Investigation
        ],
    ),
    (
        "us-hsi",
        "criminal-investigation",
        [
            ("mx-fgr", "national", P),  # investigation of federal crimes is led by the federal Public Prosecutor
            ("mx-aic", "national", S),  # FGR's Criminal Investigation Agency ("Criminal…" first by name)
            ("mx-gn", "national", S),  # National Guard
        ],
    ),
    (
        "mx-fgr",
        "firearms-tracing",
        [
            ("us-atf", "national", P),  # the U.S. tracing lead
            ("us-atf-ntc", "national", S),  # the National Tracing Center runs eTrace
            ("int-interpol", "international", S),  # after the national ones, never "border"
        ],
    ),
    (
        "us-usao-wdtx",
        "prosecution",
        [
            ("mx-fgr", "national", P),  # the Mexican prosecution lead (LFAFE offences are federal)
            ("mx-procuraduria-fiscal", "national", S),  # files SHCP's complaint for smuggling (by name: "Federal…")
            ("mx-femdo", "national", S),  # organized crime prosecutor
        ],
    ),
    (
        "mx-chh-fge",
        "prosecution",
        [
            ("us-doj", "national", P),  # the U.S. prosecution lead
            ("us-ocdetf", "national", S),  # DOJ task forces
            ("us-usao-nm", "border", S),  # Santa Teresa and Columbus face Chihuahua; then WDTX (El Paso, Presidio)
        ],
    ),
    (
        "mx-gn",
        "border-interdiction",
        [
            ("us-cbp", "national", P),  # the U.S. interdiction lead
            ("us-dhs", "national", S),  # CBP's department
            ("us-tx-dps", "border", S),  # Texas borders Chihuahua, Coahuila, Nuevo León and Tamaulipas
        ],
    ),
]


@pytest.mark.parametrize(("agency", "function", "first"), QUESTIONS, ids=[f"{a}/{f}" for a, f, _ in QUESTIONS])
def test_the_first_three_counterparts_of_twelve_real_questions(loaded, db, agency, function, first):
    assert ranked(agency, function)[:3] == first


def test_binational_and_international_bodies_are_never_border_counterparts(loaded, db):
    stateless = set(Agency.objects.filter(country__isnull=True).values_list("slug", flat=True))
    seen_international = 0
    for mandate in Mandate.objects.select_related("agency", "function").filter(agency__country__isnull=False):
        rows = ranked(mandate.agency.slug, mandate.function.slug)
        for slug, basis, _role in rows:
            assert (slug in stateless) == (basis == "international"), (mandate, slug, basis)
        bases = [basis for _slug, basis, _role in rows]
        # A tier of their own, after every national and border counterpart.
        assert bases == sorted(bases, key=["link", "national", "border", "international"].index), mandate
        seen_international += bases.count("international")
    assert seen_international > 0


def test_us_attorneys_are_matched_by_their_real_district(loaded, db):
    chihuahua = {slug for slug, basis, _ in ranked("mx-chh-fge", "prosecution") if basis == "border"}
    assert chihuahua == {"us-usao-wdtx", "us-usao-nm"}  # El Paso, Ysleta, Tornillo, Presidio; Santa Teresa, Columbus
    tamaulipas = {slug for slug, basis, _ in ranked("mx-tam-fgj", "prosecution") if basis == "border"}
    assert tamaulipas == {"us-usao-sdtx"}  # Laredo, Hidalgo, Brownsville, Progreso, Roma, Rio Grande City
    coahuila = {slug for slug, basis, _ in ranked("mx-coa-fge", "prosecution") if basis == "border"}
    assert coahuila == {"us-usao-wdtx"}  # Del Rio and Eagle Pass
    nuevo_leon = {slug for slug, basis, _ in ranked("mx-nle-fgj", "prosecution") if basis == "border"}
    assert nuevo_leon == {"us-usao-sdtx"}  # Laredo's Colombia Solidarity Bridge
    baja = {slug for slug, basis, _ in ranked("mx-bc-fge", "prosecution") if basis == "border"}
    assert baja == {"us-usao-sdca", "us-ca-doj"}
    ports = {
        "us-usao-wdtx": {"2402", "2401", "2404", "2403", "2302", "2303"},
        "us-usao-sdtx": {"2304", "2305", "2301", "2309", "2310", "2307"},
    }
    for slug, expected in ports.items():
        mandate = Mandate.objects.get(agency__slug=slug, function__slug="prosecution")
        codes = set(mandate.jurisdictions.filter(kind="port-of-entry").values_list("code", flat=True))
        assert codes == {f"US-POE-{code}" for code in expected}


def test_a_training_body_never_ranks_above_a_prosecutor_for_prosecution(loaded, db):
    trainers = set(Mandate.objects.filter(function__slug="capacity-building").values_list("agency__slug", flat=True))
    for asker in ["mx-fgr", "mx-chh-fge", "mx-son-fgje"]:
        slugs = [slug for slug, _basis, _role in ranked(asker, "prosecution")]
        first_prosecutor = min(slugs.index(slug) for slug in slugs if slug.startswith("us-usao-"))
        assert not trainers & set(slugs[:first_prosecutor]), asker
    assert "us-opdat" in trainers and "us-opdat" not in {s for s, _b, _r in ranked("mx-fgr", "prosecution")}


def test_a_primary_mandate_ranks_above_a_supporting_one_within_a_basis(loaded, db):
    for mandate in Mandate.objects.select_related("agency", "function").filter(agency__country__isnull=False):
        rows = ranked(mandate.agency.slug, mandate.function.slug)
        for basis in {basis for _slug, basis, _role in rows}:
            roles = [role for _slug, b, role in rows if b == basis]
            assert roles == sorted(roles, key=[P, S, None].index), (mandate, basis)


# --- offices (agencies/data/offices.csv) ----------------------------------------------------


def test_offices_are_loaded_in_their_jurisdiction_with_only_sourced_channels(loaded, db):
    offices = Office.objects.select_related("agency", "jurisdiction")
    assert loaded.counts["offices.csv"].created == offices.count() == 19
    assert offices.exclude(phone="").count() == 3
    assert all(office.source.startswith("https://") and office.jurisdiction for office in offices)
    tijuana = offices.get(name="U.S. Consulate General Tijuana")
    assert (tijuana.agency.slug, tijuana.jurisdiction.code, str(tijuana.phone)) == (
        "us-embassy-mexico",
        "MX-BCN",
        "+526649772000",
    )
    delegations = offices.filter(agency__slug="mx-fgr")
    assert set(delegations.values_list("jurisdiction__code", flat=True)) == {
        "MX-BCN",
        "MX-SON",
        "MX-CHH",
        "MX-COA",
        "MX-NLE",
        "MX-TAM",
    }
    assert set(offices.filter(agency__slug="us-cbp").values_list("city", flat=True)) == {
        "San Diego",
        "Tucson",
        "El Paso",
        "Laredo",
    }
    assert offices.get(name__startswith="ATF Mexico Country Office").jurisdiction.code == "MX-CMX"
    assert Jurisdiction.objects.get(code="MX-CHH").offices.count() == 3  # consulate, its ATF section, FGR


def test_the_api_lists_the_offices(loaded, db, api):
    response = api.get("/api/v1/offices/", {"agency": "us-embassy-mexico"})
    assert response.status_code == 200
    assert response.json()["count"] == 7


def test_an_admin_edit_of_an_office_is_kept_and_a_second_load_changes_nothing(loaded, db):
    office = Office.objects.get(name="U.S. Consulate General Nogales")
    office.phone = "+526313118150"
    office._history_user = UserFactory(role="admin-staff", agency=None)
    office.save()

    report = load_reference_data()

    office.refresh_from_db()
    assert str(office.phone) == "+526313118150"
    assert report.counts["offices.csv"].kept == 1
    nogales = "us-embassy-mexico “U.S. Consulate General Nogales”"
    assert [(d.record, d.field) for d in report.differences] == [(nogales, "phone")]
    assert report.counts["offices.csv"].unchanged == 18
    assert office.history.first().history_change_reason != LOADER_REASON


# --- the counterpart finder's hint and the coverage matrix, on the real data ----------------


def finder_notices(client, agency: str, function: str) -> dict[str, str]:
    """Each counterpart's notice text on the finder page, by its agency page link."""
    import re

    html = client.get("/counterparts/", {"agency": agency, "function": function}).content.decode()
    items = re.findall(r'<li class="panel counterpart">(.*?)</li>', html, flags=re.S)
    notices = {}
    for item in items:
        slug = re.search(r'href="/agencies/([^/]+)/"', item).group(1)
        notice = re.search(r'<p class="notice warning">(.*?)</p>', item, flags=re.S)
        notices[slug] = re.sub(r"<[^>]+>", "", notice.group(1)).strip() if notice else ""
    return notices


def test_the_finder_suggests_offices_only_where_one_has_a_public_channel(loaded, db, liaison_user):
    from django.test import Client

    from tests.factories import CounterpartLinkFactory

    client = Client()
    client.force_login(liaison_user)
    diplomacy = FunctionalArea.objects.get(slug="diplomacy-policy")
    embassy = Agency.objects.get(slug="us-embassy-mexico")
    CounterpartLinkFactory(agency_a=Agency.objects.get(slug="mx-sre"), agency_b=embassy, function=diplomacy)
    notices = finder_notices(client, "mx-sre", "diplomacy-policy")
    # The Embassy's consulates in Tijuana, Ciudad Juárez and Monterrey have a public phone.
    assert notices["us-embassy-mexico"].endswith("Try the agency's offices.")
    # The State Department has no office on file: the page says so and points to its site.
    assert "Try the agency's offices" not in notices["us-dos"]
    assert "no office with a public phone or e-mail" in notices["us-dos"]
    assert "https://state.gov" in notices["us-dos"]
    # FGR's delegations are recorded without a phone: no hint to try them.
    fgr = finder_notices(client, "us-atf", "firearms-tracing")["mx-fgr"]
    assert "Try the agency's offices" not in fgr and "https://fgr.org.mx" in fgr


def test_the_coverage_matrix_counts_each_country_s_own_bodies_in_its_columns(loaded, db):
    from agencies.selectors import coverage_matrix

    matrix = coverage_matrix()
    index = {column.jurisdiction.code: n for n, column in enumerate(matrix.columns)}
    country_of = dict(Agency.objects.values_list("slug", "country__code"))
    mexico = {row.function.slug: row.cells[index["MX"]] for row in matrix.rows}
    for code, position in index.items():
        country = code[:2]
        for row in matrix.rows:
            cell = row.cells[position]
            assert all(country_of[a.slug] == country for a in cell.shown_agencies), (code, row.function.slug)
    assert [a.slug for a in mexico["capacity-building"].shown_agencies] == ["mx-sesnsp"]
    elsewhere = {holder.agency.slug for holder in matrix.elsewhere}
    assert {"int-interpol", "int-oas", "int-cifta", "int-unodc", "bi-hlsd"} <= elsewhere
    assert {"us-atf-mexico", "us-embassy-mexico"} <= elsewhere
    assert not any(slug.startswith("mx-") for slug in elsewhere)
