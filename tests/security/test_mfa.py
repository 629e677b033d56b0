"""TOTP second factor for admin staff and coordinators when ENLACE_REQUIRE_MFA is on: the
web sign-in asks for the code after the password, the API issues tokens only with it."""

import io

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.models import SecurityEvent
from tests.security.conftest import PASSWORD, code_for, enrol, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_on")]
TOKEN_URL = "/api/v1/auth/token/"


def token_request(api, user, **extra):
    return api.post(TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra}, format="json")


def test_mfa_is_on_by_default_with_debug_off_and_off_with_debug_on():
    import subprocess
    import sys

    script = "import django; django.setup(); from django.conf import settings; print(settings.ENLACE_REQUIRE_MFA)"
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "registry.settings", "DJANGO_SECRET_KEY": "x" * 60}

    def run(debug: str):
        return subprocess.run(  # noqa: S603 (our own interpreter, our own script)
            [sys.executable, "-c", script],
            env={**base, "DJANGO_DEBUG": debug},
            capture_output=True,
            text=True,
            check=False,
        )

    off, on = run("0"), run("1")
    assert off.stdout.strip().splitlines()[-1] == "True", off.stderr
    assert on.stdout.strip().splitlines()[-1] == "False", on.stderr


def test_a_coordinator_without_the_code_gets_no_token(api):
    user = make_user("coordinator")
    enrol(user)
    answer = token_request(api, user)
    assert answer.status_code == 400
    assert "otp" in answer.json()
    assert "token" not in answer.json()


def test_a_coordinator_with_a_valid_code_gets_a_token(api):
    user = make_user("coordinator")
    device = enrol(user)
    answer = token_request(api, user, otp=code_for(device))
    assert answer.status_code == 200, answer.content
    assert answer.json()["token"]
    assert SecurityEvent.objects.filter(kind="mfa-verified", user=user).exists()


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(api):
    user = make_user("admin-staff")
    device = enrol(user)
    wrong = str((int(code_for(device)) + 1) % 1_000_000).zfill(6)
    answer = token_request(api, user, otp=wrong)
    assert answer.status_code == 400
    assert "otp" in answer.json()
    assert SecurityEvent.objects.filter(kind="sign-in-failure", user=user).exists()
    assert SecurityEvent.objects.filter(kind="mfa-failure", user=user).exists()


def test_the_same_code_cannot_be_used_twice(api):
    user = make_user("coordinator")
    device = enrol(user)
    code = code_for(device)
    assert token_request(api, user, otp=code).status_code == 200
    assert token_request(api, user, otp=code).status_code == 400


def test_a_coordinator_who_has_not_enrolled_is_told_to_enrol(api):
    user = make_user("coordinator")
    answer = token_request(api, user, otp="123456")
    assert answer.status_code == 403
    assert "enrol" in answer.json()["detail"]


def test_a_liaison_officer_needs_no_second_factor(api):
    user = make_user("liaison-officer")
    assert token_request(api, user).status_code == 200


@override_settings(ENLACE_REQUIRE_MFA=False)
def test_with_the_setting_off_coordinators_need_no_code(api):
    user = make_user("coordinator")
    assert token_request(api, user).status_code == 200


def test_the_web_sign_in_asks_for_the_code_after_the_password():
    user = make_user("coordinator")
    device = enrol(user)
    browser = Client()
    signed_in = browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    page = browser.get("/cases/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/mfa/")
    assert browser.get("/api/v1/contacts/").status_code == 403
    wrong = browser.post(
        "/accounts/mfa/", {"otp": "000000" if code_for(device) != "000000" else "111111", "next": "/cases/"}
    )
    assert wrong.status_code == 200
    # django-otp slows down guessing after a wrong code; a real user waits a second.
    device.refresh_from_db()
    device.throttle_reset()
    verified = browser.post("/accounts/mfa/", {"otp": code_for(device), "next": "/cases/"})
    assert verified.status_code == 302
    assert verified["Location"] == "/cases/"
    assert browser.get("/api/v1/contacts/").status_code == 200


def test_the_verify_page_never_redirects_off_site():
    user = make_user("coordinator")
    device = enrol(user)
    browser = Client()
    browser.force_login(user)
    answer = browser.post("/accounts/mfa/", {"otp": code_for(device), "next": "https://evil.example/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/"


def test_first_sign_in_enrols_an_authenticator():
    user = make_user("admin-staff")
    browser = Client()
    browser.force_login(user)
    assert browser.get("/accounts/mfa/")["Location"].startswith("/accounts/mfa/enrol/")
    page = browser.get("/accounts/mfa/enrol/")
    assert page.status_code == 200
    assert b"otpauth://totp/" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert browser.post("/accounts/mfa/enrol/", {"otp": code_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert browser.get("/api/v1/contacts/").status_code == 200
    assert SecurityEvent.objects.filter(kind="mfa-enrolled", user=user).exists()


def test_mfa_enrol_command_prints_the_otpauth_uri():
    user = make_user("coordinator", "coordinator.cli")
    out = io.StringIO()
    call_command("mfa_enrol", user.username, stdout=out)
    assert out.getvalue().startswith("otpauth://totp/")
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
