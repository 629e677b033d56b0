"""Failed sign-ins (registry/lockout.py): 5 in a row lock one account at one address, for the
cool-off (10 minutes) or until admin staff release it; an address that fails across many
accounts is slowed (429 with Retry-After), never locked. The API token view and the web
sign-in behave the same."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db.models import F, Sum
from django.test import Client, override_settings

from registry import middleware
from registry.models import SecurityEvent
from tests.security.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]
TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"
OFFICE = "203.0.113.7"  # one agency office behind one NAT address
ELSEWHERE = "198.51.100.10"
WRONG = "wrong-password-guess"


def sign_in(api, username, password, address=OFFICE, **extra):
    return api.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


def lock(api, username, address=OFFICE):
    answers = [sign_in(api, username, WRONG, address=address).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 403]  # the fifth failure locks


def age_attempts(**delta):
    """Time passes for the locks: every recorded failure moves `delta` into the past."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(**delta))


class Clock:
    """The app's clock (registry.middleware.now_seconds), which the address throttle reads."""

    def __init__(self):
        self.now = float(int(time.time()) // 3600 * 3600)  # the start of a throttle window

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(middleware, "now_seconds", frozen)
    return frozen


def test_five_failures_lock_the_account_at_that_address_and_the_right_password_is_then_refused(api):
    user = make_user("liaison-officer", "liaison.locked")
    lock(api, user.username)
    sixth = sign_in(api, user.username, PASSWORD)
    assert sixth.status_code == 403
    assert "locked" in sixth.json()["detail"]
    assert "token" not in sixth.json()
    assert "Access-Control-Allow-Origin" not in sixth
    # The lock ends: Retry-After says when (at most the cool-off).
    assert 0 < int(sixth["Retry-After"]) <= settings.ENLACE_LOCKOUT_COOLOFF_MINUTES * 60
    assert SecurityEvent.objects.filter(kind="lockout", username=user.username).exists()
    assert SecurityEvent.objects.filter(kind="sign-in-failure", username=user.username).count() >= 5


def test_other_accounts_sign_in_from_the_address_of_a_locked_account(api):
    locked = make_user("liaison-officer", "liaison.mx")
    coordinator = make_user("coordinator", "coordinator.us")
    admin = make_user("admin-staff", "admin")
    lock(api, locked.username)
    for user in (coordinator, admin):
        answer = sign_in(api, user.username, PASSWORD)
        assert answer.status_code == 200, answer.content
        assert answer.json()["token"]
    assert sign_in(api, locked.username, PASSWORD).status_code == 403


def test_a_locked_account_signs_in_from_another_address(api):
    user = make_user("liaison-officer", "liaison.travelling")
    lock(api, user.username)
    answer = sign_in(api, user.username, PASSWORD, address=ELSEWHERE)
    assert answer.status_code == 200, answer.content
    assert sign_in(api, user.username, PASSWORD).status_code == 403


def test_a_lock_expires_after_the_cool_off(api):
    user = make_user("liaison-officer", "liaison.patient")
    lock(api, user.username)
    age_attempts(minutes=9)
    refused = sign_in(api, user.username, PASSWORD)
    assert refused.status_code == 403
    age_attempts(minutes=1, seconds=1)
    released = sign_in(api, user.username, PASSWORD)
    assert released.status_code == 200, released.content
    assert released.json()["token"]
    assert 0 < int(refused["Retry-After"]) <= 60  # a minute was left at nine minutes
    assert timedelta(minutes=10) == settings.AXES_COOLOFF_TIME  # CJIS AC-7: automatic release after 10 minutes


def test_retrying_while_locked_does_not_extend_the_lock(api):
    user = make_user("liaison-officer", "liaison.impatient")
    lock(api, user.username)
    age_attempts(minutes=9)
    for _ in range(3):
        assert sign_in(api, user.username, PASSWORD).status_code == 403
    age_attempts(minutes=1, seconds=1)  # ten minutes and a second after the fifth failure
    assert sign_in(api, user.username, PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("axes_reset_username", ["liaison.released"]),
        ("axes_reset_ip", [OFFICE]),
        ("axes_reset_ip_username", [OFFICE, "liaison.released"]),
    ],
)
def test_admin_staff_can_release_a_lock_before_the_cool_off(api, command, arguments):
    user = make_user("liaison-officer", "liaison.released")
    lock(api, user.username)
    assert sign_in(api, user.username, PASSWORD).status_code == 403
    call_command(command, *arguments)
    released = sign_in(api, user.username, PASSWORD)
    assert released.status_code == 200, released.content
    assert released.json()["token"]


