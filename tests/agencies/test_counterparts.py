"""Counterparts (SPEC §2): links first, then national mandates (primary before supporting),
then mandates over a place across the border; liaison contacts only for signed-in users."""

import datetime

import pytest

from agencies import selectors
from agencies.cache import bump_catalog_version
from agencies.models import Agency, Jurisdiction, Mandate
from tests.factories import (
    AgencyFactory,
    ContactFactory,
    CounterpartLinkFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
    mexico,
    united_states,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    us, mx = united_states(), mexico()
    texas = JurisdictionFactory(code="US-TX", parent=us)
    arizona = JurisdictionFactory(code="US-AZ", parent=us)
    chihuahua = JurisdictionFactory(code="MX-CHH", parent=mx)
    sonora = JurisdictionFactory(code="MX-SON", parent=mx)
    jalisco = JurisdictionFactory(code="MX-JAL", parent=mx)
    juarez = JurisdictionFactory(code="MX-CHH-CJS", kind=Jurisdiction.Kind.PORT_OF_ENTRY, parent=chihuahua)
    texas.borders.add(chihuahua)
    arizona.borders.add(sonora)
    return {p.code: p for p in [us, mx, texas, arizona, chihuahua, sonora, jalisco, juarez]}


@pytest.fixture
def tracing():
    return FunctionalAreaFactory(slug="firearms-tracing")


def mx_agency(slug, **kwargs):
    return AgencyFactory(slug=slug, country=mexico(), **kwargs)


@pytest.fixture
def world(places, tracing, today):
    """ATF (national tracing mandate over the U.S.) and the Mexican agencies around it."""
    customs = FunctionalAreaFactory(slug="customs")
    atf = AgencyFactory(slug="us-atf", name="Bureau of Alcohol, Tobacco, Firearms and Explosives")
    MandateFactory(agency=atf, function=tracing, jurisdictions=[places["US"]])
    agencies = {
        "mx-fgr": mx_agency("mx-fgr", name="Attorney General's Office"),
        "mx-sedena": mx_agency("mx-sedena", name="Secretariat of National Defense"),
        "mx-gn": mx_agency("mx-gn", name="National Guard"),
        "mx-chh-fge": mx_agency("mx-chh-fge", name="Chihuahua State Prosecutor", level=Agency.Level.STATE),
        "mx-son-fge": mx_agency("mx-son-fge", name="Sonora State Prosecutor", level=Agency.Level.STATE),
        "mx-jal-fge": mx_agency("mx-jal-fge", name="Jalisco State Prosecutor", level=Agency.Level.STATE),
        "mx-anam-cjs": mx_agency("mx-anam-cjs", name="Customs at Ciudad Juárez", level=Agency.Level.FEDERAL),
        "mx-closed": mx_agency("mx-closed", name="A Closed Office", active=False),
        "mx-expired": mx_agency("mx-expired", name="An Expired Mandate"),
        "mx-anam": mx_agency("mx-anam", name="Customs Agency"),
        "us-hsi": AgencyFactory(slug="us-hsi", name="Homeland Security Investigations"),
    }
    mandate = MandateFactory
    mandate(agency=agencies["mx-fgr"], function=tracing, jurisdictions=[places["MX"]])
    mandate(agency=agencies["mx-sedena"], function=tracing, role=Mandate.Role.SUPPORTING, jurisdictions=[places["MX"]])
    mandate(agency=agencies["mx-gn"], function=tracing, role=Mandate.Role.SUPPORTING, jurisdictions=[places["MX"]])
    mandate(agency=agencies["mx-chh-fge"], function=tracing, jurisdictions=[places["MX-CHH"]])
    mandate(agency=agencies["mx-son-fge"], function=tracing, jurisdictions=[places["MX-SON"]])
    mandate(agency=agencies["mx-jal-fge"], function=tracing, jurisdictions=[places["MX-JAL"]])
    mandate(agency=agencies["mx-anam-cjs"], function=tracing, jurisdictions=[places["MX-CHH-CJS"]])
    mandate(agency=agencies["mx-closed"], function=tracing, jurisdictions=[places["MX"]])
    mandate(
        agency=agencies["mx-expired"],
        function=tracing,
        jurisdictions=[places["MX"]],
        valid_from=today - datetime.timedelta(days=900),
        valid_to=today - datetime.timedelta(days=1),
    )
    mandate(agency=agencies["mx-anam"], function=customs, jurisdictions=[places["MX"]])
    mandate(agency=agencies["us-hsi"], function=tracing, jurisdictions=[places["US"]])
    # The National Guard is the documented partner (its supporting mandate would rank it after SEDENA otherwise).
    CounterpartLinkFactory(agency_a=agencies["mx-gn"], agency_b=atf, function=tracing)
    return {"us-atf": atf, **agencies}


def ranked(agency, function, **kwargs):
    return [
        (c.agency.slug, c.basis, c.role) for c in selectors.counterparts_for(agency=agency, function=function, **kwargs)
    ]


def test_links_then_national_primary_then_supporting_then_border(world, tracing):
    assert ranked(world["us-atf"], tracing, with_contacts=False) == [
        ("mx-gn", "link", "supporting"),
        ("mx-fgr", "national", "primary"),
        ("mx-sedena", "national", "supporting"),
        # Across the border from Texas and Arizona: federal before state, then by name.
        ("mx-anam-cjs", "border", "primary"),
        ("mx-chh-fge", "border", "primary"),
        ("mx-son-fge", "border", "primary"),
    ]


def test_within_a_basis_the_reachable_come_first_and_the_basis_order_stays(world, tracing):
    """Issue 16: a liaison needs someone to call. Inside each basis, a counterpart with an
    active liaison contact for the function, or an office with a public phone or e-mail,
    ranks before one with neither; the bases keep SPEC's order."""
    from tests.factories import OfficeFactory

    ContactFactory(agency=world["mx-sedena"], functions=[tracing])  # national, supporting
    ContactFactory(agency=world["mx-fgr"], active=False, functions=[tracing])  # inactive: no one to call
    ContactFactory(agency=world["mx-anam-cjs"], functions=[FunctionalAreaFactory(slug="customs-x")])  # other function
    OfficeFactory(agency=world["mx-son-fge"], phone="", email="desk@example.gob.mx")  # border, by name last
    OfficeFactory(agency=world["mx-chh-fge"], phone="", email="")  # an office with no channel
    assert ranked(world["us-atf"], tracing, with_contacts=False) == [
        ("mx-gn", "link", "supporting"),
        ("mx-sedena", "national", "supporting"),  # reachable, before the unreachable lead
        ("mx-fgr", "national", "primary"),
        ("mx-son-fge", "border", "primary"),  # reachable by its office's e-mail
        ("mx-anam-cjs", "border", "primary"),
        ("mx-chh-fge", "border", "primary"),
    ]
    # A new office changes the ranking at once (offices invalidate the cached ranking).
    OfficeFactory(agency=world["mx-chh-fge"], phone="+526145550100", email="")
    border = [slug for slug, basis, _role in ranked(world["us-atf"], tracing, with_contacts=False) if basis == "border"]
    assert border == ["mx-chh-fge", "mx-son-fge", "mx-anam-cjs"]


def test_without_a_mandate_the_agencys_own_jurisdiction_decides_the_border(world, places, tracing):
    texas_police = AgencyFactory(slug="us-tx-dps", level=Agency.Level.STATE, jurisdiction=places["US-TX"])
    result = ranked(texas_police, tracing, with_contacts=False)
    border = [slug for slug, basis, _role in result if basis == "border"]
    assert border == ["mx-anam-cjs", "mx-chh-fge"]  # Chihuahua, not Sonora nor Jalisco
    assert [slug for slug, basis, _role in result if basis == "national"] == ["mx-fgr", "mx-gn", "mx-sedena"]


def test_a_state_mandate_only_reaches_across_its_own_border(world, places, tracing):
    arizona_office = AgencyFactory(slug="us-az-office", level=Agency.Level.STATE)
    MandateFactory(agency=arizona_office, function=tracing, jurisdictions=[places["US-AZ"]])
    border = [slug for slug, basis, _role in ranked(arizona_office, tracing, with_contacts=False) if basis == "border"]
    assert border == ["mx-son-fge"]


def test_the_other_direction_and_no_same_country_agency(world, tracing):
    result = ranked(world["mx-fgr"], tracing, with_contacts=False)
    assert result == [("us-atf", "national", "primary"), ("us-hsi", "national", "primary")]


def test_a_link_counts_even_without_a_mandate_for_the_function(world, tracing):
    partner = mx_agency("mx-uif", name="Financial Intelligence Unit")
    CounterpartLinkFactory(agency_a=world["us-atf"], agency_b=partner, function=tracing)
    result = ranked(world["us-atf"], tracing, with_contacts=False)
    assert result[:2] == [("mx-gn", "link", "supporting"), ("mx-uif", "link", None)]


def test_contacts_are_the_liaisons_for_the_function_active_then_recently_verified(world, tracing, today):
    fgr = world["mx-fgr"]
    old = ContactFactory(agency=fgr, name="Old", verified_on=today - datetime.timedelta(days=400), functions=[tracing])
    fresh = ContactFactory(agency=fgr, name="Fresh", verified_on=today, functions=[tracing])
    gone = ContactFactory(agency=fgr, name="Gone", active=False, verified_on=today, functions=[tracing])
    ContactFactory(agency=fgr, name="Customs person", functions=[FunctionalAreaFactory(slug="customs")])
    ContactFactory(agency=fgr, name="Blocked", functions=[tracing], blocked_at=datetime.datetime.now(datetime.UTC))
    result = {
        c.agency.slug: c
        for c in selectors.counterparts_for(agency=world["us-atf"], function=tracing, with_contacts=True)
    }
    assert [c.pk for c in result["mx-fgr"].contacts] == [fresh.pk, old.pk, gone.pk]
    assert result["mx-sedena"].contacts == []


def test_api_shows_contacts_to_signed_in_users_only(world, tracing, api, liaison_api):
    contact = ContactFactory(agency=world["mx-fgr"], email="enlace@example.gob.mx", functions=[tracing])
    url = "/api/v1/agencies/us-atf/counterparts/"
    anonymous = api.get(url, {"function": "firearms-tracing"})
    assert anonymous.status_code == 200
    assert all(row["contacts"] == [] for row in anonymous.json()["results"])
    assert "enlace@example.gob.mx" not in anonymous.content.decode()
    signed_in = liaison_api.get(url, {"function": "firearms-tracing"}).json()
    fgr = next(row for row in signed_in["results"] if row["agency"]["slug"] == "mx-fgr")
    assert fgr["basis"] == "national"
    assert [c["email"] for c in fgr["contacts"]] == [contact.email]
    assert signed_in["results"][0]["agency"]["slug"] == "mx-gn"
    assert signed_in["count"] == 6


def test_api_needs_a_known_function_and_agency(world, api):
    missing = api.get("/api/v1/agencies/us-atf/counterparts/")
    assert missing.status_code == 400
    assert "function" in missing.json()
    unknown = api.get("/api/v1/agencies/us-atf/counterparts/", {"function": "alchemy"})
    assert unknown.status_code == 400
    assert "alchemy" in unknown.json()["function"][0]
    assert api.get("/api/v1/agencies/us-nobody/counterparts/", {"function": "firearms-tracing"}).status_code == 404


def test_counterparts_cost_the_same_queries_for_5_and_100(world, tracing, liaison_api, count_queries):
    for agency in Agency.objects.filter(country__code="MX"):
        ContactFactory(agency=agency, functions=[tracing])
        ContactFactory(agency=agency, functions=[tracing], active=False)
    url = "/api/v1/agencies/us-atf/counterparts/"

    def cold(limit):
        bump_catalog_version()  # rank again: the cost of a first call
        return count_queries(lambda: liaison_api.get(url, {"function": "firearms-tracing", "limit": limit}))

    small, small_count = cold(5)
    large, large_count = cold(100)
    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) == 6
    assert all(len(row["contacts"]) == 2 for row in large.json()["results"])
    assert small_count == large_count
    _warm, warm_count = count_queries(lambda: liaison_api.get(url, {"function": "firearms-tracing", "limit": 100}))
    assert warm_count < large_count  # the ranking came from the cache


