"""403, 404, 500 and the CSRF failure in the site's layout (header, navigation, footer) and
in the user's language, saying what to do instead; /api/ keeps answering JSON."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.test import APIClient

from registry import middleware
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

NAVIGATION = ['<nav class="main-nav"', 'class="site-header"', 'class="site-footer"', 'href="/open-data/"']
LEAKS = ["Traceback", "SELECT", "secret", "/work/", "site-packages", ".py", 'File "']


def page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    for part in NAVIGATION:
        assert part in body, f"{part!r} missing: the page is not in the site's layout"
    return body


@pytest.mark.parametrize(
    ("path", "reason_en", "reason_es"),
    [
        (
            "/flags/",
            "The flag queue is for coordinators and admin staff.",
            "La cola de alertas es para coordinadores y personal de administración.",
        ),
        (
            "/cases/new/",
            "Only coordinators of an agency open cases.",
            "Solo los coordinadores de una institución abren casos.",
        ),
    ],
)
def test_a_liaison_refused_a_page_gets_the_403_page_in_english_and_spanish(
    catalog, liaison_us, path, reason_en, reason_es
):
    client = signed_in(liaison_us)

    english = page(client.get(path), 403)
    spanish = page(client.get(path, HTTP_ACCEPT_LANGUAGE="es"), 403)

    assert '<html lang="en">' in english and '<html lang="es">' in spanish
    assert "Your role in Enlace does not allow this" in english
    assert "coordinator or the admin staff" in english
    assert reason_en in english
    assert "Su función en Enlace no lo permite" in spanish
    assert reason_es in spanish
    assert "Your role" not in spanish and reason_en not in spanish
    # Signed in, so the header names the account and offers to sign out, not to sign in.
    assert "liaison.us" in english and 'action="/accounts/logout/"' in english
    assert 'href="/"' in english and 'href="/search/"' in english


@pytest.mark.parametrize("path", ["/no-such-page/", "/agencies/no-such-agency/", "/cases/999999/"])
def test_an_unknown_page_gets_the_404_page_with_a_catalog_search(catalog, liaison_us, path):
    client = signed_in(liaison_us)

    english = page(client.get(path), 404)
    spanish = page(client.get(path, HTTP_ACCEPT_LANGUAGE="es"), 404)

    assert "Page not found" in english and 'id="not-found-q"' in english
    assert 'action="/search/"' in english
    assert "Página no encontrada" in spanish and "Buscar en el catálogo" in spanish
    assert "Page not found" not in spanish


def test_an_anonymous_visitor_gets_the_404_page_with_a_sign_in_link(anonymous):
    body = page(anonymous.get("/no-such-page/"), 404)
    assert 'href="/accounts/login/?next=/no-such-page/"' in body


@pytest.mark.urls("tests.security.urls_faults")
@pytest.mark.parametrize("signed", [False, True])
def test_an_error_in_a_page_gets_the_500_page_with_the_request_id(catalog, liaison_us, signed):
    client = signed_in(liaison_us) if signed else Client()
    client.raise_request_exception = False

    english = client.get("/test-faults/page-boom/")
    spanish = client.get("/test-faults/page-boom/", HTTP_ACCEPT_LANGUAGE="es")

    body = page(english, 500)
    assert "Something went wrong" in body and f"<code>{english['X-Request-ID']}</code>" in body
    es_body = page(spanish, 500)
    assert "Algo salió mal" in es_body and f"<code>{spanish['X-Request-ID']}</code>" in es_body
    for leak in LEAKS:
        assert leak not in body and leak not in es_body
    # Rendered without the user (who may live in the database that failed).
    assert "liaison.us" not in body


def test_the_500_page_renders_while_the_database_refuses_every_query(catalog, liaison_us):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    def load_user():
        # What AuthenticationMiddleware's lazy user does: a query, here one that fails.
        from registry.models import User

        return User.objects.get(pk=liaison_us.pk)

    request = RequestFactory().get("/cases/", HTTP_ACCEPT_LANGUAGE="es")
    request.user = SimpleLazyObject(load_user)
    request.request_id = "req-0123456789"
    with connection.execute_wrapper(refuse):
        response = middleware.server_error(request)

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert '<nav class="main-nav"' in body and "req-0123456789" in body
    assert 'name="csrfmiddlewaretoken"' in body, "the language switch still works"


@pytest.mark.urls("tests.security.urls_faults")
def test_a_database_outage_on_a_page_gets_the_503_page_with_retry_after(catalog):
    client = Client(raise_request_exception=False)

    english = client.get("/test-faults/page-db-down/")
    spanish = client.get("/test-faults/page-db-down/", HTTP_ACCEPT_LANGUAGE="es")

    assert "try again shortly" in page(english, 503)
    assert int(english["Retry-After"]) > 0
    assert "No disponible por un momento" in page(spanish, 503)
    api = client.get("/api/v1/test-faults/db-down/")
    assert api.status_code == 503 and api["Content-Type"] == "application/json"


def test_a_form_sent_without_its_token_gets_the_csrf_page_in_the_layout(catalog):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "someone", "password": "a-password-guess"}

    english = page(client.post("/accounts/login/", data), 403)
    spanish = page(client.post("/accounts/login/", data, HTTP_ACCEPT_LANGUAGE="es"), 403)

    assert "The form could not be sent" in english and "reload the page" in english
    assert "No se pudo enviar el formulario" in spanish
    assert "CSRF verification failed" not in english


def test_api_errors_stay_json(catalog, liaison_api):
    forbidden = liaison_api.get("/api/v1/audit/export/")
    assert forbidden.status_code == 403 and forbidden["Content-Type"] == "application/json"
    assert "detail" in forbidden.json()
    missing = liaison_api.get("/api/v1/no-such-route/", HTTP_ACCEPT_LANGUAGE="es")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json()["detail"] != "Not found."


def test_an_api_post_without_its_csrf_token_stays_json(catalog, liaison_us):
    # A signed-in browser session writing to the API without the token: DRF's JSON 403.
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(liaison_us)
    response = browser.post("/api/v1/functions/", {"slug": "x", "name": "X", "name_es": "X"}, format="json")
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    assert "CSRF" in response.json()["detail"]


@pytest.mark.urls("tests.security.urls_faults")
def test_api_500_stays_json():
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/test-faults/boom/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].endswith(response["X-Request-ID"])


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/anything/"])
def test_the_403_handler_answers_json_under_the_api(path):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    response = middleware.permission_denied(request, PermissionDenied("internal detail"))
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    assert "internal detail" not in response.content.decode()
