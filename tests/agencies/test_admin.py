"""Records staff's admin: every catalog model listed, searched and filtered; the agency page
with its names, mandates, offices and contacts; the history of every record; other roles
kept out even with the staff flag."""

import datetime

import pytest
from django.test import Client

from agencies.models import (
    Agency,
    AgencyName,
    Contact,
    CounterpartLink,
    FunctionalArea,
    Identifier,
    Jurisdiction,
    Mandate,
    Office,
)
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    ContactFactory,
    CounterpartLinkFactory,
    MandateFactory,
    OfficeFactory,
    UserFactory,
    mexico,
)

pytestmark = pytest.mark.django_db

MODELS = [Jurisdiction, FunctionalArea, Agency, AgencyName, Mandate, Office, Contact, CounterpartLink]


@pytest.fixture
def staff(db):
    return UserFactory(username="records.staff", role="admin-staff", agency=None, is_staff=True)


@pytest.fixture
def browser(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def fgr():
    agency = AgencyFactory(slug="mx-fgr", acronym="FGR", name="Attorney General's Office", country=mexico())
    AgencyNameFactory(agency=agency, name="Procuraduría General de la República", kind="former", language="es")
    MandateFactory(agency=agency, jurisdictions=[mexico()])
    office = OfficeFactory(agency=agency, name="Delegación Chihuahua")
    ContactFactory(agency=agency, office=office, name="DEMO – Ana Ejemplo")
    CounterpartLinkFactory(agency_a=agency)
    return agency


def admin_url(model, suffix=""):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


@pytest.mark.parametrize("model", MODELS, ids=[m._meta.model_name for m in MODELS])
def test_every_catalog_model_lists_searches_and_filters(browser, fgr, model):
    response = browser.get(admin_url(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0
    searched = browser.get(admin_url(model), {"q": "fgr"})
    assert searched.status_code == 200
    changelist = searched.context["cl"]
    assert changelist.search_fields
    assert changelist.has_filters or model is FunctionalArea
    obj = model.objects.first()
    assert browser.get(admin_url(model, f"{obj.pk}/change/")).status_code == 200
    assert browser.get(admin_url(model, "add/")).status_code == 200


def test_agency_page_has_names_mandates_offices_and_contacts(browser, fgr):
    response = browser.get(admin_url(Agency, f"{fgr.pk}/change/"))
    page = response.content.decode()
    for prefix in ["other_names", "identifiers", "mandates", "offices", "contacts"]:
        assert f'name="{prefix}-TOTAL_FORMS"' in page
    assert "Procuraduría General de la República" in page
    assert "Delegación Chihuahua" in page
    assert "DEMO – Ana Ejemplo" in page
    formsets = {formset.formset.model for formset in response.context["inline_admin_formsets"]}
    assert formsets == {AgencyName, Identifier, Mandate, Office, Contact}


def test_a_change_in_the_admin_is_in_the_records_history(browser, staff, fgr):
    url = admin_url(FunctionalArea, "add/")
    response = browser.post(url, {"slug": "customs", "name": "Customs", "name_es": "Aduanas"})
    assert response.status_code == 302
    created = FunctionalArea.objects.get(slug="customs")
    record = created.history.get()
    assert record.history_user == staff
    history = browser.get(admin_url(FunctionalArea, f"{created.pk}/history/"))
    assert history.status_code == 200
    assert staff.username in history.content.decode()


def test_autocomplete_finds_agencies_by_acronym(browser, fgr):
    response = browser.get(
        "/admin/autocomplete/",
        {"app_label": "agencies", "model_name": "mandate", "field_name": "agency", "term": "FGR"},
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(fgr.pk)]


@pytest.mark.parametrize("role", ["coordinator", "liaison-officer"])
def test_other_roles_are_kept_out_even_with_the_staff_flag(fgr, role):
    client = Client()
    client.force_login(UserFactory(role=role, is_staff=True))
    assert client.get(admin_url(Agency)).status_code == 403
    assert client.get(admin_url(Agency, f"{fgr.pk}/change/")).status_code == 403
    index = client.get("/admin/")
    assert "mx-fgr" not in index.content.decode()
    assert "Agencies" not in index.content.decode()


def test_blocked_contacts_are_hidden_in_the_admin(browser, fgr):
    blocked = ContactFactory(agency=fgr, name="Blocked Person", blocked_at=datetime.datetime.now(datetime.UTC))
    assert browser.get(admin_url(Contact, f"{blocked.pk}/change/")).status_code == 302
    assert "Blocked Person" not in browser.get(admin_url(Contact)).content.decode()


def test_user_admin_shows_agency_language_and_groups(browser, fgr):
    user = UserFactory(username="coordinator.mx", role="coordinator", agency=fgr, language="es")
    listing = browser.get("/admin/registry/user/", {"q": "coordinator.mx"}).content.decode()
    assert "coordinator.mx" in listing
    assert "Coordinator" in listing
    page = browser.get(f"/admin/registry/user/{user.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert {"agency", "language", "groups"} <= set(form.fields)
    assert "is_superuser" not in form.fields  # only a superuser makes superusers