def test_admin_staff_can_release_a_lock_in_the_admin(api):
    user = make_user("liaison-officer", "liaison.admin-released")
    lock(api, user.username)
    # Admin staff as SPEC §1 has them: the staff flag, not superusers.
    staff = make_user("admin-staff", "records.staff", is_staff=True)
    browser = Client()
    browser.force_login(staff)
    attempt = AccessAttempt.objects.get(username=user.username, ip_address=OFFICE)
    assert attempt.failures_since_start == 5
    base = "/admin/axes/accessattempt/"
    listed = browser.get(base, {"locked_out": "yes"})
    assert listed.status_code == 200
    assert user.username in listed.content.decode()
    assert browser.post(f"{base}{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert sign_in(api, user.username, PASSWORD).status_code == 200
    release = SecurityEvent.objects.get(kind="lockout-reset")
    assert (release.user, release.detail["released_username"]) == (staff, user.username)


def test_failures_spread_beyond_the_cool_off_start_again(api):
    user = make_user("liaison-officer", "liaison.slow")
    for _ in range(4):
        assert sign_in(api, user.username, WRONG).status_code == 400
    age_attempts(minutes=11)
    assert sign_in(api, user.username, WRONG).status_code == 400  # 1st of a new run
    assert sign_in(api, user.username, PASSWORD).status_code == 200


@override_settings(ENLACE_SIGNIN_THROTTLE_FAILURES=10, ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS=600)
def test_a_password_spray_across_twenty_accounts_from_one_address_is_slowed_not_locked(api, clock):
    users = [make_user("liaison-officer", f"liaison.office-{n:02d}") for n in range(20)]
    # One guess per account, account after account: the address's first 10 failures are
    # answered; then it waits, whichever account it tries.
    answers = [sign_in(api, user.username, WRONG) for user in users]
    assert [answer.status_code for answer in answers] == [400] * 10 + [429] * 10
    slowed = answers[10]
    retry_after = int(slowed["Retry-After"])
    assert 0 < retry_after <= 2 * 600
    assert "Try again" in slowed.json()["detail"]
    assert "Access-Control-Allow-Origin" not in slowed
    # Even the right password waits (nothing is checked), and a throttled try is no guess.
    assert sign_in(api, users[0].username, PASSWORD).status_code == 429
    assert AccessAttempt.objects.aggregate(total=Sum("failures_since_start"))["total"] == 10
    assert not AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).exists()
    assert not AccessAttempt.objects.filter(username__in=[u.username for u in users[10:]]).exists()
    # The accounts themselves are not locked: from another address they sign in.
    assert sign_in(api, users[15].username, PASSWORD, address=ELSEWHERE).status_code == 200
    # Once Retry-After has passed, every account signs in from the address again.
    clock.now += retry_after
    for user in users:
        answer = sign_in(api, user.username, PASSWORD)
        assert answer.status_code == 200, (user.username, answer.content)
    # The failures were recorded, the throttled ones marked as such.
    failures = SecurityEvent.objects.filter(kind="sign-in-failure", ip_address=OFFICE)
    assert failures.count() == 21
    assert failures.filter(detail__throttled=True).count() == 11
    assert not SecurityEvent.objects.filter(kind="lockout").exists()


@override_settings(ENLACE_SIGNIN_THROTTLE_FAILURES=10, ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS=600)
def test_guessing_account_by_account_locks_no_more_pairs_than_the_throttle_lets_through(api, clock):
    users = [make_user("liaison-officer", f"liaison.guessed-{n:02d}") for n in range(20)]
    answers = [sign_in(api, user.username, WRONG).status_code for user in users for _ in range(5)]
    assert answers[:10] == [400, 400, 400, 400, 403] * 2
    assert set(answers[10:]) == {429}
    locked = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    assert sorted(locked.values_list("username", flat=True)) == [users[0].username, users[1].username]
    clock.now += 2 * 600
    assert sign_in(api, users[2].username, PASSWORD).status_code == 200
    assert sign_in(api, users[0].username, PASSWORD).status_code == 403  # its own lock, until the cool-off


