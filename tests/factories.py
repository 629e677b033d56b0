"""factory_boy factories shared by the whole suite."""

import factory
from django.contrib.auth.models import Group

from agencies.models import Agency, AgencyName, Contact, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office
from registry.models import User
from tests import dates


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ZZ-{n}")
    kind = Jurisdiction.Kind.STATE
    name = factory.LazyAttribute(lambda o: f"Place {o.code}")
    name_es = factory.LazyAttribute(lambda o: f"Lugar {o.code}")


class CountryFactory(JurisdictionFactory):
    code = factory.Sequence(lambda n: f"C{n}")
    kind = Jurisdiction.Kind.COUNTRY


class FunctionalAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FunctionalArea
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"function-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    name_es = factory.LazyAttribute(lambda o: f"Función {o.slug}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"us-agency-{n}")
    acronym = factory.Sequence(lambda n: f"AG{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    name_es = factory.Sequence(lambda n: f"Agencia {n}")
    country = factory.SubFactory(CountryFactory, code="US", name="United States", name_es="Estados Unidos")
    jurisdiction = factory.LazyAttribute(lambda o: o.country)
    level = Agency.Level.FEDERAL
    kind = Agency.Kind.LAW_ENFORCEMENT


class AgencyNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyName

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Other name {n}")
    language = "en"
    kind = AgencyName.Kind.ALTERNATE


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    function = factory.SubFactory(FunctionalAreaFactory)
    role = Mandate.Role.PRIMARY
    legal_basis = "Test Act"

    @factory.post_generation
    def jurisdictions(self, create, extracted, **kwargs):
        if not create:
            return
        places = (
            extracted if extracted is not None else ([self.agency.jurisdiction] if self.agency.jurisdiction else [])
        )
        self.jurisdictions.set(places)


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Office {n}")
    city = "El Paso"
    phone = "+19155550100"
    email = factory.Sequence(lambda n: f"office{n}@example.gov")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Contact Person {n}")
    title = "Liaison officer"
    email = factory.Sequence(lambda n: f"person{n}@example.gov")
    phone = "+12025550143"
    speaks_en = True
    speaks_es = True
    time_zone = "America/Chicago"
    verified_on = factory.LazyFunction(lambda: dates.days_from_today(-30))
    active = True

    @factory.post_generation
    def functions(self, create, extracted, **kwargs):
        if create and extracted:
            self.functions.set(extracted)


class CounterpartLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CounterpartLink

    agency_a = factory.SubFactory(AgencyFactory)
    agency_b = factory.SubFactory(AgencyFactory)
    function = factory.SubFactory(FunctionalAreaFactory)
    instrument = "Memorandum of understanding"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")
    agency = factory.SubFactory(AgencyFactory)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def united_states() -> Jurisdiction:
    """The country US (one row, however often it is asked for)."""
    return CountryFactory(code="US", name="United States", name_es="Estados Unidos")


def mexico() -> Jurisdiction:
    """The country MX (one row, however often it is asked for)."""
    return CountryFactory(code="MX", name="Mexico", name_es="México")
