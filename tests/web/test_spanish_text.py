"""No Spanish page or Spanish API error shows an English choice slug (“en estado blocked”):
statuses, roles, sensitivities, kinds, severities and priorities are named by their labels.

The search is on what a reader sees: the visible text of a page (tags, attributes, scripts
and addresses stripped), the string values of an API error. A slug counts when it is a
lowercase word that differs from its Spanish label and is not itself Spanish (“en”, “web”)."""

import html
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.utils import translation

from cases import services
from cases.models import ActionItem, Case, CaseSubject
from flags.models import Flag, FlagKind
from flags.services import sync_all_flags
from registry.models import Role
from tests.conftest import client_for
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

APPS = ("agencies", "cases", "flags", "interchange", "privacy", "registry")
# Slugs that are also Spanish words, or language codes read as such (“en” = in, “es” = is).
SPANISH_WORDS = {"en", "es", "web", "api"}
WORD = re.compile(r"^[a-z][a-z-]*[a-z]$")


def english_slugs() -> dict[str, str]:
    """Every choice value of the project's models (and the user roles) → where it comes from,
    when a Spanish reader should see its label instead."""
    choices: list[tuple[str, object, str]] = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or []:
                choices.append((value, label, f"{model.__name__}.{field.name}"))
    choices += [(value, label, "Role") for value, label in Role.choices]
    slugs = {}
    with translation.override("es"):
        for value, label, origin in choices:
            if not isinstance(value, str) or not WORD.match(value) or value in SPANISH_WORDS:
                continue
            if value.lower() != str(label).lower():
                slugs[value] = origin
    return slugs


SLUGS = english_slugs()
SLUG_PATTERN = re.compile(
    r"(?<![\w.-])(" + "|".join(sorted(map(re.escape, SLUGS), key=len, reverse=True)) + r")(?![\w-]|\.\w)"
)
ADDRESS = re.compile(r"(https?://|/)\S*|\S+@\S+")


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, no attribute values, no script or style."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return html.unescape(" ".join(parser.parts))


def english_slugs_in(text: str) -> list[str]:
    text = ADDRESS.sub(" ", text)
    return sorted(set(SLUG_PATTERN.findall(text)))


def strings_of(data) -> list[str]:
    if isinstance(data, dict):
        return [text for value in data.values() for text in strings_of(value)]
    if isinstance(data, list):
        return [text for value in data for text in strings_of(value)]
    return [data] if isinstance(data, str) else []


def test_the_search_finds_a_slug_and_leaves_labels_tags_and_addresses_alone():
    assert {"blocked", "in-progress", "restricted", "lead", "mandate-overlap", "acknowledged", "coordinator"} <= set(
        SLUGS
    )
    assert "normal" not in SLUGS and "federal" not in SLUGS, "the same word in both languages is no slug"
    page = (
        '<p class="blocked" data-status="in-progress">Estado: <b>Bloqueado</b></p>'
        '<a href="/actions/?status=blocked">x</a><option value="restricted">Restringido</option>'
        "<script>const s = 'lead';</script> https://example.org/open/ ana@open.example"
    )
    assert english_slugs_in(visible_text(page)) == []
    assert english_slugs_in(visible_text("<p>Una acción en estado <em>blocked</em>.</p>")) == ["blocked"]
    assert english_slugs_in("Elija uno de: acknowledged, resolved") == ["acknowledged", "resolved"]
    assert english_slugs_in("coordinator.mx, ana.lead@example.mx") == [], "a user name is no slug"


@pytest.fixture
def spanish_users(catalog, coordinator_us, coordinator_mx, liaison_us):
    for user in (coordinator_us, coordinator_mx, liaison_us):
        user.language = "es"
        user.email = f"{user.username}@example.gov"
        user.save()
    return coordinator_us, coordinator_mx


