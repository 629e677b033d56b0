"""Small builders for the flag tests: places, agencies, mandates, cases, subjects and items."""

import datetime

from cases.models import ActionItem, Case, CaseParticipant, CaseSubject
from flags.detectors import DETECTORS
from flags.models import Flag, FlagStatus
from tests.factories import (
    AgencyFactory,
    ContactFactory,
    CountryFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
)


def places():
    """US ⊃ Texas ⊃ El Paso port; US ⊃ Arizona; MX ⊃ Chihuahua."""
    us = CountryFactory(code="US", name="United States", name_es="Estados Unidos")
    mx = CountryFactory(code="MX", name="Mexico", name_es="México")
    tx = JurisdictionFactory(code="US-TX", name="Texas", name_es="Texas", parent=us)
    az = JurisdictionFactory(code="US-AZ", name="Arizona", name_es="Arizona", parent=us)
    elp = JurisdictionFactory(code="US-ELP", kind="port-of-entry", name="El Paso", name_es="El Paso", parent=tx)
    chh = JurisdictionFactory(code="MX-CHH", name="Chihuahua", name_es="Chihuahua", parent=mx)
    return {"US": us, "MX": mx, "US-TX": tx, "US-AZ": az, "US-ELP": elp, "MX-CHH": chh}


def agency(slug: str, country, *, level="federal", parent=None, **kwargs):
    return AgencyFactory(
        slug=slug,
        acronym=kwargs.pop("acronym", slug.split("-", 1)[1].upper()),
        country=country,
        jurisdiction=kwargs.pop("jurisdiction", country),
        level=level,
        parent=parent,
        **kwargs,
    )


def function(slug="criminal-investigation", name="Criminal investigation", name_es="Investigación criminal"):
    return FunctionalAreaFactory(slug=slug, name=name, name_es=name_es)


def mandate(agency, function, places, *, role="primary", **kwargs):
    return MandateFactory(agency=agency, function=function, role=role, jurisdictions=list(places), **kwargs)


def liaison(agency, *functions, **kwargs):
    return ContactFactory(agency=agency, functions=list(functions), **kwargs)


def two_investigators():
    """ATF and HSI, both U.S. federal, each with a liaison for criminal investigation and no
    mandate yet: the two sides of a mandate overlap."""
    geo = places()
    investigation = function()
    atf = agency("us-atf", geo["US"])
    hsi = agency("us-hsi", geo["US"])
    liaison(atf, investigation)
    liaison(hsi, investigation)
    return geo, investigation, atf, hsi


def case(lead, *, title="Case", sensitivity="restricted", contact=None, others=()):
    item = Case.objects.create(title=title, lead_agency=lead, sensitivity=sensitivity)
    CaseParticipant.objects.create(case=item, agency=lead, role="lead", contact=contact)
    for other in others:
        CaseParticipant.objects.create(case=item, agency=other, role="support")
    return item


def firearm(case, serial, make="Colt"):
    return CaseSubject.objects.create(case=case, kind="firearm", identifier=serial, make=make)


def subject(case, kind, identifier):
    return CaseSubject.objects.create(case=case, kind=kind, identifier=identifier)


def action(case, owner, function, *, status="open", title="Trace the rifles"):
    extra = {"completed_at": datetime.datetime.now(tz=datetime.UTC)} if status == "done" else {}
    return ActionItem.objects.create(case=case, owner=owner, function=function, status=status, title=title, **extra)


def found(kind) -> list:
    """What the detector finds now, over the whole registry."""
    return DETECTORS[kind].find(None)


def live(kind=None) -> list[Flag]:
    flags = Flag.objects.filter(status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED])
    if kind:
        flags = flags.filter(kind=kind)
    return list(flags.prefetch_related("agencies"))


def addressed(flag) -> set[str]:
    return {a.slug for a in flag.agencies.all()}


def run_queued_tasks():
    """Run what the commits queued for the background worker (the coordinators' digests)."""
    from django.core.management import call_command

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
