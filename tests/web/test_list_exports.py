"""The case, action item and flag lists: sortable (the API's ordering fields) and downloadable
as CSV or XLSX, with only what the user may see: a restricted case never reaches a user of
an agency that does not take part in it, and downloading a restricted case is logged as a read."""

import csv
import io

import pytest
from openpyxl import load_workbook

from cases import services
from cases.models import Case, CaseReadLog
from tests.factories import UserFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="enlace-')
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def public_case(catalog, coordinator_us):
    return services.case_open(
        user=coordinator_us, title="Public trafficking routes", summary="", sensitivity=Case.Sensitivity.PUBLIC
    )


def test_a_user_outside_a_restricted_case_never_gets_it_in_an_export(case, item, public_case, catalog):
    outsider = signed_in(UserFactory(role="coordinator", agency=catalog.sedena))
    cases = csv_rows(outsider.get("/cases/?export=csv"))
    references = [row[0] for row in cases[1:]]
    assert (
        references == [public_case.reference]
        and case.reference not in outsider.get("/cases/?export=csv").content.decode()
    )
    items = csv_rows(outsider.get("/actions/?scope=all&status=all&export=csv"))
    assert items[1:] == [] and "Trace the rifles" not in str(items)
    sheet = load_workbook(io.BytesIO(outsider.get("/cases/?export=xlsx").content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [public_case.reference]


def test_participants_export_the_restricted_case_and_the_read_is_logged(case, item, public_case, coordinator_mx):
    client = signed_in(coordinator_mx)
    before = CaseReadLog.objects.filter(case=case, user=coordinator_mx).count()
    rows = csv_rows(client.get("/cases/?export=csv&ordering=title"))
    assert [row[1] for row in rows[1:]] == ["Public trafficking routes", "Straw purchases in El Paso"]
    assert CaseReadLog.objects.filter(case=case, user=coordinator_mx).count() == before + 1
    items = csv_rows(client.get("/actions/?export=csv"))
    assert [row[1] for row in items[1:]] == ["Trace the rifles"] and items[1][2] == case.reference


def test_the_export_keeps_the_filters_and_headers_are_in_the_users_language(case, public_case, coordinator_us):
    client = signed_in(coordinator_us)
    client.cookies["django_language"] = "es"
    rows = csv_rows(client.get("/cases/?export=csv&q=public"))
    assert rows[0][0] == "referencia" or rows[0][0].lower() == "referencia"
    assert [row[0] for row in rows[1:]] == [public_case.reference]


def test_admin_staff_export_every_case(case, public_case, staff):
    rows = csv_rows(signed_in(staff).get("/cases/?export=csv"))
    assert {row[0] for row in rows[1:]} == {case.reference, public_case.reference}


def test_the_case_list_sorts_by_its_columns_and_says_how(case, public_case, coordinator_us):
    client = signed_in(coordinator_us)
    page = client.get("/cases/?ordering=-title").content.decode()
    assert page.index("Straw purchases") < page.index("Public trafficking")
    assert 'aria-sort="descending"' in page and "ordering=title" in page
    page = client.get("/cases/?ordering=title").content.decode()
    assert page.index("Public trafficking") < page.index("Straw purchases")
    # A stale or unknown sort keeps the page as it is, as a stale filter value does.
    assert client.get("/cases/?ordering=password").status_code == 200


def missing_contact(agency, function, severity):
    from flags.models import Flag, FlagKind

    params = {"agency": agency.pk, "function": function.pk}
    return Flag.objects.create(
        kind=FlagKind.MISSING_CONTACT, severity=severity, key=f"{agency.pk}-{severity}", params=params, agency=agency
    )


def test_the_flag_queue_downloads_what_the_coordinator_may_see(case, catalog, coordinator_us, staff):
    flag = missing_contact(catalog.atf, catalog.tracing, "high")
    flag.agencies.set([catalog.atf])
    other = missing_contact(catalog.sedena, catalog.tracing, "low")
    other.agencies.set([catalog.sedena])
    mine = csv_rows(signed_in(coordinator_us).get("/flags/?export=csv&ordering=-severity"))
    assert [int(row[0]) for row in mine[1:]] == [flag.pk]
    assert "no active liaison contact" in mine[1][-1] and mine[1][-2] == catalog.atf.slug
    everything = csv_rows(signed_in(staff).get("/flags/?export=csv&ordering=severity"))
    ids = [int(row[0]) for row in everything[1:]]
    assert ids.index(other.pk) < ids.index(flag.pk)
    rank = {"Low": 0, "Medium": 1, "High": 2}
    severities = [rank[row[2]] for row in everything[1:]]
    assert severities == sorted(severities)