@pytest.fixture
def scene(catalog, spanish_users):
    """A restricted case with a firearm also recorded in a second case, an item in each
    status a reader meets (blocked, in progress, open), and the flags they raise."""
    coordinator_us, coordinator_mx = spanish_users
    case = services.case_open(
        user=coordinator_us,
        title="Compras simuladas en El Paso",
        summary="Rifles recuperados en Ciudad Juárez.",
        sensitivity=Case.Sensitivity.RESTRICTED,
        participants=[(catalog.fgr, "support"), (catalog.sedena, "observer")],
    )
    other = services.case_open(
        user=coordinator_mx,
        title="Tráfico en Chihuahua",
        summary="",
        sensitivity=Case.Sensitivity.PUBLIC,
        participants=[],
    )
    for each, user in ((case, coordinator_us), (other, coordinator_mx)):
        services.subject_add(
            user=user, case=each, kind=CaseSubject.Kind.FIREARM, identifier="ABC123456", make="Colt", model="AR-15"
        )
    blocked = services.action_item_create(
        user=coordinator_us, case=case, owner=catalog.fgr, title="Rastrear los rifles", function=catalog.tracing
    )
    services.action_item_transition(item=blocked, user=coordinator_mx, status="blocked", reason="Falta la orden")
    moving = services.action_item_create(
        user=coordinator_us, case=case, owner=catalog.fgr, title="Pedir registros", function=catalog.tracing
    )
    services.action_item_transition(item=moving, user=coordinator_mx, status="in-progress")
    services.action_item_create(
        user=coordinator_us,
        case=case,
        owner=catalog.fgr,
        title="Compartir resultados",
        function=catalog.tracing,
        priority=ActionItem.Priority.URGENT,
    )
    sync_all_flags()
    flags = Flag.objects.all()
    assert {FlagKind.MANDATE_OVERLAP, FlagKind.SUBJECT_MATCH} <= set(flags.values_list("kind", flat=True))
    return {"case": case, "other": other, "blocked": blocked, "moving": moving, "flags": flags}


def spanish_page(client, path: str) -> str:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200, path
    assert response["Content-Language"] == "es", path
    return visible_text(response.content.decode())


def test_no_spanish_page_shows_an_english_slug(catalog, anonymous, spanish_users, scene):
    coordinator_us, coordinator_mx = spanish_users
    atf_coordinator, fgr_coordinator = signed_in(coordinator_us), signed_in(coordinator_mx)
    flag = scene["flags"].filter(kind=FlagKind.SUBJECT_MATCH).first()
    pages = [
        (anonymous, "/"),
        (anonymous, "/agencies/us-atf/"),
        (anonymous, "/agencies/mx-fgr/"),
        (anonymous, "/jurisdictions/MX/"),
        (anonymous, "/open-data/"),
        (fgr_coordinator, "/"),
        (fgr_coordinator, "/agencies/mx-fgr/"),
        (fgr_coordinator, "/counterparts/?agency=us-atf&function=firearms-tracing"),
        (fgr_coordinator, "/cases/"),
        (fgr_coordinator, f"/cases/{scene['case'].pk}/"),
        (fgr_coordinator, f"/cases/{scene['other'].pk}/"),
        (fgr_coordinator, "/actions/"),
        (fgr_coordinator, f"/actions/{scene['blocked'].pk}/"),
        (fgr_coordinator, f"/actions/{scene['moving'].pk}/"),
        (fgr_coordinator, "/flags/"),
        (fgr_coordinator, f"/flags/?flag={flag.pk}"),
        (atf_coordinator, f"/cases/{scene['case'].pk}/"),
        (atf_coordinator, "/flags/"),
    ]
    found = {path: english_slugs_in(spanish_page(client, path)) for client, path in pages}
    assert {path: slugs for path, slugs in found.items() if slugs} == {}
    # The pages do name these statuses, in Spanish.
    assert "Bloqueado" in spanish_page(fgr_coordinator, f"/actions/{scene['blocked'].pk}/")


