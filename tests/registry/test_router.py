"""The read-replica router's decisions (registry/db/router.py), without a replica: which alias a
read gets in and out of requests, read-your-writes pinning by credential, the writes that do not
pin, the fallback when every replica is down, and the second answer from the primary when a
replica failed under a read request. The real streaming replica: tests/registry/test_replica.py."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from agencies.models import Agency
from cases.models import CaseReadLog
from registry.db import router

ROUTER = router.ReplicaRouter()


@pytest.fixture(autouse=True)
def one_replica(monkeypatch):
    monkeypatch.setattr(router, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(router, "_reachable", lambda alias: True)
    monkeypatch.setattr(router, "_down_until", {})
    cache.clear()


def answer(method="get", path="/api/v1/agencies/", client="client-one", view=None, status=200):
    """Runs one request through ReplicaMiddleware; returns what `view` returned inside it."""
    seen = []

    def get_response(request):
        seen.append(view() if view else ROUTER.db_for_read(Agency))
        return HttpResponse(status=status if len(seen) == 1 else 200)

    request = getattr(RequestFactory(), method)(path, HTTP_AUTHORIZATION=f"Token {client}")
    response = router.ReplicaMiddleware(get_response)(request)
    return seen, response


def test_outside_a_request_everything_reads_the_primary():
    assert ROUTER.db_for_read(Agency) == "default"
    assert ROUTER.db_for_write(Agency) == "default"


def test_a_read_request_reads_a_replica_but_sessions_and_tokens_from_the_primary():
    from django.contrib.sessions.models import Session
    from rest_framework.authtoken.models import Token

    assert answer()[0] == ["replica1"]
    assert answer(view=lambda: (ROUTER.db_for_read(Session), ROUTER.db_for_read(Token)))[0] == [("default", "default")]


def test_a_writer_reads_the_primary_for_a_while_and_other_clients_do_not():
    assert answer("post", client="writer")[0] == ["default"]
    assert answer(client="writer")[0] == ["default"]  # pinned (the shared cache)
    assert answer(client="someone-else")[0] == ["replica1"]
    cache.clear()  # the pin lapsed
    assert answer(client="writer")[0] == ["replica1"]


def test_a_write_inside_a_read_request_pins_the_rest_of_it_but_the_read_log_does_not():
    def write_then_read():
        before = ROUTER.db_for_read(Agency)
        ROUTER.db_for_write(Agency)
        return before, ROUTER.db_for_read(Agency)

    assert answer(client="editor", view=write_then_read)[0] == [("replica1", "default")]
    assert answer(client="editor")[0] == ["default"]

    def log_then_read():
        ROUTER.db_for_write(CaseReadLog)
        return ROUTER.db_for_read(Agency)

    assert answer(client="reader", view=log_then_read)[0] == ["replica1"]
    assert answer(client="reader")[0] == ["replica1"]


def test_with_every_replica_down_reads_go_to_the_primary(monkeypatch):
    monkeypatch.setattr(router, "_reachable", lambda alias: False)
    assert answer()[0] == ["default"]


def test_a_read_request_that_failed_on_a_replica_is_answered_again_from_the_primary(monkeypatch):
    marked = []
    monkeypatch.setattr(router, "mark_down", marked.append)
    monkeypatch.setattr(router, "replica_failed", lambda alias: True)
    seen, response = answer(status=503)
    assert seen == ["replica1", "default"]
    assert response.status_code == 200
    assert marked == ["replica1"]
    # The primary was what failed: the replica is not taken for down, the answer comes again.
    monkeypatch.setattr(router, "replica_failed", lambda alias: False)
    seen, response = answer(status=503)
    assert (seen, response.status_code, marked) == (["replica1", "default"], 200, ["replica1"])
    # A write request is never run twice.
    seen, response = answer("post", status=503)
    assert (seen, response.status_code) == (["default"], 503)


def test_replicas_are_never_migrated():
    assert ROUTER.allow_migrate("default", "agencies")
    assert not ROUTER.allow_migrate("replica1", "agencies")
