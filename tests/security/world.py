"""A small world for the route-walking tests: one agency whose users hold each role and
which leads a restricted case (with a subject, an action item, an update and a subject-match
flag), and an outsider agency with its own restricted case that our users must never see.
Two case-less commitments, one ours and one the outsider's, each supported by the other
agency: a supporter reads a commitment but only its owner (and admin staff) changes it."""

from dataclasses import dataclass

from django.core.management import call_command

from agencies.models import Identifier
from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject
from flags.models import Flag
from registry.models import User
from tests.dates import days_from_today
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    ContactFactory,
    CounterpartLinkFactory,
    CountryFactory,
    FunctionalAreaFactory,
    MandateFactory,
    OfficeFactory,
    UserFactory,
)

ROLES = ("anonymous", "liaison-officer", "coordinator", "admin-staff")


@dataclass
class World:
    agency: object
    outsider: object
    function: object
    jurisdiction: object
    agency_name: object
    identifier: object
    mandate: object
    office: object
    contact: object
    link: object
    case: Case
    subject: CaseSubject
    item: ActionItem
    update: ActionUpdate
    flag: Flag
    secret_case: Case
    secret_subject: CaseSubject
    secret_item: ActionItem
    secret_update: ActionUpdate
    secret_flag: Flag | None
    commitment: ActionItem
    foreign_commitment: ActionItem
    users: dict[str, User | None]


def build_world() -> World:
    us = CountryFactory(code="US", name="United States", name_es="Estados Unidos")
    mx = CountryFactory(code="MX", name="Mexico", name_es="México")
    agency = AgencyFactory(slug="us-atf", acronym="ATF", country=us)
    outsider = AgencyFactory(slug="mx-fgr", acronym="FGR", country=mx)
    third = AgencyFactory(slug="us-dea", acronym="DEA", country=us)
    function = FunctionalAreaFactory(slug="firearms-tracing")
    mandate = MandateFactory(agency=agency, function=function)
    contact = ContactFactory(agency=agency, office=OfficeFactory(agency=agency))
    contact.functions.add(function)
    link = CounterpartLinkFactory(agency_a=agency, agency_b=outsider, function=function)
    users = {
        "anonymous": None,
        "liaison-officer": UserFactory(username="matrix.liaison", role="liaison-officer", agency=agency),
        "coordinator": UserFactory(username="matrix.coordinator", role="coordinator", agency=agency),
        "admin-staff": UserFactory(username="matrix.admin", role="admin-staff", agency=None),
    }
    case = Case.objects.create(title="Our case", lead_agency=agency, sensitivity=Case.Sensitivity.RESTRICTED)
    CaseParticipant.objects.create(case=case, agency=agency, role="lead")
    CaseParticipant.objects.create(case=case, agency=third, role="support")
    subject = CaseSubject.objects.create(case=case, kind="firearm", identifier="SN-MATRIX-1", make="Colt")
    item = ActionItem.objects.create(case=case, owner=agency, function=function, title="Trace the rifle")
    update = ActionUpdate.objects.create(item=item, author=users["coordinator"], text="Started.")
    secret_case = Case.objects.create(
        title="Their secret case", lead_agency=outsider, sensitivity=Case.Sensitivity.RESTRICTED
    )
    CaseParticipant.objects.create(case=secret_case, agency=outsider, role="lead")
    # The same rifle in both cases: a subject-match flag addressed to both leads.
    secret_subject = CaseSubject.objects.create(case=secret_case, kind="firearm", identifier="SN-MATRIX-1", make="Colt")
    secret_item = ActionItem.objects.create(
        case=secret_case,
        owner=outsider,
        function=function,
        title="Their secret task",
        due_date=days_from_today(3),
    )
    secret_update = ActionUpdate.objects.create(item=secret_item, author=None, text="Their secret note.")
    commitment = ActionItem.objects.create(case=None, owner=agency, title="Our commitment")
    commitment.supporting_agencies.set([outsider])
    foreign_commitment = ActionItem.objects.create(case=None, owner=outsider, title="Their commitment")
    foreign_commitment.supporting_agencies.set([agency])
    # The outsider holds a mandate with no liaison: a missing-contact flag only it (and admin staff) may see.
    MandateFactory(agency=outsider, function=FunctionalAreaFactory(slug="customs"), jurisdictions=[mx])
    call_command("detect_flags", verbosity=0)
    flag = Flag.objects.filter(agencies=agency).order_by("pk").first()
    secret_flag = Flag.objects.exclude(agencies=agency).order_by("pk").first()
    return World(
        agency=agency,
        outsider=outsider,
        function=function,
        jurisdiction=us,
        agency_name=AgencyNameFactory(agency=agency),
        identifier=Identifier.objects.create(scheme=Identifier.Scheme.FBI_ORI, value="TX0000000", agency=agency),
        mandate=mandate,
        office=contact.office,
        contact=contact,
        link=link,
        case=case,
        subject=subject,
        item=item,
        update=update,
        flag=flag,
        secret_case=secret_case,
        secret_subject=secret_subject,
        secret_item=secret_item,
        secret_update=secret_update,
        secret_flag=secret_flag,
        commitment=commitment,
        foreign_commitment=foreign_commitment,
        users=users,
    )
