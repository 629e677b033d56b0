"""One generic set of API checks, run for every catalog resource (NetBox style): each
resource only supplies how to make an object and what to write.

Checked for each: list and get (anonymous, each role), brief form, create / update /
delete by admin staff (with ETag and If-Match), 401 for anonymous writes, 403 for the
other roles, the audit trail, and a constant number of SQL queries per list page.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from agencies.models import Agency, AgencyName, Contact, CounterpartLink, FunctionalArea, Jurisdiction, Mandate, Office
from tests.factories import (
    AgencyFactory,
    AgencyNameFactory,
    ContactFactory,
    CounterpartLinkFactory,
    FunctionalAreaFactory,
    JurisdictionFactory,
    MandateFactory,
    OfficeFactory,
    mexico,
    united_states,
)

pytestmark = pytest.mark.django_db


def us_state(code="US-TX"):
    return JurisdictionFactory(code=code, parent=united_states())


def mx_state(code="MX-CHH"):
    return JurisdictionFactory(code=code, parent=mexico())


@dataclass
class Resource:
    path: str
    model: type
    make: Callable[[], Any]
    lookup: Callable[[Any], str]
    create_data: Callable[[], dict]
    update_data: Callable[[Any], dict]
    public: bool = True
    # Makes one richly related object (m2m and nested rows filled) for the query-count check.
    make_rich: Callable[[int], Any] | None = None
    extra: dict = field(default_factory=dict)

    def url(self, obj=None) -> str:
        return f"/api/v1/{self.path}/" if obj is None else f"/api/v1/{self.path}/{self.lookup(obj)}/"


def rich_jurisdiction(n):
    place = JurisdictionFactory(code=f"US-Q{n}", parent=united_states())
    place.borders.set([mx_state(f"MX-Q{n}"), mx_state(f"MX-R{n}")])
    return place


def rich_agency(n):
    agency = AgencyFactory(slug=f"us-rich-{n}", parent=AgencyFactory(slug=f"us-parent-{n}"))
    AgencyNameFactory(agency=agency, name=f"Former name {n}", kind=AgencyName.Kind.FORMER)
    AgencyNameFactory(agency=agency, name=f"RA{n}", kind=AgencyName.Kind.ACRONYM)
    return agency


def rich_mandate(n):
    return MandateFactory(jurisdictions=[us_state(f"US-M{n}"), us_state(f"US-N{n}")])


def rich_contact(n):
    agency = AgencyFactory()
    contact = ContactFactory(agency=agency, office=OfficeFactory(agency=agency))
    contact.functions.set([FunctionalAreaFactory(), FunctionalAreaFactory()])
    return contact


RESOURCES = [
    Resource(
        path="jurisdictions",
        model=Jurisdiction,
        make=lambda: JurisdictionFactory(code="US-AZ", parent=united_states(), name="Arizona"),
        lookup=lambda obj: obj.code,
        create_data=lambda: {
            "code": "US-NM",
            "kind": "state",
            "name": "New Mexico",
            "name_es": "Nuevo México",
            "parent": united_states().code,
            "borders": [mx_state("MX-CHH").code],
        },
        update_data=lambda obj: {"name": "Arizona (state)"},
        make_rich=rich_jurisdiction,
    ),
    Resource(
        path="functions",
        model=FunctionalArea,
        make=lambda: FunctionalAreaFactory(slug="firearms-tracing"),
        lookup=lambda obj: obj.slug,
        create_data=lambda: {"slug": "customs", "name": "Customs", "name_es": "Aduanas"},
        update_data=lambda obj: {"name_es": "Rastreo de armas"},
        make_rich=lambda n: FunctionalAreaFactory(),
    ),
    Resource(
        path="agencies",
        model=Agency,
        make=lambda: AgencyFactory(slug="us-atf", acronym="ATF"),
        lookup=lambda obj: obj.slug,
        create_data=lambda: {
            "slug": "us-dea",
            "acronym": "DEA",
            "name": "Drug Enforcement Administration",
            "name_es": "Administración para el Control de Drogas",
            "country": united_states().code,
            "level": "federal",
            "kind": "law-enforcement",
            "sources": ["https://www.dea.gov/"],
        },
        update_data=lambda obj: {"website": "https://www.atf.gov/"},
        make_rich=rich_agency,
    ),
    Resource(
        path="agency-names",
        model=AgencyName,
        make=lambda: AgencyNameFactory(name="Procuraduría General de la República", language="es"),
        lookup=lambda obj: str(obj.pk),
        create_data=lambda: {
            "agency": AgencyFactory(slug="mx-fgr", country=mexico()).slug,
            "name": "PGR",
            "language": "es",
            "kind": "acronym",
        },
        update_data=lambda obj: {"note": "Until 2018"},
        make_rich=lambda n: AgencyNameFactory(),
    ),
    Resource(
        path="mandates",
        model=Mandate,
        make=lambda: MandateFactory(jurisdictions=[united_states()]),
        lookup=lambda obj: str(obj.pk),
        create_data=lambda: {
            "agency": AgencyFactory(slug="us-cbp").slug,
            "function": FunctionalAreaFactory(slug="border-interdiction").slug,
            "jurisdictions": [us_state("US-TX").code, us_state("US-AZ").code],
            "role": "primary",
            "legal_basis": "19 U.S.C.",
        },
        update_data=lambda obj: {"role": "supporting"},
        make_rich=rich_mandate,
    ),
    Resource(
        path="offices",
        model=Office,
        make=lambda: OfficeFactory(name="El Paso Field Division"),
        lookup=lambda obj: str(obj.pk),
        create_data=lambda: {
            "agency": AgencyFactory(slug="us-atf").slug,
            "name": "Mexico City Country Office",
            "jurisdiction": mexico().code,
            "city": "Ciudad de México",
            "phone": "+52 55 5080 2000",
        },
        update_data=lambda obj: {"city": "Houston"},
        make_rich=lambda n: OfficeFactory(jurisdiction=us_state(f"US-O{n}")),
    ),
    Resource(
        path="contacts",
        model=Contact,
        make=lambda: ContactFactory(name="Ana Ejemplo"),
        lookup=lambda obj: str(obj.pk),
        create_data=lambda: {
            "agency": AgencyFactory(slug="us-hsi").slug,
            "name": "Border desk",
            "is_desk": True,
            "email": "desk@example.gov",
            "phone": "+1 202 555 0147",
            "languages": ["en", "es"],
            "time_zone": "America/Chicago",
            "functions": [FunctionalAreaFactory(slug="criminal-investigation").slug],
        },
        update_data=lambda obj: {"title": "Deputy attaché"},
        public=False,
        make_rich=rich_contact,
    ),
    Resource(
        path="counterpart-links",
        model=CounterpartLink,
        make=lambda: CounterpartLinkFactory(agency_b=AgencyFactory(slug="mx-fgr", country=mexico())),
        lookup=lambda obj: str(obj.pk),
        create_data=lambda: {
            "agency_a": AgencyFactory(slug="us-atf").slug,
            "agency_b": AgencyFactory(slug="mx-sedena", country=mexico()).slug,
            "function": FunctionalAreaFactory(slug="firearms-tracing").slug,
            "instrument": "Memorandum of understanding on eTrace",
            "signed_on": "2019-05-01",
        },
        update_data=lambda obj: {"note": "Renewed"},
        make_rich=lambda n: CounterpartLinkFactory(),
    ),
]
IDS = [resource.path for resource in RESOURCES]


@pytest.fixture(params=RESOURCES, ids=IDS)
def resource(request):
    return request.param


def clients(request, names):
    return {name: request.getfixturevalue(name) for name in names}


# Reading ---------------------------------------------------------------------------------


def test_anonymous_reads_public_resources_and_gets_401_for_contacts(api, resource):
    obj = resource.make()
    listing, one = api.get(resource.url()), api.get(resource.url(obj))
    if resource.public:
        assert listing.status_code == 200
        assert listing.json()["count"] == resource.model.objects.count()
        assert one.status_code == 200
    else:
        assert listing.status_code == 401
        assert one.status_code == 401
        assert "Token" in listing["WWW-Authenticate"]


@pytest.mark.parametrize("role_client", ["admin_api", "coordinator_api", "liaison_api"])
def test_every_role_reads(request, resource, role_client):
    client = request.getfixturevalue(role_client)
    obj = resource.make()
    listing = client.get(resource.url())
    assert listing.status_code == 200
    assert set(listing.json()) == {"count", "next", "previous", "results"}
    one = client.get(resource.url(obj))
    assert one.status_code == 200
    assert one["ETag"].startswith('"')


def test_get_unknown_is_404(admin_api, resource):
    response = admin_api.get(f"/api/v1/{resource.path}/999999/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_brief_form_has_fewer_fields(admin_api, resource):
    obj = resource.make()
    full = admin_api.get(resource.url(obj)).json()
    brief = admin_api.get(resource.url(obj), {"brief": 1}).json()
    assert set(brief) < set(full)
    listed = admin_api.get(resource.url(), {"brief": "true"}).json()["results"]
    assert set(listed[0]) == set(brief)


def test_pagination_limit_and_offset(admin_api, resource):
    for n in range(4):
        resource.make_rich(n)
    total = resource.model.objects.count()
    page = admin_api.get(resource.url(), {"limit": 2, "offset": 1}).json()
    assert page["count"] == total
    assert len(page["results"]) == 2
    assert "offset=3" in page["next"]


def test_a_list_costs_the_same_queries_for_5_and_100_rows(admin_api, resource, count_queries):
    for n in range(8):
        resource.make_rich(n)
    assert resource.model.objects.count() >= 8
    small, small_count = count_queries(lambda: admin_api.get(resource.url(), {"limit": 5}))
    large, large_count = count_queries(lambda: admin_api.get(resource.url(), {"limit": 100}))
    assert small.status_code == large.status_code == 200
    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) >= 8
    assert small_count == large_count, (small_count, large_count)
    _, brief_count = count_queries(lambda: admin_api.get(resource.url(), {"limit": 100, "brief": 1}))
    assert brief_count <= large_count


# Writing ---------------------------------------------------------------------------------


def test_admin_staff_creates_and_the_audit_trail_records_who(admin_api, admin_user, resource):
    data = resource.create_data()
    before = resource.model.objects.count()
    response = admin_api.post(resource.url(), data, format="json")
    assert response.status_code == 201, response.json()
    assert resource.model.objects.count() == before + 1
    created = resource.model.objects.latest("created_at")
    record = created.history.earliest()
    assert record.history_type == "+"
    assert record.history_user == admin_user
    trail = admin_api.get("/api/v1/history/", {"model": resource.model._meta.model_name, "object": created.pk})
    assert trail.status_code == 200
    assert trail.json()["results"][-1]["action"] == "+"
    assert trail.json()["results"][-1]["user"] == admin_user.username


@pytest.mark.parametrize("role_client", ["coordinator_api", "liaison_api"])
def test_other_roles_may_not_write(request, resource, role_client):
    client = request.getfixturevalue(role_client)
    obj = resource.make()
    data = resource.create_data()
    count = resource.model.objects.count()
    assert client.post(resource.url(), data, format="json").status_code == 403
    assert client.patch(resource.url(obj), resource.update_data(obj), format="json").status_code == 403
    assert client.delete(resource.url(obj)).status_code == 403
    assert resource.model.objects.count() == count


def test_anonymous_may_not_write(api, resource):
    obj = resource.make()
    data = resource.create_data()
    count = resource.model.objects.count()
    assert api.post(resource.url(), data, format="json").status_code == 401
    assert api.patch(resource.url(obj), resource.update_data(obj), format="json").status_code == 401
    assert api.delete(resource.url(obj)).status_code == 401
    assert resource.model.objects.count() == count


def test_update_with_a_fresh_etag_then_a_stale_one(admin_api, admin_user, resource):
    obj = resource.make()
    etag = admin_api.get(resource.url(obj))["ETag"]
    changes = resource.update_data(obj)
    response = admin_api.patch(resource.url(obj), changes, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    for key, value in changes.items():
        assert response.json()[key] == value
    assert response["ETag"] != etag
    # The same, now stale, ETag changes nothing.
    stale = admin_api.patch(resource.url(obj), changes, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert admin_api.delete(resource.url(obj), HTTP_IF_MATCH=etag).status_code == 412
    assert resource.model.objects.filter(pk=obj.pk).exists()
    record = obj.history.latest()
    assert record.history_type == "~"
    assert record.history_user == admin_user
    trail = admin_api.get("/api/v1/history/", {"model": resource.model._meta.model_name, "object": obj.pk}).json()
    changed = {change["field"]: change for change in trail["results"][0]["changes"]}
    for key, value in changes.items():
        assert changed[key]["new"] == value


def test_delete_by_admin_staff_is_kept_in_the_audit_trail(admin_api, admin_user, resource):
    obj = resource.make()
    etag = admin_api.get(resource.url(obj))["ETag"]
    assert admin_api.delete(resource.url(obj), HTTP_IF_MATCH=etag).status_code == 204
    assert not resource.model.objects.filter(pk=obj.pk).exists()
    record = resource.model.history.filter(id=obj.pk).latest()
    assert record.history_type == "-"
    assert record.history_user == admin_user


def test_invalid_input_is_400_naming_the_field(admin_api, resource):
    data = resource.create_data()
    key = next(key for key in data if key not in {"languages", "sources", "borders", "jurisdictions", "functions"})
    data[key] = "" if key not in {"signed_on"} else "not-a-date"
    response = admin_api.post(resource.url(), data, format="json")
    assert response.status_code == 400
    assert key in response.json()


# Resource-specific rules --------------------------------------------------------------


def test_agency_filters_by_function_and_jurisdiction_with_containment(api):
    tracing = FunctionalAreaFactory(slug="firearms-tracing")
    customs = FunctionalAreaFactory(slug="customs")
    texas = us_state("US-TX")
    national = AgencyFactory(slug="us-atf")
    MandateFactory(agency=national, function=tracing, jurisdictions=[united_states()])
    local = AgencyFactory(slug="us-tx-dps", level=Agency.Level.STATE, jurisdiction=texas)
    MandateFactory(agency=local, function=customs, jurisdictions=[texas])
    elsewhere = AgencyFactory(slug="us-az-dps")
    MandateFactory(agency=elsewhere, function=tracing, jurisdictions=[us_state("US-AZ")])

    def slugs(**params):
        response = api.get("/api/v1/agencies/", params)
        assert response.status_code == 200
        return {row["slug"] for row in response.json()["results"]}

    assert slugs(jurisdiction="US-TX") == {"us-atf", "us-tx-dps"}
    assert slugs(jurisdiction="US") == {"us-atf"}
    assert slugs(function="firearms-tracing") == {"us-atf", "us-az-dps"}
    # Both at once: one mandate must hold both, so the Texas customs agency is out.
    assert slugs(function="firearms-tracing", jurisdiction="US-TX") == {"us-atf"}
    assert slugs(function="customs", jurisdiction="US-TX") == {"us-tx-dps"}
    assert slugs(jurisdiction="XX-NOWHERE") == set()
    assert slugs(level="state") == {"us-tx-dps"}
    assert slugs(parent="us-atf") == set()


def test_agency_filter_with_a_bad_choice_is_400_naming_it(api):
    response = api.get("/api/v1/agencies/", {"level": "galactic"})
    assert response.status_code == 400
    assert "level" in response.json()


def test_mandate_filters(api):
    tracing = FunctionalAreaFactory(slug="firearms-tracing")
    atf = AgencyFactory(slug="us-atf")
    national = MandateFactory(agency=atf, function=tracing, jurisdictions=[united_states()])
    texas_only = MandateFactory(role=Mandate.Role.SUPPORTING, jurisdictions=[us_state("US-TX")])

    def ids(**params):
        return {row["id"] for row in api.get("/api/v1/mandates/", params).json()["results"]}

    assert ids(jurisdiction="US-TX") == {national.pk, texas_only.pk}
    assert ids(jurisdiction="US") == {national.pk}
    assert ids(agency="us-atf") == {national.pk}
    assert ids(function="firearms-tracing") == {national.pk}
    assert ids(role="supporting") == {texas_only.pk}


def test_contact_filters_and_blocked_contacts_are_hidden(liaison_api):
    tracing = FunctionalAreaFactory(slug="firearms-tracing")
    speaker = ContactFactory(name="Ana Ejemplo", speaks_en=False, functions=[tracing])
    other = ContactFactory(name="Bob Example", speaks_es=False)
    blocked = ContactFactory(
        name="Carla Bloqueada", functions=[tracing], blocked_at=datetime.datetime.now(datetime.UTC)
    )

    def ids(**params):
        response = liaison_api.get("/api/v1/contacts/", params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {speaker.pk, other.pk}
    assert ids(function="firearms-tracing") == {speaker.pk}
    assert ids(language="es") == {speaker.pk}
    assert ids(q="ejemplo") == {speaker.pk}
    assert liaison_api.get(f"/api/v1/contacts/{blocked.pk}/").status_code == 404


def test_contact_office_of_another_agency_is_refused(admin_api):
    office = OfficeFactory()
    data = RESOURCES[6].create_data() | {"office": office.pk}
    response = admin_api.post("/api/v1/contacts/", data, format="json")
    assert response.status_code == 400
    assert "office" in response.json()


def test_phone_numbers_are_validated_and_stored_as_e164(admin_api):
    data = RESOURCES[6].create_data()
    bad = admin_api.post("/api/v1/contacts/", data | {"phone": "12"}, format="json")
    assert bad.status_code == 400
    assert "phone" in bad.json()
    good = admin_api.post("/api/v1/contacts/", data | {"phone": "+1 (202) 555-0147"}, format="json")
    assert good.status_code == 201
    assert good.json()["phone"] == "+12025550147"


def test_jurisdiction_borders_are_symmetric_through_the_api(admin_api):
    texas = us_state("US-TX")
    chihuahua = mx_state("MX-CHH")
    response = admin_api.patch(f"/api/v1/jurisdictions/{texas.code}/", {"borders": ["MX-CHH"]}, format="json")
    assert response.status_code == 200
    assert admin_api.get(f"/api/v1/jurisdictions/{chihuahua.code}/").json()["borders"] == ["US-TX"]


def test_errors_answer_in_spanish_when_asked(api):
    english = api.get("/api/v1/contacts/")
    spanish = api.get("/api/v1/contacts/", HTTP_ACCEPT_LANGUAGE="es")
    assert english.status_code == spanish.status_code == 401
    assert english.json()["detail"] != spanish.json()["detail"]
    assert "autenticación" in spanish.json()["detail"]


# Personal data never reaches anonymous users -----------------------------------------

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\+\d[\d\s().-]{6,}")


def strings_in(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item, path)
    elif isinstance(value, str):
        yield path, value


def test_no_anonymous_answer_carries_a_persons_email_or_phone(api):
    tracing = FunctionalAreaFactory(slug="firearms-tracing")
    atf = AgencyFactory(slug="us-atf")
    fgr = AgencyFactory(slug="mx-fgr", country=mexico())
    MandateFactory(agency=atf, function=tracing, jurisdictions=[united_states()])
    MandateFactory(agency=fgr, function=tracing, jurisdictions=[mexico()])
    office = OfficeFactory(agency=fgr, email="oficina@example.gob.mx", phone="+525550802000")
    people = [
        ContactFactory(agency=fgr, office=office, email="ana.ejemplo@example.gob.mx", functions=[tracing]),
        ContactFactory(agency=atf, email="bob.example@example.gov", phone="+12025550111", functions=[tracing]),
    ]
    CounterpartLinkFactory(agency_a=atf, agency_b=fgr, function=tracing)
    urls = [f"/api/v1/{resource.path}/" for resource in RESOURCES if resource.public]
    urls += [
        f"/api/v1/{resource.path}/{resource.lookup(obj)}/"
        for resource, obj in [(RESOURCES[2], atf), (RESOURCES[2], fgr), (RESOURCES[5], office)]
    ]
    urls += [
        "/api/v1/agencies/us-atf/counterparts/?function=firearms-tracing",
        "/api/v1/agencies/mx-fgr/counterparts/?function=firearms-tracing",
        "/api/v1/agencies/?q=agency",
    ]
    counterparts_seen = 0
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for person in people:
            assert person.email not in text
            assert str(person.phone) not in text
            assert person.name not in text
        for path, value in strings_in(response.json()):
            if EMAIL.search(value) or PHONE.search(value):
                # Only an office's public channel may carry an address or a number.
                assert url.startswith("/api/v1/offices/") and path[-1] in {"email", "phone"}, (url, path, value)
        if "counterparts" in url:
            rows = response.json()["results"]
            counterparts_seen += len(rows)
            assert all(row["contacts"] == [] for row in rows)
    assert counterparts_seen == 2


@pytest.mark.parametrize(
    ("filterset", "required"),
    [
        ("AgencyFilterSet", {"country", "level", "parent", "function", "jurisdiction", "q"}),
        ("AgencyNameFilterSet", {"agency", "kind", "language", "q"}),
        ("FunctionalAreaFilterSet", {"q"}),
        ("JurisdictionFilterSet", {"kind", "parent", "borders", "q"}),
        ("MandateFilterSet", {"agency", "function", "jurisdiction", "role", "q"}),
        ("OfficeFilterSet", {"agency", "jurisdiction", "q"}),
        ("ContactFilterSet", {"agency", "function", "language", "q"}),
        ("CounterpartLinkFilterSet", {"agency", "function", "q"}),
    ],
)
def test_every_filter_of_api_md_exists(filterset, required):
    from agencies import filtersets

    assert required <= set(getattr(filtersets, filterset).base_filters)


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (None, "Este campo no puede ser nulo."),
        ("https://www.dea.gov/", 'Se esperaba una lista de elementos en vez del tipo "str".'),
        (["javascript:alert(1)"], "Introduzca una URL válida."),
        (["https://user:secret@www.dea.gov/"], "Introduzca una URL válida."),
    ],
)
def test_sources_are_a_list_of_urls_or_a_400_naming_them(admin_api, sources, message):
    AgencyFactory(slug="us-dea")
    response = admin_api.patch(
        "/api/v1/agencies/us-dea/", {"sources": sources}, format="json", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 400
    errors = response.json()["sources"]
    assert message in (errors if isinstance(errors, list) else [m for ms in errors.values() for m in ms])
    assert admin_api.patch("/api/v1/agencies/us-dea/", {"sources": []}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/api/v1/functions/", "name", 0),
        ("/api/v1/functions/", "slug", 12),
        ("/api/v1/functions/", "description", ["a"]),
        ("/api/v1/functions/", "name", True),
    ],
)
def test_a_string_field_takes_only_text(admin_api, path, field, value):
    """DRF would save `0` as "0"; the schema says `string`, so a number is a 400 naming the field."""
    data = {"slug": "border-liaison", "name": "Border liaison", "name_es": "Enlace fronterizo"} | {field: value}
    response = admin_api.post(path, data, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response.json()[field] == ["Indique texto (una cadena JSON), no un número ni otro tipo."]
    assert not FunctionalArea.objects.filter(slug__in=["border-liaison", "12"]).exists()


@pytest.mark.parametrize("website", [" https://www.dea.gov/", "https://www.dea.gov/\n", "http://[::1]/"])
def test_a_url_the_schema_refuses_is_refused(admin_api, website):
    AgencyFactory(slug="us-dea")
    response = admin_api.patch("/api/v1/agencies/us-dea/", {"website": website}, format="json")
    assert response.status_code == 400
    assert "website" in response.json()


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_parent_clears_it_as_the_schema_says(admin_api, empty):
    AgencyFactory(slug="us-doj")
    AgencyFactory(slug="us-dea", parent=Agency.objects.get(slug="us-doj"))
    response = admin_api.patch("/api/v1/agencies/us-dea/", {"parent": empty}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["parent"] is None
    assert Agency.objects.get(slug="us-dea").parent is None


@pytest.mark.parametrize(
    "field, value",
    [("function", 0), ("function", ["firearms-tracing"]), ("agency_a", {"slug": "us-atf"})],
)
def test_a_related_object_is_named_only_by_its_identifier_as_text(admin_api, field, value):
    """`"function": 0` was looked up as the slug "0" (fuzz negative_data_rejection)."""
    AgencyFactory(slug="us-atf", country=united_states())
    AgencyFactory(slug="mx-fgr", country=mexico())
    FunctionalAreaFactory(slug="firearms-tracing")
    FunctionalAreaFactory(slug="0")  # what a number would have been read as
    body = {"agency_a": "us-atf", "agency_b": "mx-fgr", "function": "firearms-tracing", field: value}
    response = admin_api.post("/api/v1/counterpart-links/", body, format="json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("value", [{}, {"en": 1}, "en"])
def test_a_contacts_languages_are_only_a_list(admin_api, value):
    """`"languages": {}` was read as no language (fuzz negative_data_rejection)."""
    agency = AgencyFactory(slug="us-lang")
    body = {"agency": agency.slug, "name": "Desk", "languages": value}
    response = admin_api.post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 400 and "languages" in response.json()
