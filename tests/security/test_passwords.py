"""OWASP ASVS 2.1 through Django's validators: 12 characters at least, 64 accepted, no common
or user-like passwords."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from registry.models import User


@pytest.fixture
def user(db):
    return User(username="maria.gonzalez", email="maria.gonzalez@fgr.example", first_name="Maria")


def test_eleven_characters_are_refused(user):
    with pytest.raises(ValidationError) as caught:
        validate_password("Qx7#mP2$vL9", user)
    assert any(error.code == "password_too_short" for error in caught.value.error_list)


def test_twelve_unusual_characters_are_accepted(user):
    validate_password("Qx7#mP2$vL9!", user)


def test_sixty_four_characters_are_accepted(user):
    password = "correct-horse-battery-staple-Enlace-binational-registry-2026-ok!"
    assert len(password) == 64
    validate_password(password, user)
    user.set_password(password)
    assert user.check_password(password)


def test_a_common_password_is_refused_even_when_long_enough(user):
    with pytest.raises(ValidationError) as caught:
        validate_password("qwerty123456", user)
    assert any(error.code == "password_too_common" for error in caught.value.error_list)


def test_a_password_like_the_username_is_refused(user):
    with pytest.raises(ValidationError) as caught:
        validate_password("maria.gonzalez1", user)
    assert any(error.code == "password_too_similar" for error in caught.value.error_list)


def test_an_all_digit_password_is_refused(user):
    with pytest.raises(ValidationError) as caught:
        validate_password("480931276541", user)
    assert any(error.code == "password_entirely_numeric" for error in caught.value.error_list)