@override_settings(ENLACE_SIGNIN_THROTTLE_FAILURES=10, ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS=600)
def test_one_persons_typos_do_not_throttle_the_office(api, clock):
    typist = make_user("liaison-officer", "liaison.typist")
    colleague = make_user("liaison-officer", "liaison.colleague")
    lock(api, typist.username)
    # Retrying a locked account checks no password, so it does not count against the address.
    for _ in range(20):
        assert sign_in(api, typist.username, WRONG).status_code == 403
    assert sign_in(api, colleague.username, PASSWORD).status_code == 200


@override_settings(ENLACE_SIGNIN_THROTTLE_FAILURES=10, ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS=600)
def test_the_throttle_slides_with_the_clock(api, clock):
    user = make_user("liaison-officer", "liaison.sliding")
    for n in range(10):
        assert sign_in(api, f"nobody-{n}", WRONG).status_code == 400
    assert sign_in(api, user.username, PASSWORD).status_code == 429
    # A window and a half later the first failures weigh half (the counters take them as
    # spread over their window): 5 more fit, then Retry-After says when the next one does.
    clock.now += 900
    for n in range(5):
        assert sign_in(api, f"nobody-later-{n}", WRONG).status_code == 400
    slowed = sign_in(api, user.username, PASSWORD)
    assert slowed.status_code == 429
    clock.now += int(slowed["Retry-After"])
    assert sign_in(api, user.username, PASSWORD).status_code == 200


def test_the_web_sign_in_counts_and_locks_too():
    user = make_user("liaison-officer", "liaison.web")
    colleague = make_user("coordinator", "coordinator.web")
    browser = Client(REMOTE_ADDR="192.0.2.44")
    for _ in range(5):
        browser.post(LOGIN_URL, {"username": user.username, "password": WRONG})
    answer = browser.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("text/html")
    assert "locked at this address" in answer.content.decode()
    assert 0 < int(answer["Retry-After"]) <= 600
    assert "_auth_user_id" not in browser.session
    # A colleague at the same address signs in.
    office = Client(REMOTE_ADDR="192.0.2.44")
    assert office.post(LOGIN_URL, {"username": colleague.username, "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" in office.session


@override_settings(ENLACE_SIGNIN_THROTTLE_FAILURES=3, ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS=600)
def test_the_web_sign_in_is_slowed_the_same_way_in_the_users_language(clock):
    user = make_user("liaison-officer", "liaison.web-es")
    browser = Client(REMOTE_ADDR="192.0.2.45", HTTP_ACCEPT_LANGUAGE="es")
    for n in range(3):
        assert browser.post(LOGIN_URL, {"username": f"nobody-{n}", "password": WRONG}).status_code == 200
    answer = browser.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 429
    assert answer["Content-Type"].startswith("text/html")
    assert 0 < int(answer["Retry-After"]) <= 1200
    page = answer.content.decode()
    assert '<html lang="es">' in page
    assert "Demasiados intentos fallidos desde su dirección de red" in page
    assert 'name="username"' in page  # the sign-in form again, to retry later
    assert "_auth_user_id" not in browser.session
    clock.now += int(answer["Retry-After"])
    assert browser.post(LOGIN_URL, {"username": user.username, "password": PASSWORD}).status_code == 302


def test_the_api_answers_in_the_users_language(api, clock):
    user = make_user("liaison-officer", "liaison.api-es")
    lock(api, user.username)
    locked = sign_in(api, user.username, PASSWORD, HTTP_ACCEPT_LANGUAGE="es")
    assert locked.status_code == 403
    assert "esta cuenta está bloqueada en esta dirección" in locked.json()["detail"]
    with override_settings(ENLACE_SIGNIN_THROTTLE_FAILURES=3, ENLACE_SIGNIN_THROTTLE_WINDOW_SECONDS=600):
        for n in range(3):
            assert sign_in(api, f"nobody-{n}", WRONG, address=ELSEWHERE).status_code == 400
        slowed = sign_in(api, user.username, PASSWORD, address=ELSEWHERE, HTTP_ACCEPT_LANGUAGE="es")
    assert slowed.status_code == 429
    assert "Demasiados intentos fallidos desde su dirección de red" in slowed.json()["detail"]
    assert int(slowed["Retry-After"]) > 0


def test_a_successful_sign_in_is_recorded(api):
    user = make_user("liaison-officer", "liaison.ok")
    assert sign_in(api, user.username, PASSWORD).status_code == 200
    event = SecurityEvent.objects.filter(kind="token-issued", user=user).get()
    assert event.ip_address == OFFICE
    assert event.request_id
