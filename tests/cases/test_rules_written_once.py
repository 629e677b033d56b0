"""The rules the API, the pages and the webhooks share are each written once: who may open a
case (cases.services.can_open_case) and what an agency may see of cases
(cases.selectors.agency_case_visibility, behind cases_visible_to and case_visible_to_agency)."""

import pytest

from cases import selectors, services
from cases.models import Case
from tests.cases.factories import CaseFactory, ParticipantFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_coordinators_of_an_agency_may_open_a_case(atf, coord_us, liaison_atf, staff, nobody):
    assert services.can_open_case(coord_us)
    assert not services.can_open_case(UserFactory(role="coordinator", agency=None))
    for user in (liaison_atf, staff, nobody):
        assert not services.can_open_case(user)


def test_the_webhooks_see_exactly_the_cases_the_agencys_users_see(atf, hsi, cbp, coord_us):
    public = CaseFactory(lead_agency=cbp, sensitivity=Case.Sensitivity.PUBLIC)
    ours = CaseFactory(lead_agency=cbp)
    ParticipantFactory(case=ours, agency=atf)
    theirs = CaseFactory(lead_agency=hsi)
    seen = set(selectors.cases_visible_to(coord_us).values_list("pk", flat=True))
    assert seen == {public.pk, ours.pk}
    for case in (public, ours, theirs):
        assert selectors.case_visible_to_agency(case, atf.pk) == (case.pk in seen)
    assert selectors.case_visible_to_agency(None, atf.pk)  # a bilateral commitment without a case
