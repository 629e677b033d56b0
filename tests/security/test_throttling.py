"""API throttling for anonymous and signed-in callers: 429 with Retry-After."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(ENLACE_THROTTLE_RATES={"anon": "3/minute", "user": "1000/minute"})
def test_anonymous_callers_are_throttled_by_address(api, clock):
    answers = [api.get("/api/v1/agencies/", REMOTE_ADDR="203.0.113.50") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    # A full window's requests weigh on the next window too: served again within two minutes
    # (the exact time is tested below).
    assert 0 < int(answers[3]["Retry-After"]) <= 120
    assert "detail" in answers[3].json()
    # Another address has its own allowance; a forged X-Forwarded-For does not buy one.
    assert api.get("/api/v1/agencies/", REMOTE_ADDR="203.0.113.51").status_code == 200
    forged = api.get("/api/v1/agencies/", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429


@override_settings(ENLACE_THROTTLE_RATES={"anon": "1000/minute", "user": "2/minute"})
def test_signed_in_users_are_throttled_by_account(liaison_api, coordinator_api, clock):
    answers = [liaison_api.get("/api/v1/agencies/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert coordinator_api.get("/api/v1/agencies/").status_code == 200


@override_settings(ENLACE_THROTTLE_RATES={"anon": "2/minute", "user": "1000/minute"})
def test_the_token_endpoint_is_throttled_too(api, clock):
    body = {"username": "nobody", "password": "wrong-password-guess"}
    answers = [api.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert answers == [400, 400, 429]


def test_throttle_counts_use_the_shared_cache_when_redis_is_configured():
    import subprocess
    import sys

    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DJANGO_DEBUG": "1",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.stdout.strip().splitlines()[-1] == "django_redis.cache.RedisCache"


class Clock:
    """A settable time for the throttles (their `timer`): a test's requests all fall in the
    window it chose, however long they take on a busy machine."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from registry.api import throttles

    clock = Clock(1_000_000 * 60.0)  # the start of a minute
    for throttle in (throttles.AnonymousRateThrottle, throttles.SignedInRateThrottle):
        monkeypatch.setattr(throttle, "timer", staticmethod(clock))
    return clock


@override_settings(ENLACE_THROTTLE_RATES={"anon": "3/minute", "user": "1000/minute"})
def test_retry_after_is_when_the_next_request_is_served(api, clock):
    address = {"REMOTE_ADDR": "203.0.113.60"}
    clock.now += 40
    assert [api.get("/api/v1/functions/", **address).status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/api/v1/functions/", **address)
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    # The three requests weigh in the next minute until enough of it has passed: 20 s in
    # this minute, then a third of the next (3 × (1 - t/60) + 1 ≤ 3 from t = 20 s).
    assert wait == 40
    clock.now += wait - 1
    assert api.get("/api/v1/functions/", **address).status_code == 429  # refusals are not counted...
    clock.now += 1
    assert api.get("/api/v1/functions/", **address).status_code == 200  # ...so the caller is served on time


@override_settings(ENLACE_THROTTLE_RATES={"anon": "3/minute", "user": "1000/minute"})
def test_no_burst_of_twice_the_rate_across_a_window_edge(api, clock):
    address = {"REMOTE_ADDR": "203.0.113.61"}
    clock.now += 59.5
    assert [api.get("/api/v1/functions/", **address).status_code for _ in range(3)] == [200, 200, 200]
    clock.now += 1  # a new minute: a fixed-window counter would start again from zero
    assert api.get("/api/v1/functions/", **address).status_code == 429
    clock.now += 60  # a whole minute after the three requests
    assert [api.get("/api/v1/functions/", **address).status_code for _ in range(3)] == [200, 200, 200]


@override_settings(ENLACE_THROTTLE_RATES={"anon": "20/minute", "user": "1000/minute"})
def test_concurrent_requests_are_all_counted():
    """Forty requests of one address at once, with an allowance of twenty: exactly twenty
    pass (the counter is raised atomically; a read-then-write history would lose some)."""
    import threading

    from django.test import RequestFactory
    from rest_framework.request import Request

    from registry.api.throttles import AnonymousRateThrottle

    factory = RequestFactory()
    results, start = [], threading.Barrier(40)

    def call():
        request = Request(factory.get("/api/v1/functions/", REMOTE_ADDR="203.0.113.62"))
        throttle = AnonymousRateThrottle()
        start.wait()
        results.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=call) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 20