def test_counterparts_cost_the_same_queries_whatever_the_size_of_the_catalog(
    world, places, tracing, liaison_api, count_queries
):
    url = "/api/v1/agencies/us-atf/counterparts/"

    def add_agencies(count):
        for n in range(count):
            state = mx_agency(f"mx-extra-{count}-{n}", name=f"Extra {n}", level=Agency.Level.STATE)
            MandateFactory(agency=state, function=tracing, jurisdictions=[places["MX-CHH" if n % 2 else "MX-SON"]])
            MandateFactory(agency=state, function=tracing, jurisdictions=[places["MX"]], role=Mandate.Role.SUPPORTING)
            ContactFactory(agency=state, functions=[tracing])
            ContactFactory(agency=state, functions=[tracing])

    def call():
        bump_catalog_version()
        return count_queries(lambda: liaison_api.get(url, {"function": "firearms-tracing", "limit": 1000}))

    add_agencies(3)
    small, small_count = call()
    add_agencies(40)
    large, large_count = call()
    assert small.json()["count"] == 9
    assert large.json()["count"] == 49
    assert sum(len(row["contacts"]) for row in large.json()["results"]) == 86
    assert small_count == large_count


def test_a_catalog_write_is_visible_at_once_through_the_cache(world, places, tracing, liaison_api):
    url = "/api/v1/agencies/us-atf/counterparts/"

    def slugs():
        rows = liaison_api.get(url, {"function": "firearms-tracing"}).json()["results"]
        return [(row["agency"]["slug"], row["basis"], [c["name"] for c in row["contacts"]]) for row in rows]

    before = slugs()
    assert slugs() == before  # served from the cache
    jalisco = world["mx-jal-fge"]
    places["MX-JAL"].borders.add(places["US-AZ"])  # a border drawn: Jalisco now reaches across it
    assert ("mx-jal-fge", "border", []) in slugs()
    world["mx-gn"].active = False  # an agency closed
    world["mx-gn"].save()
    assert "mx-gn" not in [slug for slug, _basis, _contacts in slugs()]
    contact = ContactFactory(agency=jalisco, name="New liaison", functions=[tracing])
    assert ("mx-jal-fge", "border", ["New liaison"]) in slugs()
    contact.blocked_at = datetime.datetime.now(datetime.UTC)  # a personal-data block hides it everywhere
    contact.save()
    assert ("mx-jal-fge", "border", []) in slugs()
    Mandate.objects.filter(agency=world["mx-fgr"]).delete()
    assert "mx-fgr" not in [slug for slug, _basis, _contacts in slugs()]
    CounterpartLinkFactory(agency_a=world["us-atf"], agency_b=jalisco, function=tracing)
    assert slugs()[0][:2] == ("mx-jal-fge", "link")


