"""seed_demo: refuses with debug off unless forced, needs the reference catalog, makes the
demo accounts of API.md and fictional, clearly marked contacts, and is idempotent."""

import io
import re

import phonenumbers
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from agencies.models import Contact
from agencies.selectors import counterparts_for
from registry.management.commands.seed_demo import demo_modules
from registry.models import User
from tests.factories import AgencyFactory, FunctionalAreaFactory, MandateFactory, mexico, united_states

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    """The few reference agencies the demo needs, with mandates for two functions."""
    tracing = FunctionalAreaFactory(slug="firearms-tracing")
    customs = FunctionalAreaFactory(slug="customs")
    agencies = {
        "us-atf": AgencyFactory(slug="us-atf", acronym="ATF"),
        "us-hsi": AgencyFactory(slug="us-hsi", acronym="HSI"),
        "us-cbp": AgencyFactory(slug="us-cbp", acronym="CBP"),
        "mx-fgr": AgencyFactory(slug="mx-fgr", acronym="FGR", country=mexico()),
        "mx-sedena": AgencyFactory(slug="mx-sedena", acronym="SEDENA", country=mexico()),
        "mx-anam": AgencyFactory(slug="mx-anam", acronym="ANAM", country=mexico()),
    }
    for slug in ["us-atf", "us-hsi"]:
        MandateFactory(agency=agencies[slug], function=tracing, jurisdictions=[united_states()])
    MandateFactory(agency=agencies["us-cbp"], function=customs, jurisdictions=[united_states()])
    MandateFactory(agency=agencies["mx-fgr"], function=tracing, jurisdictions=[mexico()])
    MandateFactory(agency=agencies["mx-sedena"], function=tracing, jurisdictions=[mexico()])
    MandateFactory(agency=agencies["mx-anam"], function=customs, jurisdictions=[mexico()])
    return agencies


def seed(**kwargs):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


@override_settings(DEBUG=False)
def test_refuses_with_debug_off_unless_forced(catalog):
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert not User.objects.filter(username="admin").exists()
    assert "Demo data loaded" in seed(force=True)
    assert User.objects.filter(username="admin").exists()


@override_settings(DEBUG=True)
def test_runs_with_debug_on_without_force(catalog):
    seed()
    assert Contact.objects.filter(is_demo=True).exists()


def test_asks_for_the_reference_data_first():
    with pytest.raises(CommandError, match="load_reference_data"):
        seed(force=True)
    assert not User.objects.exists()


def test_demo_accounts_of_api_md(catalog, api):
    seed(force=True)
    expected = {
        "admin": ("admin-staff", None, "en"),
        "coordinator.us": ("coordinator", "us-atf", "en"),
        "coordinator.mx": ("coordinator", "mx-fgr", "es"),
        "liaison.us": ("liaison-officer", "us-hsi", "en"),
        "liaison.mx": ("liaison-officer", "mx-sedena", "es"),
    }
    for username, (role, agency, language) in expected.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert (user.agency.slug if user.agency else None) == agency
        assert user.language == language
        assert user.check_password("enlace-demo-2026")
    response = api.post("/api/v1/auth/token/", {"username": "liaison.mx", "password": "enlace-demo-2026"})
    assert response.status_code == 200
    assert response.json()["token"]


def test_demo_contacts_are_fictional_and_clearly_marked(catalog, today):
    seed(force=True)
    contacts = list(Contact.objects.prefetch_related("functions").select_related("agency"))
    assert len(contacts) >= 12
    for contact in contacts:
        assert contact.is_demo
        assert contact.name.startswith("DEMO – ")
        assert re.fullmatch(r"[a-z0-9.]+@example\.(gov|gob\.mx)", contact.email), contact.email
        number = phonenumbers.parse(str(contact.phone))
        assert phonenumbers.is_valid_number(number)
        assert re.fullmatch(r"\+120255501\d\d|\+52555555\d{4}", str(contact.phone)), contact.phone
        contact.full_clean()
    assert any(not contact.active for contact in contacts)
    assert any((today - contact.verified_on).days > 365 for contact in contacts if contact.active)
    # Every function each main agency holds has an active liaison.
    for agency in catalog.values():
        for mandate in agency.mandates.all():
            assert any(
                contact.active and mandate.function in contact.functions.all()
                for contact in contacts
                if contact.agency_id == agency.pk
            ), (agency.slug, mandate.function.slug)


def test_counterparts_show_demo_contacts(catalog):
    seed(force=True)
    tracing = catalog["us-atf"].mandates.get().function
    ranked = counterparts_for(agency=catalog["us-atf"], function=tracing, with_contacts=True)
    assert {c.agency.slug for c in ranked} == {"mx-fgr", "mx-sedena"}
    assert all(c.contacts for c in ranked)
    assert all(tracing in contact.functions.all() for c in ranked for contact in c.contacts)


def test_running_twice_creates_nothing_new(catalog):
    seed(force=True)
    counts = {model._meta.label: model.objects.count() for model in apps.get_models()}
    seed(force=True)
    assert {model._meta.label: model.objects.count() for model in apps.get_models()} == counts


def test_discovers_the_demo_module_of_each_app_in_installed_apps_order():
    labels = [app.label for app, _module in demo_modules()]
    assert labels[0] == "agencies"
    order = [app.label for app in apps.get_app_configs()]
    assert labels == sorted(labels, key=order.index)
