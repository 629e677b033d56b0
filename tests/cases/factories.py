"""Factories for cases, participants, subjects and action items (catalog objects come from
tests/factories.py)."""

import factory

from cases.models import ActionItem, ActionUpdate, Case, CaseParticipant, CaseSubject
from tests.factories import AgencyFactory


class CaseFactory(factory.django.DjangoModelFactory):
    """A case with its lead participant (the lead agency)."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Case {n}")
    summary = "Firearms recovered near the border."
    sensitivity = Case.Sensitivity.RESTRICTED
    lead_agency = factory.SubFactory(AgencyFactory)

    @factory.post_generation
    def lead_participant(self, create, extracted, **kwargs):
        if create:
            CaseParticipant.objects.create(case=self, agency=self.lead_agency, role=CaseParticipant.Role.LEAD)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseParticipant

    case = factory.SubFactory(CaseFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = CaseParticipant.Role.SUPPORT


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseSubject

    case = factory.SubFactory(CaseFactory)
    kind = CaseSubject.Kind.FIREARM
    make = "Colt"
    identifier = factory.Sequence(lambda n: f"SN-{n:06d}")


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    title = factory.Sequence(lambda n: f"Action {n}")
    owner = factory.SubFactory(AgencyFactory)
    case = None


class ActionUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionUpdate

    item = factory.SubFactory(ActionItemFactory)
    text = "Progress noted."
