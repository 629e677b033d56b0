"""The OpenAPI schema generates cleanly and states what the API checks (URLs, empty relations,
time formats), and the interactive docs work on a closed network:
every asset the page loads is served by the app itself."""

import json
import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=:(]\s*["']?(?:https?:)?//""", re.IGNORECASE)


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    for path in ["/api/v1/agencies/{slug}/counterparts/", "/api/v1/history/", "/api/v1/auth/token/"]:
        assert f"{path}:" in text


def test_schema_is_served(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/agencies/" in body(response)


def test_docs_load_only_local_assets_and_each_answers(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = body(response)
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assets = ATTRIBUTE.findall(page)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        # Only the app's own static files, or the docs' own start-up script.
        assert asset.startswith("/static/") or asset.startswith("/api/v1/docs/"), asset
        answer = client.get(asset.replace("&amp;", "&"))
        assert answer.status_code == 200, asset
        if asset.startswith("/api/v1/docs/"):
            script = body(answer)
            assert "/api/v1/schema/" in script
            assert not re.search(r"""["'](?:https?:)?//""", script), script


def request_schemas(document) -> dict:
    return {name: schema for name, schema in document["components"]["schemas"].items() if name.endswith("Request")}


@pytest.fixture
def document(client):
    return client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_the_schema_states_the_url_pattern_the_api_checks(document):
    from registry.api.formats import URL_PATTERN

    text = json.dumps(request_schemas(document))
    assert '"format": "uri"' not in text  # the looser format would let schema-valid URLs be refused
    website = document["components"]["schemas"]["AgencyRequest"]["properties"]["website"]
    assert {"type": "string", "pattern": URL_PATTERN, "maxLength": 300} in website["oneOf"]
    sources = document["components"]["schemas"]["AgencyRequest"]["properties"]["sources"]
    assert sources["type"] == "array" and not sources.get("nullable")
    assert sources["items"]["pattern"] == URL_PATTERN


def test_the_schema_says_an_empty_nullable_relation_is_none(document):
    parent = document["components"]["schemas"]["AgencyRequest"]["properties"]["parent"]
    assert parent["nullable"] is True and "minLength" not in parent
    office = document["components"]["schemas"]["ContactRequest"]["properties"]["office"]
    assert {"type": "string", "enum": [""]} in office["oneOf"]
    agency = document["components"]["schemas"]["MandateRequest"]["properties"]["agency"]
    assert agency["minLength"] == 1  # not nullable: "" is refused, and the schema says so


def test_the_schema_states_the_time_formats_of_since_and_until(document):
    def parameter(path, name):
        return next(p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)["schema"]

    empty = {"type": "string", "enum": [""]}  # an empty filter is no filter
    for bound in ("since", "until"):
        assert parameter("/api/v1/audit/export/", bound)["anyOf"] == [{"type": "string", "format": "date-time"}, empty]
    assert {"type": "string", "format": "date"} in parameter("/api/v1/history/", "since")["anyOf"]
    assert parameter("/api/v1/action-items/", "due_before")["anyOf"] == [{"type": "string", "format": "date"}, empty]


OPERATION_METHODS = {"get", "post", "put", "patch", "delete"}


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in OPERATION_METHODS:
                yield path, method, operation


def developer_docstrings() -> set[str]:
    """The docstrings of the API's code (viewsets, their mixins and actions, API views): for the
    people who maintain it, not for client developers."""
    import importlib
    import inspect

    from drf_spectacular.plumbing import get_doc

    docs = set()
    for name in [
        "registry.api.viewsets",
        "registry.api.auth",
        "registry.api.audit",
        "registry.api.history",
        "agencies.api.views",
        "cases.api.views",
        "flags.api.views",
        "interchange.api.views",
        "rest_framework.viewsets",
        "rest_framework.mixins",
        "rest_framework.generics",
    ]:
        module = importlib.import_module(name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            for owner in value.__mro__:
                docs.add(get_doc(owner))
                for member in vars(owner).values():
                    if callable(member):
                        docs.add(get_doc(member))
    return {doc.strip() for doc in docs if doc and doc.strip()}


def test_every_operation_has_a_summary_and_a_description_for_client_developers(document):
    internal = developer_docstrings()
    assert len(internal) > 20  # the check compares with the code's docstrings: they were found
    problems = []
    for path, method, operation in operations(document):
        summary, description = operation.get("summary", ""), operation.get("description", "")
        if not summary or len(summary) > 80:
            problems.append((method, path, "summary", summary))
        if len(description) < 40 or any(doc in description for doc in internal):
            problems.append((method, path, "description", description[:80]))
    assert not problems, problems


def test_the_schema_describes_the_operations_in_spanish(client):
    spanish = client.get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json", HTTP_ACCEPT_LANGUAGE="es"
    ).json()
    english = client.get("/api/v1/schema/?lang=en", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    cases_es, cases_en = spanish["paths"]["/api/v1/cases/"]["get"], english["paths"]["/api/v1/cases/"]["get"]
    assert cases_en["summary"] == "List cases" and cases_es["summary"] == "Listar casos"
    assert "Casos conjuntos" in cases_es["description"]
    ordering = next(p for p in cases_es["parameters"] if p["name"] == "ordering")
    assert ordering["description"].startswith("Ordene por")
    assert spanish["paths"]["/api/v1/flags/{id}/resolve/"]["post"]["summary"] == "Atender una alerta"
    assert client.get("/api/v1/schema/?lang=es", HTTP_ACCEPT="application/vnd.oai.openapi+json").json() == spanish