def test_agency_page_reads_the_counterparts_of_every_function_in_a_constant_number_of_queries(
    world, places, tracing, count_queries, client
):
    atf = world["us-atf"]

    def page():
        response, queries = count_queries(lambda: client.get("/agencies/us-atf/"))
        assert response.status_code == 200
        return response.content.decode(), queries

    def add_function(n):
        function = FunctionalAreaFactory(slug=f"extra-{n}", name=f"Extra function {n}")
        MandateFactory(agency=atf, function=function, jurisdictions=[places["US"]])
        partner = mx_agency(f"mx-partner-{n}", name=f"Partner {n}", acronym=f"PARTNER{n}")
        MandateFactory(agency=partner, function=function, jurisdictions=[places["MX"]])

    add_function(0)
    page()  # rank every function once (cached)
    html, few = page()
    assert 'href="/agencies/mx-partner-0/"' in html and 'href="/agencies/mx-fgr/"' in html
    for n in range(1, 5):
        add_function(n)
    page()
    html, many = page()
    assert all(f'href="/agencies/mx-partner-{n}/"' in html for n in range(5))
    assert few == many


def test_cached_pages_keep_readers_languages_and_pages_apart(world, tracing, api, liaison_api):
    world["mx-fgr"].name_es = "Fiscalía General de la República"
    world["mx-fgr"].save()
    ContactFactory(agency=world["mx-fgr"], email="enlace@example.gob.mx", functions=[tracing])
    url = "/api/v1/agencies/us-atf/counterparts/"
    params = {"function": "firearms-tracing"}

    def fgr_row(client, **headers):
        response = client.get(url, params, headers=headers)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        return next(row for row in response.json()["results"] if row["agency"]["slug"] == "mx-fgr")

    for _ in range(2):  # the second round comes from the cache
        assert [c["email"] for c in fgr_row(liaison_api)["contacts"]] == ["enlace@example.gob.mx"]
        assert fgr_row(api)["contacts"] == []
        assert fgr_row(api)["agency"]["display_name"] == "Attorney General's Office"
        assert fgr_row(api, accept_language="es")["agency"]["display_name"] == "Fiscalía General de la República"
    second = api.get(url, {**params, "limit": 2, "offset": 2}).json()
    assert [row["agency"]["slug"] for row in second["results"]] == ["mx-sedena", "mx-anam-cjs"]
    assert "offset=4" in second["next"]
    browsable = api.get(url, params, headers={"accept": "text/html"})
    assert browsable.status_code == 200 and "text/html" in browsable["Content-Type"]
