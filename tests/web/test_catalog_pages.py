"""The public catalog pages: status, language, search, personal data, query counts."""

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Mandate
from agencies.selectors import (
    JURISDICTION_CHILDREN_SHOWN,
    JURISDICTION_GROUP_SHOWN,
    JURISDICTION_OFFICES_SHOWN,
    MANDATES_PER_PAGE,
)
from tests.factories import AgencyFactory, FunctionalAreaFactory, JurisdictionFactory, MandateFactory, OfficeFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/search/?q=atf",
    "/agencies/us-atf/",
    "/counterparts/",
    "/counterparts/?agency=us-atf&function=firearms-tracing",
    "/jurisdictions/US-TX/",
    "/jurisdictions/MX/?function=firearms-tracing",
    "/coverage/",
    "/open-data/",
    "/metrics/",
    "/accounts/login/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_answer_anonymous_users(catalog, anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert 'href="#content"' in html  # skip link
    assert 'action="/i18n/setlang/"' in html or (path == "/accounts/login/" and "setlang" in html)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_never_show_contact_data_to_anonymous_users(catalog, anonymous, path):
    html = anonymous.get(path).content.decode()
    for contact in (catalog.fgr_contact, catalog.atf_contact):
        assert contact.email not in html
        assert str(contact.phone) not in html
        assert contact.name not in html


def test_search_for_a_contact_shows_nothing_to_anonymous_users(catalog, anonymous):
    html = anonymous.get("/search/?q=lucia").content.decode()
    assert "Lucía" not in html and "lucia.hernandez" not in html
    html = anonymous.get("/search/?q=lucia&partial=1").content.decode()
    assert "Lucía" not in html


def test_signed_in_officials_see_contacts(catalog, liaison_us):
    client = signed_in(liaison_us)
    html = client.get("/agencies/mx-fgr/").content.decode()
    assert "lucia.hernandez@fgr.example.mx" in html
    assert 'href="tel:+52-55-5346-1000"' in html  # RFC 3966, written +52 55 5346 1000
    assert "Lucía" in client.get("/search/?q=lucia&partial=1").content.decode()


def test_spanish_cookie_renders_spanish_names(catalog, spanish):
    response = spanish.get("/agencies/mx-fgr/")
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "<h1>FGR – Fiscalía General de la República</h1>" in html
    coverage = spanish.get("/coverage/").content.decode()
    assert "Rastreo de armas" in coverage
    assert "Firearms tracing" not in coverage


def test_accept_language_selects_spanish(catalog, anonymous):
    html = anonymous.get("/jurisdictions/MX/", headers={"accept-language": "es"}).content.decode()
    assert '<html lang="es">' in html and "México" in html


def test_language_switch_sets_the_cookie_and_returns(catalog, anonymous):
    response = anonymous.post("/i18n/setlang/", {"language": "es", "next": "/coverage/"})
    assert response.status_code == 302 and response["Location"] == "/coverage/"
    assert response.cookies["django_language"].value == "es"
    assert '<html lang="es">' in anonymous.get("/coverage/").content.decode()


