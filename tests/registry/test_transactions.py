"""API reads run outside a transaction (BEGIN and COMMIT are round trips on every call);
API writes run in one, and all of a refused write is undone."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.api.views import FunctionalAreaViewSet
from agencies.models import FunctionalArea
from tests.factories import FunctionalAreaFactory

pytestmark = pytest.mark.django_db

# Inside a test's transaction, a transaction the view opens shows as a savepoint.
OPENS_A_TRANSACTION = ("SAVEPOINT", "BEGIN")


def statements(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response, [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db(transaction=True)  # in autocommit, as a production request starts
@pytest.mark.parametrize("path", ["/api/v1/functions/tracing/", "/api/v1/flags/", "/api/v1/cases/"])
def test_a_read_opens_no_transaction(admin_api, coordinator_api, path):
    FunctionalAreaFactory(slug="tracing")
    client = coordinator_api if "cases" in path or "flags" in path else admin_api
    response, sql = statements(lambda: client.get(path))
    assert response.status_code == 200
    assert sql, "the read ran no query at all"
    assert not [s for s in sql if s.startswith(OPENS_A_TRANSACTION)], sql


def test_a_refused_read_inside_a_transaction_leaves_it_usable(coordinator_api):
    # The 404 marks the read's savepoint for rollback, not the enclosing transaction.
    assert coordinator_api.get("/api/v1/cases/999999/").status_code == 404
    assert coordinator_api.get("/api/v1/cases/").status_code == 200


def test_a_write_runs_in_one_transaction(admin_api):
    body = {"slug": "new-area", "name": "New area", "name_es": "Área nueva"}
    response, sql = statements(lambda: admin_api.post("/api/v1/functions/", body, format="json"))
    assert response.status_code == 201, response.content
    assert sql[0].startswith(OPENS_A_TRANSACTION), sql[:3]


def test_a_write_refused_after_it_wrote_leaves_nothing(admin_api, monkeypatch):
    written = FunctionalAreaViewSet.perform_create

    def write_then_refuse(self, serializer):
        written(self, serializer)  # the row is in the database now, inside the request's transaction
        assert FunctionalArea.objects.filter(slug="half-written").exists()
        raise ValidationError({"name_es": "refused after writing"})

    monkeypatch.setattr(FunctionalAreaViewSet, "perform_create", write_then_refuse)
    body = {"slug": "half-written", "name": "Half written", "name_es": "A medias"}
    response = admin_api.post("/api/v1/functions/", body, format="json")
    assert response.status_code == 400 and "name_es" in response.json()
    assert not FunctionalArea.objects.filter(slug="half-written").exists()
