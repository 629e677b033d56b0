"""django-axes: 5 failed sign-ins lock the account and the address until admin staff
release them; the API token view and the web sign-in both count."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from registry.models import SecurityEvent
from tests.security.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]
TOKEN_URL = "/api/v1/auth/token/"


def sign_in(api, username, password, address="203.0.113.7"):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def test_five_failures_lock_the_account_and_the_right_password_is_then_refused(api):
    user = make_user("liaison-officer", "liaison.locked")
    answers = [sign_in(api, user.username, "wrong-password-guess").status_code for _ in range(5)]
    assert answers[:4] == [400, 400, 400, 400]
    assert answers[4] == 403  # the fifth failure locks
    sixth = sign_in(api, user.username, PASSWORD)
    assert sixth.status_code == 403
    assert "locked" in sixth.json()["detail"]
    assert "token" not in sixth.json()
    assert "Access-Control-Allow-Origin" not in sixth
    assert SecurityEvent.objects.filter(kind="lockout", username=user.username).exists()
    assert SecurityEvent.objects.filter(kind="sign-in-failure", username=user.username).count() >= 5


def test_the_lock_stays_until_admin_staff_release_it(api):
    user = make_user("liaison-officer", "liaison.released")
    for _ in range(5):
        sign_in(api, user.username, "wrong-password-guess")
    # Time passes: no cool-off, the lock is still there a day later.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(days=1))
    assert sign_in(api, user.username, PASSWORD).status_code == 403
    call_command("axes_reset_username", user.username)
    call_command("axes_reset_ip", "203.0.113.7")
    released = sign_in(api, user.username, PASSWORD)
    assert released.status_code == 200, released.content
    assert released.json()["token"]


def test_failures_spread_beyond_fifteen_minutes_start_again(api):
    user = make_user("liaison-officer", "liaison.slow")
    for _ in range(4):
        assert sign_in(api, user.username, "wrong-password-guess").status_code == 400
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(api, user.username, "wrong-password-guess").status_code == 400  # 1st of a new run
    assert sign_in(api, user.username, PASSWORD).status_code == 200


def test_the_address_is_locked_too_when_it_tries_many_usernames(api):
    victim = make_user("liaison-officer", "liaison.victim")
    for n in range(5):
        sign_in(api, f"nobody-{n}", "wrong-password-guess", address="198.51.100.9")
    assert sign_in(api, victim.username, PASSWORD, address="198.51.100.9").status_code == 403
    # The account itself is not locked: from another address it signs in.
    assert sign_in(api, victim.username, PASSWORD, address="198.51.100.10").status_code == 200


def test_the_web_sign_in_counts_and_locks_too():
    user = make_user("liaison-officer", "liaison.web")
    browser = Client(REMOTE_ADDR="192.0.2.44")
    for _ in range(5):
        browser.post("/accounts/login/", {"username": user.username, "password": "wrong-password-guess"})
    answer = browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_a_successful_sign_in_is_recorded(api):
    user = make_user("liaison-officer", "liaison.ok")
    assert sign_in(api, user.username, PASSWORD).status_code == 200
    event = SecurityEvent.objects.filter(kind="token-issued", user=user).get()
    assert event.ip_address == "203.0.113.7"
    assert event.request_id