def test_a_signed_in_users_language_choice_follows_them_to_another_browser(catalog, liaison_us):
    from django.test import Client

    assert liaison_us.language == "en"
    first = signed_in(liaison_us)
    response = first.post("/i18n/setlang/", {"language": "es", "next": "/coverage/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "es"
    liaison_us.refresh_from_db()
    assert liaison_us.language == "es"
    # A fresh browser (no language cookie, English Accept-Language) gets Spanish after sign-in.
    second = Client(headers={"accept-language": "en"})
    second.post("/accounts/login/", {"username": liaison_us.username, "password": "correct-horse-battery-staple"})
    assert '<html lang="es">' in second.get("/coverage/").content.decode()


def test_an_unknown_language_changes_neither_cookie_nor_account(catalog, liaison_us):
    client = signed_in(liaison_us)
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/coverage/"})
    assert response.status_code == 302 and "django_language" not in response.cookies
    liaison_us.refresh_from_db()
    assert liaison_us.language == "en"


def test_search_by_former_acronym_finds_fgr(catalog, anonymous):
    html = anonymous.get("/search/?q=PGR").content.decode()
    assert 'href="/agencies/mx-fgr/"' in html
    partial = anonymous.get("/search/?q=pgr&partial=1")
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and 'href="/agencies/mx-fgr/"' in body


def test_search_is_accent_insensitive_and_finds_offices(catalog, anonymous):
    assert 'href="/agencies/mx-fgr/"' in anonymous.get("/search/?q=fiscalia").content.decode()
    assert "ATF Mexico City Country Office" in anonymous.get("/search/?q=country office").content.decode()


def test_agency_page_shows_names_hierarchy_mandates_counterparts_and_sources(catalog, anonymous):
    html = anonymous.get("/agencies/us-atf/").content.decode()
    assert "Oficina de Alcohol, Tabaco, Armas de Fuego y Explosivos" in html
    assert 'href="/agencies/us-doj/"' in html  # parent
    assert "Gun Control Act of 1968" in html
    assert 'href="/agencies/mx-fgr/"' in html  # counterpart for tracing
    assert "https://www.atf.gov/" in html
    assert "signed-in officials only" in html


def test_unknown_agency_is_404(catalog, anonymous):
    assert anonymous.get("/agencies/us-nothing/").status_code == 404


def test_counterpart_finder_ranks_and_lists_contacts(catalog, liaison_us):
    html = signed_in(liaison_us).get("/counterparts/?agency=us-atf&function=firearms-tracing").content.decode()
    fgr_at, sedena_at = html.index('href="/agencies/mx-fgr/"'), html.index('href="/agencies/mx-sedena/"')
    assert fgr_at < sedena_at  # the documented link ranks first
    assert 'href="mailto:lucia.hernandez@fgr.example.mx"' in html
    assert f'href="/contacts/{catalog.fgr_contact.pk}/vcard/"' in html
    assert "America/Mexico_City" in html
    assert 'href="/counterparts/sheet/?agency=us-atf&amp;function=firearms-tracing"' in html


def test_counterpart_finder_pages_a_national_scale_ranking_at_a_constant_cost(catalog, liaison_us):
    from agencies.models import Agency, Mandate

    path = "/counterparts/?agency=us-atf&function=firearms-tracing"
    client = signed_in(liaison_us)

    def add_national_counterparts(start: int, count: int) -> None:
        for n in range(start, start + count):
            names = {"name": f"Many {n}", "name_es": f"Muchas {n}"}
            agency = AgencyFactory(slug=f"mx-many-{n:03d}", acronym=f"MM{n:03d}", country=catalog.mx, **names)
            MandateFactory(
                agency=agency, function=catalog.tracing, role=Mandate.Role.SUPPORTING, jurisdictions=[catalog.mx]
            )

    client.get(path)  # the session's first request writes its activity stamp
    add_national_counterparts(0, 30)  # a catalog write: the next request ranks afresh
    with CaptureQueriesContext(connection) as small:
        first = client.get(path).content.decode()
    add_national_counterparts(30, 60)
    with CaptureQueriesContext(connection) as large:
        html = client.get(path).content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)
    total = 2 + 90  # FGR (linked), SEDENA and the added agencies, every one a counterpart
    assert Agency.objects.filter(country=catalog.mx).count() == total
    assert f"{total} counterparts of ATF" in html and "Page 1 of 4" in html
    assert html.count('class="panel counterpart"') == 25 == first.count('class="panel counterpart"')
    assert html.index('href="/agencies/mx-fgr/"') < html.index('href="/agencies/mx-many-')  # rank kept
    # "Next" keeps the agency and the function (the link once lost its first parameter).
    next_link = 'href="?agency=us-atf&amp;function=firearms-tracing&amp;page=2"'
    assert next_link in html
    assert "Page 2 of 4" in client.get("/counterparts/?agency=us-atf&function=firearms-tracing&page=2").content.decode()
    last = client.get(path + "&page=4").content.decode()
    assert last.count('class="panel counterpart"') == total - 75 and '<ol class="result-list" start="76">' in last


def test_counterpart_finder_names_the_bad_field(catalog, spanish):
    response = spanish.get("/counterparts/?agency=us-nothing&function=firearms-tracing")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field has-error"' in html and 'id="id_agency-errors"' in html


def test_vcard_for_signed_in_users_only(catalog, anonymous, liaison_mx):
    path = f"/contacts/{catalog.atf_contact.pk}/vcard/"
    assert anonymous.get(path).status_code == 404
    response = signed_in(liaison_mx).get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vcard")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "FN:Dana Brooks" in body and "EMAIL;TYPE=INTERNET,WORK:dana.brooks@atf.example.gov" in body
    assert "TEL;TYPE=WORK,VOICE:+12025550143" in body
    assert "ORG:Bureau of Alcohol\\, Tobacco\\, Firearms and Explosives" in body


def test_vcard_of_a_blocked_contact_is_404(catalog, liaison_mx):
    from django.utils import timezone

    type(catalog.atf_contact).objects.filter(pk=catalog.atf_contact.pk).update(blocked_at=timezone.now())
    assert signed_in(liaison_mx).get(f"/contacts/{catalog.atf_contact.pk}/vcard/").status_code == 404


def test_contact_sheet_is_bilingual_and_for_signed_in_users(catalog, anonymous, liaison_us):
    path = "/counterparts/sheet/?agency=us-atf&function=firearms-tracing"
    response = anonymous.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    html = signed_in(liaison_us).get(path).content.decode()
    assert "Counterpart contacts" in html and "Contactos de contraparte" in html
    assert "Rastreo de armas" in html and "Firearms tracing" in html
    assert "lucia.hernandez@fgr.example.mx" in html


def test_jurisdiction_page_lists_agencies_by_containment(catalog, anonymous):
    html = anonymous.get("/jurisdictions/US-TX/?function=firearms-tracing").content.decode()
    assert 'href="/agencies/us-atf/"' in html  # national mandate covers Texas
    assert 'href="/agencies/us-hsi/"' in html  # Texas mandate
    assert 'href="/agencies/mx-fgr/"' not in html
    assert anonymous.get("/jurisdictions/ZZ-NOWHERE/").status_code == 404
    assert anonymous.get("/jurisdictions/US-TX/?function=nothing").status_code == 404


def test_coverage_matrix_marks_overlaps_and_missing_counterparts(catalog, anonymous):
    from agencies.selectors import coverage_matrix

    matrix = coverage_matrix()
    codes = [c.jurisdiction.code for c in matrix.columns]
    assert codes == ["US", "US-AZ", "US-TX", "MX", "MX-SON", "MX-CHH"]
    rows = {row.function.slug: row for row in matrix.rows}
    tracing = dict(zip(codes, rows["firearms-tracing"].cells, strict=True))
    assert [a.slug for a in tracing["US"].shown_agencies] == ["us-atf"]
    assert [a.slug for a in tracing["US-TX"].shown_agencies] == ["us-hsi"]
    assert tracing["US-TX"].nationwide_count == 1
    assert tracing["MX"].overlap  # FGR and SEDENA both lead tracing over Mexico
    assert not tracing["US"].overlap
    prosecution = dict(zip(codes, rows["prosecution"].cells, strict=True))
    assert not prosecution["US"].missing and not prosecution["MX"].missing
    html = anonymous.get("/coverage/").content.decode()
    assert 'href="/jurisdictions/MX/?function=firearms-tracing#agencies"' in html
    assert "overlap" in html


def test_coverage_matrix_flags_a_missing_counterpart(catalog):
    from agencies.selectors import coverage_matrix

    export = FunctionalAreaFactory(slug="export-control", name="Export control", name_es="Control de exportaciones")
    MandateFactory(agency=catalog.atf, function=export, jurisdictions=[catalog.tx])
    rows = {row.function.slug: row for row in coverage_matrix().rows}
    cells = {c.column.jurisdiction.code: c for c in rows["export-control"].cells}
    assert cells["MX-CHH"].missing  # Texas has someone, Chihuahua across the line nobody
    assert not cells["MX-SON"].missing  # Arizona has nobody either
    assert not cells["US-TX"].missing


def test_coverage_matrix_is_kept_until_the_catalog_changes_and_crowded_cells_are_cut(catalog, anonymous):
    assert "Many 0" not in anonymous.get("/coverage/").content.decode()
    with CaptureQueriesContext(connection) as cached:
        anonymous.get("/coverage/")
    assert not [q for q in cached.captured_queries if "agencies_mandate" in q["sql"]]  # read from the cache
    for n in range(12):  # a write: the next page reads the catalog again
        agency = AgencyFactory(slug=f"us-many-{n:02d}", acronym="", name=f"Many {n}", country=catalog.us)
        supporting = Mandate.Role.SUPPORTING
        MandateFactory(agency=agency, function=catalog.tracing, role=supporting, jurisdictions=[catalog.tx])
    html = anonymous.get("/coverage/").content.decode()
    assert "Many 0" in html
    from agencies.selectors import CELL_AGENCIES_SHOWN, coverage_matrix

    texas = next(
        cell
        for row in coverage_matrix().rows
        if row.function.pk == catalog.tracing.pk
        for cell in row.cells
        if cell.column.jurisdiction.code == "US-TX"
    )
    local = texas.local_count
    assert local >= 12 > CELL_AGENCIES_SHOWN
    assert f"+{local - CELL_AGENCIES_SHOWN} more" in html  # the Texas cell lists 8, says how many more
    others = local - 12
    assert CELL_AGENCIES_SHOWN - others <= html.count('data-slug="us-many-') <= CELL_AGENCIES_SHOWN


def test_coverage_matrix_runs_a_constant_number_of_queries(catalog, anonymous):
    with CaptureQueriesContext(connection) as small:
        anonymous.get("/coverage/")
    for n in range(6):
        function = FunctionalAreaFactory(slug=f"extra-{n}")
        agency = AgencyFactory(slug=f"mx-extra-{n}", country=catalog.mx)
        MandateFactory(agency=agency, function=function, jurisdictions=[catalog.chh])
        MandateFactory(agency=catalog.atf, function=function, jurisdictions=[catalog.us])
    with CaptureQueriesContext(connection) as large:
        anonymous.get("/coverage/")
    assert len(small.captured_queries) == len(large.captured_queries)


def test_home_and_search_run_a_constant_number_of_queries(catalog, anonymous):
    def count(path):
        with CaptureQueriesContext(connection) as context:
            anonymous.get(path)
        return len(context.captured_queries)

    before = (count("/"), count("/search/?q=of"))
    for n in range(10):
        AgencyFactory(slug=f"us-more-{n}", name=f"Office of more {n}", country=catalog.us)
    assert (count("/"), count("/search/?q=of")) == before


def test_open_data_downloads_csv_and_json_without_personal_data(catalog, anonymous):
    response = anonymous.get("/open-data/agencies.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][:4] == ["slug", "acronym", "name", "name_es"]
    assert any(row[0] == "mx-fgr" and row[3] == "Fiscalía General de la República" for row in rows)
    data = json.loads(anonymous.get("/open-data/mandates.json").getvalue())
    assert data["dataset"] == "mandates" and data["count"] == len(data["results"]) == 6
    # Lists stay JSON lists, as the API gives them (they used to be joined into a string).
    assert any(r["agency"] == "us-atf" and r["jurisdictions"] == ["US"] for r in data["results"])
    for name in ("agencies", "agency-names", "functions", "jurisdictions", "mandates", "offices", "counterpart-links"):
        for fmt in ("csv", "json"):
            body = anonymous.get(f"/open-data/{name}.{fmt}").getvalue().decode()
            assert "lucia.hernandez" not in body and "dana.brooks" not in body
    assert anonymous.get("/open-data/contacts.csv").status_code == 404


def test_no_page_loads_from_an_outside_host(catalog, liaison_us):
    """Scripts, styles, images and icons come from the app; links to sources may point outside."""
    import re

    client = signed_in(liaison_us)
    for path in PUBLIC_PAGES:
        html = client.get(path, follow=True).content.decode()
        loads = re.findall(r'\ssrc="([^"]*)"', html) + re.findall(r'<link[^>]*\shref="([^"]*)"', html)
        assert loads, path
        for url in loads:
            assert url.startswith("/static/"), f"{path} loads {url}"
        assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_agency_page_lists_the_flags_that_concern_it_for_its_officials(catalog, coordinator_mx, anonymous):
    from flags.services import sync_all_flags

    sync_all_flags()
    html = signed_in(coordinator_mx).get("/agencies/mx-fgr/").content.decode()
    assert "Flags that concern this agency" in html
    assert "SEDENA" in html.split("Flags that concern this agency")[1]  # the overlap with SEDENA, in a sentence
    assert "Flags that concern this agency" not in anonymous.get("/agencies/mx-fgr/").content.decode()


def add_texas_mandates(catalog, count: int, *, start: int = 0) -> None:
    for n in range(start, start + count):
        agency = AgencyFactory(
            slug=f"us-tx-agency-{n:03d}", acronym="", name=f"Texas Agency {n:03d}", country=catalog.us
        )
        MandateFactory(
            agency=agency, function=catalog.tracing, role=Mandate.Role.SUPPORTING, jurisdictions=[catalog.tx]
        )


def agency_links(html: str) -> list[str]:
    return re.findall(r'href="/agencies/(us-tx-agency-\d+)/"', html)


def test_each_function_shows_its_first_mandates_and_links_to_all(catalog, anonymous):
    add_texas_mandates(catalog, 15)
    html = anonymous.get("/jurisdictions/US-TX/").content.decode()
    # 15 + ATF (national) + HSI hold tracing over Texas: ATF's primary first, then by name.
    assert 'href="?function=firearms-tracing#agencies">See all 17' in html
    assert 'href="/agencies/us-atf/"' in html and 'href="/agencies/us-hsi/"' in html
    assert agency_links(html) == [f"us-tx-agency-{n:03d}" for n in range(JURISDICTION_GROUP_SHOWN - 2)]
    assert "?function=prosecution" not in html  # one mandate: nothing more to see


def test_a_function_is_paged(catalog, anonymous):
    add_texas_mandates(catalog, MANDATES_PER_PAGE + 5)
    first = anonymous.get("/jurisdictions/US-TX/?function=firearms-tracing").content.decode()
    # ATF, HSI, then 48 Texas agencies by name; the last seven on page two.
    assert agency_links(first) == [f"us-tx-agency-{n:03d}" for n in range(MANDATES_PER_PAGE - 2)]
    assert 'href="/agencies/us-hsi/"' in first
    assert "Page 1 of 2" in first
    assert 'href="?function=firearms-tracing&amp;page=2#agencies"' in first
    assert "See all" not in first
    second = anonymous.get("/jurisdictions/US-TX/?function=firearms-tracing&page=2").content.decode()
    assert agency_links(second) == [f"us-tx-agency-{n:03d}" for n in range(MANDATES_PER_PAGE - 2, 55)]
    assert 'href="/agencies/us-hsi/"' not in second
    assert 'href="?function=firearms-tracing&amp;page=1#agencies"' in second and "Page 2 of 2" in second


@pytest.mark.parametrize(
    ("page", "shown"), [("0", 1), ("-3", 1), ("abc", 1), ("", 1), ("1.5", 1), ("3", 2), ("99999999999999999999", 2)]
)
def test_a_page_that_does_not_exist_shows_the_nearest(catalog, anonymous, page, shown):
    add_texas_mandates(catalog, MANDATES_PER_PAGE + 5)
    response = anonymous.get("/jurisdictions/US-TX/", {"function": "firearms-tracing", "page": page})
    assert response.status_code == 200
    assert f"Page {shown} of 2" in response.content.decode()


def test_a_function_nobody_holds_here_says_so(catalog, anonymous):
    FunctionalAreaFactory(slug="export-control")
    response = anonymous.get("/jurisdictions/US-TX/?function=export-control&page=4")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No agency holds a mandate here for this function." in html
    assert "Page " not in html


def test_offices_are_cut_with_their_count(catalog, anonymous):
    html = anonymous.get("/jurisdictions/US-TX/").content.decode()
    assert "offices, by agency" not in html
    for n in range(JURISDICTION_OFFICES_SHOWN + 3):
        OfficeFactory(agency=catalog.hsi, name=f"HSI Texas Office {n:03d}", jurisdiction=catalog.tx)
    html = anonymous.get("/jurisdictions/US-TX/").content.decode()
    assert f"The first {JURISDICTION_OFFICES_SHOWN} of {JURISDICTION_OFFICES_SHOWN + 3} offices" in html
    assert html.count("HSI Texas Office ") == JURISDICTION_OFFICES_SHOWN
    assert "HSI Texas Office 049" in html and "HSI Texas Office 050" not in html


@pytest.mark.parametrize(
    ("path", "small_says", "large_says"),
    [
        ("/jurisdictions/US-TX/", "See all 57", "See all 207"),
        ("/jurisdictions/US-TX/?function=firearms-tracing&page=2", "Page 2 of 2", "Page 2 of 5"),
    ],
)
def test_the_jurisdiction_page_runs_a_constant_number_of_queries(catalog, anonymous, path, small_says, large_says):
    add_texas_mandates(catalog, MANDATES_PER_PAGE + 5)
    OfficeFactory(agency=catalog.hsi, jurisdiction=catalog.tx)
    anonymous.get(path)  # warm what the session and the caches read once
    with CaptureQueriesContext(connection) as small:
        small_html = anonymous.get(path).content.decode()
    add_texas_mandates(catalog, 3 * MANDATES_PER_PAGE, start=100)
    prosecution = catalog.prosecution
    for n in range(12):
        agency = AgencyFactory(slug=f"us-tx-prosecutor-{n}", country=catalog.us)
        MandateFactory(agency=agency, function=prosecution, jurisdictions=[catalog.tx])
        OfficeFactory(agency=agency, jurisdiction=catalog.tx)
    with CaptureQueriesContext(connection) as large:
        large_html = anonymous.get(path).content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert small_says in small_html and large_says in large_html


def test_places_inside_are_cut_with_their_count_and_municipalities_last(catalog, anonymous):
    for n in range(JURISDICTION_CHILDREN_SHOWN + 4):
        JurisdictionFactory(code=f"US-TX-M{n:03d}", kind="municipality", name=f"Town {n:03d}", parent=catalog.tx)
    JurisdictionFactory(code="US-POE-2402", kind="port-of-entry", name="El Paso port", parent=catalog.tx)
    html = anonymous.get("/jurisdictions/US-TX/").content.decode()
    assert "El Paso port" in html  # before every municipality
    assert "Town 058" in html and "Town 059" not in html
    assert "… and 5 more" in html
