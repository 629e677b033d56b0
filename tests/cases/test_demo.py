"""The demo data: idempotent, marked, and shaped so the flags have something to find."""

import io

import pytest
from django.db.models import Count

from cases import demo
from cases.models import ActionItem, Case, CaseSubject
from tests.factories import AgencyFactory, CountryFactory, JurisdictionFactory

pytestmark = pytest.mark.django_db

SLUGS = ["us-atf", "us-hsi", "us-cbp", "mx-fgr", "mx-sedena", "mx-anam", "mx-gn", "mx-sre"]


@pytest.fixture
def catalog(db):
    mx = CountryFactory(code="MX", name="Mexico")
    for code in ["US-TX", "US-AZ", "MX-CHH", "MX-SON", "MX-TAM"]:
        JurisdictionFactory(code=code)
    return {slug: AgencyFactory(slug=slug, **({"country": mx} if slug.startswith("mx-") else {})) for slug in SLUGS}


def test_seed_is_idempotent_and_marked(catalog):
    out = io.StringIO()
    first = demo.seed(stdout=out)
    assert first["cases"] == 5 and first["action_items"] == 15
    assert demo.seed(stdout=out) == {"cases": 0, "subjects": 0, "action_items": 0, "updates": 0}
    assert Case.objects.count() == 5 and ActionItem.objects.count() == 15
    assert all(case.is_demo and "DEMO" in case.title for case in Case.objects.all())
    assert all(item.is_demo and "DEMO" in item.title for item in ActionItem.objects.all())


def test_seed_shape(catalog):
    demo.seed(stdout=io.StringIO())
    assert set(Case.objects.values_list("sensitivity", flat=True)) == {"public", "restricted"}
    for case in Case.objects.all():
        countries = {slug[:2] for slug in case.participants.values_list("agency__slug", flat=True)}
        assert case.participants.filter(role="lead").count() == 1
        if case.sensitivity == "public" or "Río Bravo" in case.title:
            assert countries == {"us", "mx"}
    shared = (
        CaseSubject.objects.values("kind", "normalized_key")
        .annotate(cases=Count("case", distinct=True))
        .filter(cases__gt=1)
    )
    assert {row["kind"] for row in shared} == {"firearm", "dealer"}
    assert set(ActionItem.objects.values_list("status", flat=True)) == set(ActionItem.Status.values)
    assert ActionItem.objects.overdue().count() >= 2
    assert ActionItem.objects.filter(case__isnull=True).exists()
    done = ActionItem.objects.filter(status="done")
    assert all(item.completed_at and item.completed_at > item.created_at for item in done)
    blocked = ActionItem.objects.filter(status__in=["blocked", "cancelled"])
    assert all(item.status_reason for item in blocked)
    assert all(item.updates.exists() for item in ActionItem.objects.all())


def test_seed_skips_cases_whose_agencies_are_missing(db):
    AgencyFactory(slug="mx-fgr")
    out = io.StringIO()
    demo.seed(stdout=out)
    assert "skipped" in out.getvalue() and "us-atf" in out.getvalue()
    assert not Case.objects.exists()
    assert ActionItem.objects.filter(case__isnull=True, owner__slug="mx-fgr").count() == 1
