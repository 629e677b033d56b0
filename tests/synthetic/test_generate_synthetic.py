"""generate_synthetic: every row marked synthetic, the derived columns that save() would
compute (lineage, folded search text, normalized subject keys) computed the same way, the
planned counts, and a refusal to write twice."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Agency, Contact, Jurisdiction, Mandate, Office
from cases.models import ActionItem, Case, CaseParticipant, CaseSubject
from registry.models import Role, User
from synthetic.generators import Plan

SCALE = 0.002  # the plan's minimums: 40 agencies, 200 contacts, 20 cases, 100 items, 50 subjects


@pytest.fixture
def synthetic(db):
    call_command("generate_synthetic", scale=SCALE, skip_flags=True, force=True, verbosity=0)


def test_counts_follow_the_plan(synthetic):
    plan = Plan(SCALE)
    assert Agency.objects.filter(slug__startswith="syn-").count() == plan.agencies
    assert Mandate.objects.filter(agency__slug__startswith="syn-").count() == plan.agencies * plan.mandates_per_agency
    assert Case.objects.filter(reference__startswith="SYN-").count() == plan.cases
    assert ActionItem.objects.filter(title__startswith="SYN ").count() == plan.action_items
    # Contacts are drawn per agency around the plan; subjects skip the rare duplicate within a case.
    assert 0.7 * plan.contacts <= Contact.objects.count() <= 1.3 * plan.contacts
    assert 0.9 * plan.subjects <= CaseSubject.objects.count() <= plan.subjects


def test_everything_is_marked_synthetic(synthetic):
    assert not Agency.objects.exclude(slug__startswith="syn-").filter(name__startswith="SYN").exists()
    assert all(
        name.startswith("SYN ")
        for name in Agency.objects.filter(slug__startswith="syn-").values_list("name", flat=True)
    )
    assert all(email.endswith(".example.invalid") for email in Contact.objects.values_list("email", flat=True))
    assert all(email.endswith("example.invalid") for email in Office.objects.values_list("email", flat=True))
    users = User.objects.filter(username__startswith="syn-")
    assert users.exists()
    assert not any(user.has_usable_password() for user in users)
    assert all(ref.startswith("SYN-") for ref in Case.objects.values_list("reference", flat=True))


def test_derived_columns_match_what_save_computes(synthetic):
    for agency in Agency.objects.filter(slug__startswith="syn-").prefetch_related("other_names"):
        stored = (agency.search_text, agency.search_acronyms, agency.lineage)
        agency.refresh_search_text(save=False)
        expected_lineage = agency.parent.lineage_for_children() if agency.parent_id else "/"
        assert stored == (agency.search_text, agency.search_acronyms, expected_lineage)
    for town in Jurisdiction.objects.filter(code__startswith="SYN-").select_related("parent"):
        assert town.lineage == town.parent.lineage_for_children()
    for contact in Contact.objects.all()[:50]:
        stored = contact.search_text
        contact.save()
        assert contact.search_text == stored
    for subject in CaseSubject.objects.all():
        assert subject.normalized_key == subject.compute_key()


def test_users_of_every_role_and_cases_with_one_lead(synthetic):
    roles = {user.role for user in User.objects.filter(username__startswith="syn-").prefetch_related("groups")}
    assert roles == {Role.ADMIN_STAFF, Role.COORDINATOR, Role.LIAISON_OFFICER, Role.PUBLIC}
    leads = CaseParticipant.objects.filter(role="lead")
    assert leads.count() == Case.objects.count()
    assert all(p.agency_id == p.case.lead_agency_id for p in leads.select_related("case"))


def test_new_rows_after_the_synthetic_ones_get_fresh_ids(synthetic):
    """Ids were assigned by the generator; the sequences must have moved past them."""
    agency = Agency.objects.create(slug="us-after", name="After", level="federal")
    assert agency.pk > Agency.objects.exclude(pk=agency.pk).order_by("-pk").values_list("pk", flat=True).first()


def test_refuses_to_write_twice_and_without_debug(synthetic):
    with pytest.raises(CommandError, match="already holds synthetic data"):
        call_command("generate_synthetic", scale=SCALE, force=True, verbosity=0)
    with pytest.raises(CommandError, match="Debug is off"):
        call_command("generate_synthetic", scale=SCALE, verbosity=0)
