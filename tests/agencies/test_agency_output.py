"""The agency resource's output, pinned field by field: the list is served by a slimmer
query and a hand-written representation (issue 7), and must answer exactly what the
generic ModelSerializer answered, in both languages, in the list and on the detail page,
with and without related rows."""

import datetime
import json

import pytest

from agencies.api.serializers import AgencySerializer
from agencies.models import Agency, AgencyName
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
    mexico,
    united_states,
)

pytestmark = pytest.mark.django_db


def stamp(value: datetime.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def still_valid_on(today: datetime.date) -> datetime.date:
    """The end of a validity that is years away whatever day the test runs."""
    return today + datetime.timedelta(days=14 * 365)


@pytest.fixture
def fiscalia(today):
    """A state prosecutor with every field filled: parent, sources, validity dates, three other names."""
    tracing = FunctionalAreaFactory(slug="criminal-investigation")
    chihuahua = JurisdictionFactory(code="MX-CHH", parent=mexico(), name="Chihuahua", name_es="Chihuahua")
    texas = JurisdictionFactory(code="US-TX", parent=united_states())
    parent = AgencyFactory(
        slug="mx-fgr", acronym="FGR", name="Attorney General", name_es="Fiscalía General", country=mexico()
    )
    agency = AgencyFactory(
        slug="mx-chh-fge",
        acronym="FGE",
        name="Chihuahua State Attorney General",
        name_es="Fiscalía General del Estado de Chihuahua",
        country=mexico(),
        jurisdiction=chihuahua,
        level=Agency.Level.STATE,
        kind=Agency.Kind.PROSECUTION,
        parent=parent,
        website="https://fiscalia.chihuahua.gob.mx/",
        description="Prosecutes state crimes.",
        description_es="Persigue los delitos del fuero común.",
        valid_from=datetime.date(2017, 1, 1),
        valid_to=still_valid_on(today),
        sources=["https://example.org/a", "https://example.org/b"],
    )
    AgencyNameFactory(agency=agency, name="PGJE", language="es", kind=AgencyName.Kind.ACRONYM)
    AgencyNameFactory(
        agency=agency,
        name="Procuraduría General de Justicia del Estado",
        language="es",
        kind=AgencyName.Kind.FORMER,
        end_date=datetime.date(2016, 12, 31),
    )
    AgencyNameFactory(agency=agency, name="Chihuahua AG", language="en", kind=AgencyName.Kind.ALTERNATE)
    MandateFactory(agency=agency, function=tracing, jurisdictions=[texas])
    bare = AgencyFactory(
        slug="xx-bare",
        acronym="",
        name="Bare Binational Body",
        name_es="",
        country=None,
        jurisdiction=None,
        level=Agency.Level.BINATIONAL,
        kind="",
    )
    MandateFactory(agency=bare, function=tracing, jurisdictions=[united_states()])
    agency.refresh_from_db()
    bare.refresh_from_db()
    return agency, bare


def expected(agency: Agency, bare: Agency, *, spanish: bool, today: datetime.date) -> tuple[dict, dict]:
    full = {
        "slug": "mx-chh-fge",
        "acronym": "FGE",
        "name": "Chihuahua State Attorney General",
        "name_es": "Fiscalía General del Estado de Chihuahua",
        "display_name": ("Fiscalía General del Estado de Chihuahua" if spanish else "Chihuahua State Attorney General"),
        "country": "MX",
        "jurisdiction": "MX-CHH",
        "level": "state",
        "kind": "prosecution",
        "parent": "mx-fgr",
        "website": "https://fiscalia.chihuahua.gob.mx/",
        "description": "Prosecutes state crimes.",
        "description_es": "Persigue los delitos del fuero común.",
        "active": True,
        "valid_from": "2017-01-01",
        "valid_to": still_valid_on(today).isoformat(),
        "sources": ["https://example.org/a", "https://example.org/b"],
        # Added beside `sources` (issue 19): each URL's kind; example.org is no official domain.
        "source_details": [
            {"url": "https://example.org/a", "kind": "secondary"},
            {"url": "https://example.org/b", "kind": "secondary"},
        ],
        # The model's order of other names: kind, then name.
        "other_names": [
            {"name": "PGJE", "language": "es", "kind": "acronym", "end_date": None},
            {"name": "Chihuahua AG", "language": "en", "kind": "alternate", "end_date": None},
            {
                "name": "Procuraduría General de Justicia del Estado",
                "language": "es",
                "kind": "former",
                "end_date": "2016-12-31",
            },
        ],
        "created_at": stamp(agency.created_at),
        "updated_at": stamp(agency.updated_at),
    }
    empty = {
        "slug": "xx-bare",
        "acronym": "",
        "name": "Bare Binational Body",
        "name_es": "",
        "display_name": "Bare Binational Body",  # no Spanish name: the English one in either language
        "country": None,
        "jurisdiction": None,
        "level": "binational",
        "kind": "",
        "parent": None,
        "website": "",
        "description": "",
        "description_es": "",
        "active": True,
        "valid_from": None,
        "valid_to": None,
        "sources": [],
        "source_details": [],
        "other_names": [],
        "created_at": stamp(bare.created_at),
        "updated_at": stamp(bare.updated_at),
    }
    return full, empty


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_filtered_list_answers_every_field_as_before(api, fiscalia, language, today):
    agency, bare = fiscalia
    response = api.get(
        "/api/v1/agencies/",
        {"function": "criminal-investigation", "jurisdiction": "US-TX"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    full, empty = expected(agency, bare, spanish=language == "es", today=today)
    assert list(rows["mx-chh-fge"]) == list(full)  # the field order too
    assert rows["mx-chh-fge"] == full
    assert rows["xx-bare"] == empty


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_detail_and_the_unfiltered_list_answer_the_same(api, fiscalia, language, today):
    agency, bare = fiscalia
    full, empty = expected(agency, bare, spanish=language == "es", today=today)
    detail = api.get("/api/v1/agencies/mx-chh-fge/", HTTP_ACCEPT_LANGUAGE=language)
    assert detail.status_code == 200
    assert detail.json() == full
    listed = {row["slug"]: row for row in api.get("/api/v1/agencies/", HTTP_ACCEPT_LANGUAGE=language).json()["results"]}
    assert listed["mx-chh-fge"] == full
    assert listed["xx-bare"] == empty
    assert listed["mx-fgr"]["other_names"] == []


def test_the_representation_equals_the_generic_model_serializers(fiscalia):
    """Whatever way the agency was read (plain, with related rows joined, as the list reads
    it), the output is the one DRF's generic field-by-field representation gives."""
    agency, bare = fiscalia
    for instance in [agency, bare, Agency.objects.get(pk=agency.pk), Agency.objects.get(pk=bare.pk)]:
        serializer = AgencySerializer(instance)
        generic = super(AgencySerializer, serializer).to_representation(instance)
        assert json.dumps(serializer.data, default=str) == json.dumps(generic, default=str)


def test_the_brief_form_is_unchanged(api, fiscalia):
    response = api.get("/api/v1/agencies/", {"brief": 1, "function": "criminal-investigation", "jurisdiction": "US-TX"})
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert rows["mx-chh-fge"] == {
        "slug": "mx-chh-fge",
        "acronym": "FGE",
        "name": "Chihuahua State Attorney General",
        "name_es": "Fiscalía General del Estado de Chihuahua",
        "display_name": "Chihuahua State Attorney General",
        "country": "MX",
        "level": "state",
    }


def test_a_write_answers_the_same_representation(admin_api, fiscalia, today):
    agency, bare = fiscalia
    response = admin_api.patch("/api/v1/agencies/mx-chh-fge/", {"website": "https://fge.example.mx/"}, format="json")
    assert response.status_code == 200, response.json()
    agency.refresh_from_db()
    full, _empty = expected(agency, bare, spanish=False, today=today)
    assert response.json() == {**full, "website": "https://fge.example.mx/"}
    # The write kept the search columns (a list reads fewer columns; a write must not lose them).
    assert "pgje" in agency.search_text
