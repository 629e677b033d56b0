"""The "changes" section of the agency, case and action-item pages, and the history routes
of the cases API: who changed what and when, for whoever may read the record — contacts'
changes only for who may see contacts, no staff name for the public — in a number of
queries that does not depend on how many changes there are."""

import pytest
from django.test import Client

from agencies.models import Agency, Contact
from cases.models import ActionItem, Case
from privacy import services as privacy_services
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def edit(obj, user, **changes):
    """Save a change as `user` made it (the web and API set this from the request)."""
    for name, value in changes.items():
        setattr(obj, name, value)
    obj._history_user = user
    obj.save()
    return obj


def changes_html(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    start = html.index('id="changes"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def records_staff(catalog):
    return UserFactory(
        username="records.keeper", first_name="Rita", last_name="Keeper", role="admin-staff", agency=None
    )


@pytest.fixture
def liaison_fgr(catalog):
    return UserFactory(username="liaison.fgr", role="liaison-officer", agency=catalog.fgr)


def test_the_public_sees_changes_to_public_fields_but_no_contact_and_no_name(
    catalog, anonymous, records_staff, coordinator_us
):
    edit(catalog.atf, records_staff, name="Bureau of ATF (renamed)")
    edit(catalog.atf, coordinator_us, website="https://www.atf.gov/es/")
    edit(catalog.atf_contact, records_staff, email="dana.b@atf.example.gov", phone="+12025550199")
    section = changes_html(anonymous.get(f"/agencies/{catalog.atf.slug}/"))
    assert "Official name (English)" in section
    assert "Bureau of Alcohol, Tobacco, Firearms and Explosives" in section and "Bureau of ATF (renamed)" in section
    assert "https://www.atf.gov/es/" in section
    assert "admin staff" in section and " ATF " in section.replace("·", " ")
    for secret in ("records.keeper", "Rita", "coordinator.us", "dana.b@atf.example.gov", "2025550199", "Dana Brooks"):
        assert secret not in section, secret


def test_signed_in_officers_see_contact_changes_and_who_made_them(catalog, liaison_us, records_staff):
    edit(catalog.atf_contact, records_staff, email="dana.b@atf.example.gov")
    section = changes_html(signed_in(liaison_us).get(f"/agencies/{catalog.atf.slug}/"))
    assert "dana.brooks@atf.example.gov" in section and "dana.b@atf.example.gov" in section
    assert "Rita Keeper · admin staff" in section
    assert "Dana Brooks" in section


def test_a_blocked_contacts_changes_are_hidden_like_the_contact(catalog, liaison_us, records_staff):
    edit(catalog.atf_contact, records_staff, email="dana.b@atf.example.gov")
    privacy_services.person_block(contact=Contact.objects.get(pk=catalog.atf_contact.pk))
    section = changes_html(signed_in(liaison_us).get(f"/agencies/{catalog.atf.slug}/"))
    assert "dana.b@atf.example.gov" not in section and "Dana Brooks" not in section


def test_a_participating_liaison_reads_the_case_and_its_items_changes(case, item, liaison_fgr, coordinator_us):
    edit(Case.objects.get(pk=case.pk), coordinator_us, title="Straw purchases, El Paso–Juárez")
    edit(ActionItem.objects.get(pk=item.pk), coordinator_us, priority="high")
    section = changes_html(signed_in(liaison_fgr).get(f"/cases/{case.pk}/"))
    assert "Straw purchases in El Paso" in section and "Straw purchases, El Paso–Juárez" in section
    assert "Trace the rifles" in section and "Priority" in section
    assert "coordinator.us · ATF" in section


def test_the_action_page_shows_the_items_changes_in_spanish(item, liaison_fgr, coordinator_us):
    edit(ActionItem.objects.get(pk=item.pk), coordinator_us, priority="high")
    client = signed_in(liaison_fgr)
    client.cookies["django_language"] = "es"
    section = changes_html(client.get(f"/actions/{item.pk}/"))
    assert "Cambios" in section and "cambió" in section and "creó" in section
    assert "Prioridad: <del>Normal</del> → <ins>Alta</ins>" in section


def test_those_who_may_not_read_the_case_see_no_page_at_all(case, item, liaison_mx):
    client = signed_in(liaison_mx)  # SEDENA takes no part in the case
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(f"/actions/{item.pk}/").status_code == 404


def test_changes_come_twenty_a_page_with_older_and_newer_links(catalog, anonymous, records_staff):
    agency = Agency.objects.get(pk=catalog.atf.pk)
    for n in range(24):
        edit(agency, records_staff, description=f"Description version {n:02d}")
    first = changes_html(anonymous.get(f"/agencies/{agency.slug}/"))
    assert first.count("<li>\n    <time") == 20
    assert "Description version 23" in first and "?changes=2#changes" in first and "?changes=0" not in first
    second = changes_html(anonymous.get(f"/agencies/{agency.slug}/?changes=2"))
    assert "Description version 23" not in second and "?changes=1#changes" in second
    assert "?changes=3" not in second
    # A bad page number is the first page, not an error.
    assert "Description version 23" in changes_html(anonymous.get(f"/agencies/{agency.slug}/?changes=abc"))


def measured(client, url, django_assert_num_queries, queries):
    client.get(url)  # the edits invalidated the catalog caches: warm them again
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def query_count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_agency_page_costs_the_same_queries_with_3_or_60_changes(
    catalog, liaison_us, records_staff, coordinator_us, django_assert_num_queries
):
    client, url = signed_in(liaison_us), f"/agencies/{catalog.atf.slug}/"
    agency, contact = Agency.objects.get(pk=catalog.atf.pk), Contact.objects.get(pk=catalog.atf_contact.pk)
    edit(agency, records_staff, description="First")
    queries = query_count(client, url)
    for n in range(30):
        edit(agency, records_staff if n % 2 else coordinator_us, description=f"Version {n}")
        edit(contact, UserFactory(role="coordinator", agency=catalog.atf), title=f"Title {n}")
    measured(client, url, django_assert_num_queries, queries)


def test_the_case_page_costs_the_same_queries_with_few_or_many_changes(
    case, item, liaison_fgr, coordinator_us, django_assert_num_queries
):
    client, url = signed_in(liaison_fgr), f"/cases/{case.pk}/"
    queries = query_count(client, url)
    stored = ActionItem.objects.get(pk=item.pk)
    for n in range(25):
        edit(stored, coordinator_us, description=f"Step {n}")
    measured(client, url, django_assert_num_queries, queries)


def test_the_cases_api_gives_the_history_of_a_readable_case_and_item(case, item, liaison_fgr, coordinator_us):
    edit(Case.objects.get(pk=case.pk), coordinator_us, title="Renamed case")
    edit(ActionItem.objects.get(pk=item.pk), coordinator_us, title="Renamed item")
    api = client_for(liaison_fgr)
    answer = api.get(f"/api/v1/cases/{case.pk}/history/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] >= 3
    newest_case_change = next(entry for entry in body["results"] if entry["model"] == "case")
    assert newest_case_change["user"] == "coordinator.us"
    assert {"field": "title", "old": "Straw purchases in El Paso", "new": "Renamed case"} in newest_case_change[
        "changes"
    ]
    assert any(entry["model"] == "actionitem" for entry in body["results"])
    items = api.get(f"/api/v1/action-items/{item.pk}/history/").json()["results"]
    assert {entry["model"] for entry in items} == {"actionitem"}
    assert {"field": "title", "old": "Trace the rifles", "new": "Renamed item"} in items[0]["changes"]
    # Not a participant: the case and its history do not exist.
    outsider = client_for(
        UserFactory(role="coordinator", agency=case.lead_agency.__class__.objects.get(slug="mx-sedena"))
    )
    assert outsider.get(f"/api/v1/cases/{case.pk}/history/").status_code == 404
    assert Client().get(f"/api/v1/cases/{case.pk}/history/").status_code == 401
