"""A path that matches no route: JSON under /api/ (as a route's own 404), Django's page elsewhere."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/agencies/Case saved./", "/api/v1/no-such-route/"])
def test_an_api_path_that_matches_no_route_answers_json_404_in_the_users_language(api, path):
    """A slug with a dot matches no route: the API's JSON, not Django's HTML page (the fuzzer found it)."""
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    spanish = api.get(path, HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 404 and spanish.json()["detail"] != "Not found."


def test_a_web_path_that_matches_no_route_keeps_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
