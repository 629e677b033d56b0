"""Helpers for the security suite: switch on what settings_test turns off for the other
suites (lockout, second factor, low throttle rates), and make TOTP codes."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "a-Long-and-unusual-passphrase-2026"


@pytest.fixture
def axes_on():
    with override_settings(AXES_ENABLED=True):
        yield


@pytest.fixture
def mfa_on():
    with override_settings(ENLACE_REQUIRE_MFA=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def make_user(role: str, username: str | None = None, **extra):
    kwargs = {"role": role, **extra}
    if username:
        kwargs["username"] = username
    if role == "admin-staff":
        kwargs.setdefault("agency", None)
    user = UserFactory(**kwargs)
    user.set_password(PASSWORD)
    user.save()
    return user


def enrol(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + offset_steps)
    return str(totp.token()).zfill(device.digits)
