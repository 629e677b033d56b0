"""Visibility selectors: one SQL condition per model, per role; the read log."""

import random

import pytest
from django.db.models import Count

from agencies.models import Agency
from cases import selectors
from cases.models import CaseParticipant, CaseReadLog
from tests.cases.factories import ActionItemFactory, CaseFactory, ParticipantFactory, SubjectFactory
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(atf, hsi, cbp, fgr):
    restricted = CaseFactory(lead_agency=atf, sensitivity="restricted")
    ParticipantFactory(case=restricted, agency=hsi)
    public = CaseFactory(lead_agency=cbp, sensitivity="public")
    SubjectFactory(case=restricted)
    SubjectFactory(case=public)
    ActionItemFactory(case=restricted, owner=atf)
    ActionItemFactory(case=public, owner=cbp)
    ActionItemFactory(case=None, owner=fgr)
    return restricted, public


@pytest.mark.parametrize(
    ("who", "cases", "subjects", "items"),
    [
        ("staff", 2, 2, 3),
        ("coord_us", 2, 2, 3),
        ("liaison_us", 2, 2, 3),
        ("liaison_atf", 2, 2, 3),
        ("coord_mx", 1, 1, 2),
        ("coord_cbp", 1, 1, 2),
        ("nobody", 0, 0, 0),
    ],
)
def test_visibility_by_role(who, cases, subjects, items, request, world, django_assert_max_num_queries):
    user = request.getfixturevalue(who)
    user.role  # noqa: B018 - read the role first, as a request does once
    with django_assert_max_num_queries(1):
        assert selectors.cases_visible_to(user).count() == cases
    assert selectors.subjects_visible_to(user).count() == subjects
    assert selectors.action_items_visible_to(user).count() == items


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert selectors.cases_visible_to(anonymous).count() == 0
    assert selectors.action_items_visible_to(anonymous).count() == 0
    # ...but the metrics count public cases and case-less commitments.
    assert selectors.action_items_counted_for(anonymous).count() == 2
    assert selectors.cases_counted_for(anonymous).count() == 1


def test_visibility_is_one_sql_condition(world, coord_mx):
    """One condition, `public OR id IN (the agency's cases)`: no per-row EXISTS, no join."""
    sql = str(selectors.cases_visible_to(coord_mx).query).upper()
    assert "EXISTS" not in sql and "JOIN" not in sql and sql.count("SELECT") == 2
    assert " IN (SELECT" in sql and "SENSITIVITY" in sql


def test_a_user_without_agency_sees_only_public_cases(world, db):
    from tests.factories import UserFactory

    user = UserFactory(username="floating", role="coordinator", agency=None)
    assert selectors.cases_visible_to(user).count() == 1


def test_record_case_read_only_logs_restricted_cases(world, coord_us):
    restricted, public = world
    assert selectors.record_case_read(case=public, user=coord_us, via="api") is None
    entry = selectors.record_case_read(case=restricted, user=coord_us, via="web")
    assert (entry.user, entry.case, entry.via) == (coord_us, restricted, "web")
    assert selectors.record_case_reads(case_ids=[restricted.pk, restricted.pk, None], user=coord_us, via="api") == 1
    assert CaseReadLog.objects.count() == 2


def test_suggested_partners_rank_by_shared_cases_as_the_orm_would(db):
    """The hand-written query against the same ranking through the ORM: most shared cases
    first (then by id), active agencies only, neither the agency nor the case's participants,
    the top `limit` in order of acronym and name."""
    rng = random.Random(7)
    home = AgencyFactory(acronym="HOME")
    others = [AgencyFactory(acronym=rng.choice(["ZED", "ALFA", "", "MID"]), name=f"Agency {n}") for n in range(12)]
    others[3].active = False
    others[3].save()
    cases = [CaseFactory(lead_agency=home) for _ in range(8)]
    for case in cases:
        for agency in rng.sample(others, rng.randint(1, 6)):
            ParticipantFactory(case=case, agency=agency)
    CaseFactory(lead_agency=others[0])  # a case without the home agency counts for nothing

    def expected(case, limit):
        partners = CaseParticipant.objects.filter(case__participants__agency=home, agency__active=True)
        taken = set(case.participants.values_list("agency_id", flat=True)) if case else {home.pk}
        ranked = (
            partners.exclude(agency_id__in=taken)
            .values("agency_id")
            .annotate(n=Count("id"))
            .order_by("-n", "agency_id")
            .values_list("agency_id", flat=True)[:limit]
        )
        chosen = Agency.objects.filter(pk__in=list(ranked)).order_by("acronym", "name")
        return list(chosen.values_list("slug", flat=True))

    for case, limit in [(None, 20), (None, 4), (cases[0], 20), (cases[5], 3)]:
        found = [agency.slug for agency in selectors.suggested_partners(home.pk, case=case, limit=limit)]
        assert found == expected(case, limit)
        assert found and others[3].slug not in found and home.slug not in found
