"""Retries are safe: a POST with Idempotency-Key runs once; a replay gets the first answer
and creates nothing; the same key with another body answers 422."""

import threading
import time

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from agencies.models import FunctionalArea
from registry.models import IdempotencyKey
from tests.security.conftest import make_user

SHARED_CONNECTION = pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="live-server threads share the one in-memory SQLite connection; real concurrency runs on PostgreSQL",
)


URL = "/api/v1/functions/"


def body(slug="chemical-tracing", name="Chemical tracing"):
    return {"slug": slug, "name": name, "name_es": "Rastreo químico"}


@pytest.mark.django_db
def test_a_replay_returns_the_first_answer_and_creates_nothing(admin_api):
    first = admin_api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    again = admin_api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert FunctionalArea.objects.filter(slug="chemical-tracing").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_answers_422(admin_api):
    assert admin_api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    other = admin_api.post(URL, body(slug="other-tracing"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert not FunctionalArea.objects.filter(slug="other-tracing").exists()


@pytest.mark.django_db
def test_keys_belong_to_one_user(admin_api, make_client):
    other_admin = make_client(make_user("admin-staff"))
    assert admin_api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    # Another user's same key is another request: it runs (and here fails on the duplicate slug).
    theirs = other_admin.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 400
    assert "Idempotent-Replayed" not in theirs


@pytest.mark.django_db
def test_a_refusal_is_not_kept_so_the_retry_runs_again(admin_api):
    refused = admin_api.post(URL, {"slug": "bad slug!"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.filter(key="k-3").exists()
    fixed = admin_api.post(URL, {"slug": "bad slug!"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert fixed.status_code == 400


@pytest.mark.django_db
def test_without_a_key_each_post_runs(admin_api):
    assert admin_api.post(URL, body(), format="json").status_code == 201
    assert admin_api.post(URL, body(), format="json").status_code == 400  # the slug is taken


@pytest.mark.django_db
def test_an_overlong_key_is_refused(admin_api):
    answer = admin_api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()


@SHARED_CONNECTION
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_object(live_server):
    admin = make_user("admin-staff")
    token = Token.objects.create(user=admin).key
    barrier = threading.Barrier(6)
    results = []

    def send():
        barrier.wait()
        answer = requests.post(
            live_server.url + URL,
            json=body(slug="concurrent-tracing"),
            headers={"Authorization": f"Token {token}", "Idempotency-Key": "same-key"},
            timeout=30,
        )
        results.append((answer.status_code, answer.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 6
    # One runs; the others are told to retry (409 while it runs; 503 when SQLite is busy).
    created = [status for status, replayed in results if status == 201 and replayed is None]
    assert len(created) <= 1, results
    assert all(status in {201, 409, 503} for status, _ in results), results
    deadline = time.monotonic() + 60  # the first request may still be running on a busy machine
    while True:
        retry = requests.post(
            live_server.url + URL,
            json=body(slug="concurrent-tracing"),
            headers={"Authorization": f"Token {token}", "Idempotency-Key": "same-key"},
            timeout=30,
        )
        if retry.status_code == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert retry.status_code == 201
    assert FunctionalArea.objects.filter(slug="concurrent-tracing").count() == 1
    if created:
        assert retry.headers["Idempotent-Replayed"] == "true"