def spanish_error(client, method: str, path: str, body: dict | None = None, expected: int = 400):
    response = getattr(client, method)(path, body or {}, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == expected, (path, body, response.content[:300])
    texts = strings_of(response.json())
    assert texts, (path, body)
    return " ".join(texts)


def test_no_spanish_api_error_shows_an_english_slug(catalog, spanish_users, scene):
    coordinator_us, coordinator_mx = spanish_users
    atf, fgr = client_for(coordinator_us), client_for(coordinator_mx)
    blocked, moving, case = scene["blocked"], scene["moving"], scene["case"]
    open_flag = scene["flags"].filter(agencies=catalog.fgr).first()
    fgr.post(f"/api/v1/flags/{open_flag.pk}/resolve/", {"status": "resolved"}, format="json")
    errors = {
        # Invalid status transitions, and an item that is blocked.
        "blocked → done": spanish_error(fgr, "patch", f"/api/v1/action-items/{blocked.pk}/", {"status": "done"}),
        "in progress → open": spanish_error(fgr, "patch", f"/api/v1/action-items/{moving.pk}/", {"status": "open"}),
        "blocked without reason": spanish_error(
            fgr, "patch", f"/api/v1/action-items/{moving.pk}/", {"status": "blocked"}
        ),
        "cancelled without reason": spanish_error(
            fgr, "patch", f"/api/v1/action-items/{moving.pk}/", {"status": "cancelled"}
        ),
        "unknown status": spanish_error(fgr, "patch", f"/api/v1/action-items/{moving.pk}/", {"status": "paused"}),
        # Validation errors of the item and case endpoints.
        "new item not open": spanish_error(
            atf,
            "post",
            "/api/v1/action-items/",
            {"title": "Otra", "owner": "us-atf", "case": case.pk, "status": "blocked", "priority": "whenever"},
        ),
        "new case not open": spanish_error(
            atf, "post", "/api/v1/cases/", {"title": "Otro", "status": "closed", "sensitivity": "secret"}
        ),
        "case status by edit": spanish_error(atf, "patch", f"/api/v1/cases/{case.pk}/", {"status": "closed"}),
        "bad participant role": spanish_error(
            atf, "post", f"/api/v1/cases/{case.pk}/participants/", {"agency": "us-hsi", "role": "boss"}
        ),
        # Flag decisions.
        "flag to open": spanish_error(
            fgr, "post", f"/api/v1/flags/{open_flag.pk}/resolve/", {"status": "open"}, expected=400
        ),
        "flag already resolved": spanish_error(
            fgr, "post", f"/api/v1/flags/{open_flag.pk}/resolve/", {"status": "dismissed", "note": "tarde"}
        ),
    }
    assert {name: english_slugs_in(text) for name, text in errors.items() if english_slugs_in(text)} == {}
    assert "«Bloqueado»" in errors["blocked → done"] and "«Hecho»" in errors["blocked → done"]
    assert "bloqueada" in errors["blocked without reason"]
    assert "«Resuelta»" in errors["flag already resolved"]


@pytest.mark.parametrize("path", ["/agencies/mx-fgr/", "/jurisdictions/MX/"])
def test_the_mandates_table_names_each_column_once_in_spanish(catalog, anonymous, path):
    page = anonymous.get(path, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    headers = re.findall(r'<th scope="col">([^<]*)</th>', page)
    assert len(headers) == len(set(headers)), headers
    assert "Función" in headers and "Papel" in headers, "a mandate's role is its “papel”, not a second “Función”"


def test_an_agency_level_and_a_jurisdiction_kind_are_told_apart_in_spanish():
    from agencies.models import Agency, Jurisdiction

    with translation.override("es"):
        assert str(Agency.Level.STATE.label) == "Estatal"
        assert str(Jurisdiction.Kind.STATE.label) == "Estado"
