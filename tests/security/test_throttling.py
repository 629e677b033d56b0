"""API throttling for anonymous and signed-in callers: 429 with Retry-After."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(ENLACE_THROTTLE_RATES={"anon": "3/minute", "user": "1000/minute"})
def test_anonymous_callers_are_throttled_by_address(api):
    answers = [api.get("/api/v1/agencies/", REMOTE_ADDR="203.0.113.50") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[3]["Retry-After"]) <= 60
    assert "detail" in answers[3].json()
    # Another address has its own allowance; a forged X-Forwarded-For does not buy one.
    assert api.get("/api/v1/agencies/", REMOTE_ADDR="203.0.113.51").status_code == 200
    forged = api.get("/api/v1/agencies/", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429


@override_settings(ENLACE_THROTTLE_RATES={"anon": "1000/minute", "user": "2/minute"})
def test_signed_in_users_are_throttled_by_account(liaison_api, coordinator_api):
    answers = [liaison_api.get("/api/v1/agencies/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert coordinator_api.get("/api/v1/agencies/").status_code == 200


@override_settings(ENLACE_THROTTLE_RATES={"anon": "2/minute", "user": "1000/minute"})
def test_the_token_endpoint_is_throttled_too(api):
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
